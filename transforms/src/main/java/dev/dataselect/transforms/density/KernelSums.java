package dev.dataselect.transforms.density;

import dev.dataselect.models.OnnxSessions;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import com.google.common.hash.Hasher;
import com.google.common.hash.Hashing;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The kernel step of the reference KDE in ONNX Runtime: one {@link KernelGraph} session per
 * reference sample, kernel and thread count per JVM, shared by every {@link ReferenceSample} with
 * the same vectors and bandwidth (a runner may decode the side input once per task) and closed when
 * the last of them is garbage-collected. The {@code 2 n m d} FLOP of the distances run in MLAS's
 * FP32 GEMM; the kernel and the sum over references in ONNX Runtime's vectorised element-wise and
 * reduction kernels.
 *
 * <p>Determinism: every tensor row a query touches has the same length and alignment in any batch
 * (see {@link KernelGraph}); the GEMM splits work between threads by rows and columns, never along
 * d; so a query's sum is bit-identical in any batch, at any position, with any thread count, on one
 * CPU type (tested). Across CPU types (AVX2 vs AVX-512, another ONNX Runtime version) MLAS picks
 * other kernels and the last bits may differ; see {@link ReferenceSample#densities}.
 */
final class KernelSums {
  /** Intra-op threads by default: 1, each caller's batch runs on the caller's thread. */
  static final int DEFAULT_THREADS = 1;

  private static final Cleaner CLEANER = Cleaner.create();
  private static final Object LOCK = new Object();
  private static final Map<Key, Shared> SESSIONS = new HashMap<>();

  private KernelSums() {}

  /** Intra-op threads: the system property {@code dataselect.kde.threads}, else the default. */
  static int threads() {
    return Integer.getInteger("dataselect.kde.threads", DEFAULT_THREADS);
  }

  private static final class Key {
    final String vectors;
    final long bandwidthBits;
    final Kernel kernel;
    final int threads;

    Key(String vectors, double bandwidth, Kernel kernel, int threads) {
      this.vectors = vectors;
      this.bandwidthBits = Double.doubleToLongBits(bandwidth);
      this.kernel = kernel;
      this.threads = threads;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Key)) {
        return false;
      }
      Key k = (Key) o;
      return vectors.equals(k.vectors)
          && bandwidthBits == k.bandwidthBits
          && kernel == k.kernel
          && threads == k.threads;
    }

    @Override
    public int hashCode() {
      return Objects.hash(vectors, bandwidthBits, kernel, threads);
    }
  }

  private static final class Shared {
    int refs;
    OrtSession session;
  }

  /** A {@link ReferenceSample}'s hold on a shared session; released when the sample is collected. */
  static final class Session {
    private final OrtSession session;
    private final int m;
    private final int d;

    private Session(OrtSession session, int m, int d) {
      this.session = session;
      this.m = m;
      this.d = d;
    }

    /**
     * {@code out[i] = sum over references r != exclude[i] of k(r, query i)} (as float) for the
     * {@code q} queries in row-major {@code queries}; {@code exclude[i] = -1} excludes nothing.
     */
    void sums(float[] queries, int q, int[] exclude, double[] out) {
      OrtEnvironment env = OnnxSessions.environment();
      FloatBuffer norms = direct(q).asFloatBuffer();
      FloatBuffer far = direct(q).asFloatBuffer();
      LongBuffer columns =
          ByteBuffer.allocateDirect(8 * q).order(ByteOrder.nativeOrder()).asLongBuffer();
      for (int i = 0; i < q; i++) {
        norms.put(i, (float) BlockedKernelSums.squaredNorm(queries, i * d, d));
        far.put(i, KernelGraph.FAR);
        columns.put(i, exclude[i] >= 0 ? exclude[i] : m);
      }
      FloatBuffer qs = direct(q * d).asFloatBuffer();
      qs.put(queries, 0, q * d).rewind();
      long[] column = {q, 1};
      try (OnnxTensor tq = OnnxTensor.createTensor(env, qs, new long[] {q, d});
          OnnxTensor tn = OnnxTensor.createTensor(env, norms, column);
          OnnxTensor te = OnnxTensor.createTensor(env, columns, column);
          OnnxTensor tb = OnnxTensor.createTensor(env, far, column);
          OrtSession.Result result =
              session.run(Map.of("Q", tq, "QN", tn, "EX", te, "BIG", tb))) {
        FloatBuffer s = ((OnnxTensor) result.get(0)).getFloatBuffer();
        for (int i = 0; i < q; i++) {
          out[i] = s.get(i);
        }
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime failed on the KDE kernel step", e);
      }
    }

    private static ByteBuffer direct(int floats) {
      return ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder());
    }
  }

  /**
   * The session for {@code sample}'s vectors and bandwidth with {@code kernel}, created on the
   * first request in this JVM, released when {@code sample} becomes unreachable.
   */
  static Session acquire(ReferenceSample sample, Kernel kernel, int threads) {
    Key key = new Key(fingerprint(sample), sample.bandwidth(), kernel, threads);
    Shared shared;
    synchronized (LOCK) {
      shared = SESSIONS.computeIfAbsent(key, k -> new Shared());
      shared.refs++;
    }
    OrtSession session;
    try {
      synchronized (shared) {
        if (shared.session == null) {
          shared.session = open(sample, kernel, threads);
        }
        session = shared.session;
      }
    } catch (RuntimeException | Error e) {
      release(key, shared);
      throw e;
    }
    CLEANER.register(sample, () -> release(key, shared));
    return new Session(session, sample.size(), sample.dimension());
  }

  /** Sessions open in this JVM (for tests). */
  static int openSessions() {
    synchronized (LOCK) {
      return SESSIONS.size();
    }
  }

  /**
   * Sessions open in this JVM for {@code sample}'s vectors and bandwidth with {@code kernel}, any
   * thread count (for tests: unlike {@link #openSessions}, other tests' samples being collected
   * meanwhile does not change it).
   */
  static int openSessionsFor(ReferenceSample sample, Kernel kernel) {
    String vectors = fingerprint(sample);
    long bandwidthBits = Double.doubleToLongBits(sample.bandwidth());
    synchronized (LOCK) {
      return (int) SESSIONS.keySet().stream()
          .filter(k -> k.vectors.equals(vectors) && k.bandwidthBits == bandwidthBits && k.kernel == kernel)
          .count();
    }
  }

  private static void release(Key key, Shared shared) {
    OrtSession toClose = null;
    synchronized (LOCK) {
      shared.refs--;
      if (shared.refs == 0) {
        SESSIONS.remove(key, shared);
        synchronized (shared) {
          toClose = shared.session;
          shared.session = null;
        }
      }
    }
    if (toClose != null) {
      try {
        toClose.close();
      } catch (OrtException e) {
        // Nothing holds the session any more; a failed close leaks native memory only.
      }
    }
  }

  private static OrtSession open(ReferenceSample sample, Kernel kernel, int threads) {
    byte[] model =
        KernelGraph.model(
            sample.matrix(),
            sample.squaredNorms(),
            sample.size(),
            sample.dimension(),
            sample.bandwidth(),
            kernel);
    OrtEnvironment env = OnnxSessions.environment();
    try (SessionOptions options = new SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
      return env.createSession(model, options);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not load the KDE kernel graph", e);
    }
  }

  private static String fingerprint(ReferenceSample sample) {
    Hasher h = Hashing.sha256().newHasher();
    h.putInt(sample.size()).putInt(sample.dimension());
    ByteBuffer b = ByteBuffer.allocate(4 * 4096).order(ByteOrder.LITTLE_ENDIAN);
    float[] v = sample.matrix();
    for (int start = 0; start < v.length; start += 4096) {
      int n = Math.min(4096, v.length - start);
      b.clear();
      b.asFloatBuffer().put(v, start, n);
      h.putBytes(b.array(), 0, 4 * n);
    }
    return h.hash().toString();
  }
}
