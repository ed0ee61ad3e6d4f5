package dev.dataselect.transforms.inference;

import dev.dataselect.models.ExecutionProvider;
import dev.dataselect.models.ModelConfig;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that run model calls in this JVM: one pool for CPU models, one for GPU models, shared
 * by every inference stage and DoFn instance.
 *
 * <p>Why a pool and not the DoFn threads: how many DoFn threads call the model is the runner's
 * choice (Flink: the parallelism; the DirectRunner: its target parallelism; Dataflow: harness
 * threads), and a bundle is processed by one thread. A stage that ran its batches on its own
 * thread used one core when the runner gave it one bundle, and oversubscribed the cores when ONNX
 * Runtime's own intra-op threads (one pool per call, spinning while they wait) met several DoFn
 * threads. Here a flush hands its batches to this pool and waits for them: on the CPU the pool has
 * one thread per core and each call runs single-threaded ({@link #cpuModel}), so the cores are
 * busy with model work whatever the runner's threading, and never oversubscribed by model calls.
 * GPU models get a small pool so that host-side work of one batch overlaps the device's work on
 * another.
 */
final class InferenceThreads {
  /** Model calls in flight at once on the GPU. */
  static final int GPU_THREADS = 2;

  private static final ExecutorService CPU = pool("dataselect-cpu-inference", cpuThreads());
  private static final ExecutorService GPU = pool("dataselect-gpu-inference", GPU_THREADS);

  private InferenceThreads() {}

  /** One per available core. */
  static int cpuThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /**
   * The config a stage's model session is opened with: on the CPU, with the intra-op threads left
   * to ONNX Runtime (0), one thread per call, because the pool runs one call per core; a setting
   * the user chose is kept.
   */
  static ModelConfig cpuModel(ModelConfig config) {
    if (config.provider() == ExecutionProvider.CPU && config.intraOpThreads() == 0) {
      return config.withIntraOpThreads(1);
    }
    return config;
  }

  /** The pool for {@code config}'s calls. */
  static ExecutorService forModel(ModelConfig config) {
    return config.provider() == ExecutionProvider.CPU ? CPU : GPU;
  }

  private static ExecutorService pool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        r -> {
          Thread t = new Thread(r, name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }
}
