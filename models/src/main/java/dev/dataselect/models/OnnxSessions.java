package dev.dataselect.models;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens ONNX Runtime sessions with a {@link ModelConfig}'s settings: intra-op threads,
 * optimisation level and execution provider (CPU, or CUDA with an opt-in CPU fallback).
 */
public final class OnnxSessions {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxSessions.class);
  private static final AtomicBoolean FALLBACK_WARNED = new AtomicBoolean();

  private OnnxSessions() {}

  /** The stack of the thread that creates the environment (see {@link #environment}). */
  private static final long INIT_STACK_BYTES = 16L << 20;

  private static volatile OrtEnvironment environment;

  /**
   * The process-wide ONNX Runtime environment. ONNX Runtime's environment set-up overflows a
   * default-sized (1 MB) thread stack and kills the JVM with SIGSEGV, so it is created once on a
   * thread of its own with a 16 MB stack: callers need no {@code -Xss} flag, whatever thread
   * (a runner's worker, a test's main) first asks for a model.
   */
  public static OrtEnvironment environment() {
    OrtEnvironment e = environment;
    if (e != null) {
      return e;
    }
    synchronized (OnnxSessions.class) {
      if (environment == null) {
        java.util.concurrent.atomic.AtomicReference<Object> made = new java.util.concurrent.atomic.AtomicReference<>();
        Thread init = new Thread(null, () -> {
          try {
            made.set(OrtEnvironment.getEnvironment());
          } catch (Throwable t) {
            made.set(t);
          }
        }, "onnxruntime-init", INIT_STACK_BYTES);
        init.start();
        boolean interrupted = false;
        while (true) {
          try {
            init.join();
            break;
          } catch (InterruptedException x) {
            interrupted = true;
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        if (made.get() instanceof Throwable t) {
          throw new IllegalStateException("ONNX Runtime's environment could not be created: " + t, t);
        }
        environment = (OrtEnvironment) made.get();
      }
      return environment;
    }
  }

  /** Whether the ONNX Runtime on the classpath was built with the CUDA provider. */
  public static boolean cudaBuildAvailable() {
    environment(); // loads the native library on the big-stack thread first
    return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
  }

  /** Session options and the provider they really use, which the caller must close. */
  public static final class Options implements AutoCloseable {
    private final SessionOptions options;
    private final String provider;
    private final String cudaHelp;

    Options(SessionOptions options, String provider, String cudaHelp) {
      this.options = options;
      this.provider = provider;
      this.cudaHelp = cudaHelp;
    }

    public SessionOptions sessionOptions() {
      return options;
    }

    /** "CPU", "CUDA:0", or "CPU (CUDA:0 unavailable)" after a fallback. */
    public String provider() {
      return provider;
    }

    @Override
    public void close() {
      options.close();
    }
  }

  /**
   * Builds session options for {@code config}.
   *
   * @throws ModelException when CUDA is requested, unavailable, and CPU fallback is off; the
   *     message names the fix
   */
  public static Options options(ModelConfig config) {
    environment();
    if (config.provider() == ExecutionProvider.CUDA) {
      String failure;
      if (!cudaBuildAvailable()) {
        failure = "this ONNX Runtime build has no CUDA execution provider";
      } else {
        SessionOptions cuda = base(config);
        try {
          cuda.addCUDA(config.cudaDeviceId());
          return new Options(
              cuda,
              "CUDA:" + config.cudaDeviceId(),
              cudaHelp(config, "creating a session on it failed"));
        } catch (OrtException | RuntimeException e) {
          cuda.close();
          failure = e.getMessage();
        }
      }
      if (!config.cpuFallback()) {
        throw new ModelException(cudaHelp(config, failure));
      }
      if (FALLBACK_WARNED.compareAndSet(false, true)) {
        LOG.warn(
            "{} Falling back to the CPU because the model config opts in (cpuFallback=true); this"
                + " warning is logged once per JVM.",
            cudaHelp(config, failure));
      }
      return new Options(
          base(config), "CPU (CUDA:" + config.cudaDeviceId() + " unavailable)", null);
    }
    return new Options(base(config), "CPU", null);
  }

  /** The message for an unavailable CUDA provider, naming the fix. */
  static String cudaHelp(ModelConfig config, String failure) {
    String version;
    try {
      version = environment().getVersion();
    } catch (RuntimeException e) {
      version = "?";
    }
    return "Model '"
        + config.name()
        + "' asks for the CUDA execution provider (device "
        + config.cudaDeviceId()
        + ") but it is unavailable: "
        + failure
        + ". Fix: run with the com.microsoft.onnxruntime:onnxruntime_gpu jar (ONNX Runtime "
        + version
        + ") in place of onnxruntime - build with -Pgpu - on a host with the CUDA 12 libraries"
        + " and cuDNN 9 on its library path (LD_LIBRARY_PATH) and an NVIDIA driver; or opt in to"
        + " running on the CPU with ModelConfig.withCpuFallback(true).";
  }

  private static SessionOptions base(ModelConfig config) {
    SessionOptions options = new SessionOptions();
    try {
      options.setOptimizationLevel(config.optimizationLevel().ortLevel());
      if (config.intraOpThreads() > 0) {
        options.setIntraOpNumThreads(config.intraOpThreads());
      }
      return options;
    } catch (OrtException e) {
      options.close();
      throw new ModelException("Cannot set ONNX Runtime options for " + config.name(), e);
    }
  }

  /**
   * Opens a session on model bytes edited in memory ({@link LogitPositions}), read from {@code
   * location}: for a local file, external-data files are still looked up next to it.
   */
  static OrtSession openEdited(ModelLocation location, byte[] bytes, Options options) {
    try {
      if (location.isLocalFile()) {
        java.nio.file.Path folder =
            ModelReader.localPath(location.uri()).toAbsolutePath().getParent();
        if (folder != null) {
          options
              .sessionOptions()
              .addConfigEntry(
                  "session.model_external_initializers_file_folder_path", folder.toString());
        }
      }
      return environment().createSession(bytes, options.sessionOptions());
    } catch (OrtException e) {
      String hint = options.cudaHelp == null ? "" : " " + options.cudaHelp;
      throw new ModelException(
          "Cannot load ONNX model " + location + " (rewritten for logits at named positions): "
              + e.getMessage() + hint, e);
    }
  }

  /**
   * Opens a session on {@code location}: by path for local files (so external-data files next to
   * the model are found), else from the bytes {@code reader} returns.
   */
  public static OrtSession open(ModelLocation location, ModelReader reader, Options options) {
    try {
      if (location.isLocalFile()) {
        String path = ModelReader.localPath(location.uri()).toString();
        return environment().createSession(path, options.sessionOptions());
      }
      byte[] bytes = location.bytesOrNull();
      if (bytes == null) {
        bytes = location.read(reader);
      }
      return environment().createSession(bytes, options.sessionOptions());
    } catch (OrtException e) {
      // With the GPU jar, missing CUDA or cuDNN libraries surface only when the session is made.
      String hint = options.cudaHelp == null ? "" : " " + options.cudaHelp;
      throw new ModelException(
          "Cannot load ONNX model " + location + ": " + e.getMessage() + hint, e);
    } catch (IOException e) {
      throw new ModelException("Cannot read ONNX model " + location + ": " + e.getMessage(), e);
    }
  }
}
