package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.SharedModels;
import dev.dataselect.transforms.inference.StageModels;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.common.ReflectHelpers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a local job's models while the runner is still starting: a background thread acquires each
 * model stage's model from {@link SharedModels} ({@link StageModels}: the configuration the stage
 * itself loads), so when a stage's {@code @Setup} acquires it the
 * session is already built (MiniLM takes about 2 s to load, and the demo's first documents reach
 * the embedding stage only after about 20 s of translation, reading and language identification).
 *
 * <p>Only for runners that run the job in this JVM (the DirectRunner, Flink's in-process cluster),
 * where the stages' {@code SharedModels} is this one; only from {@code bin/dataselect} ({@link
 * Dataselect#execute}), which closes the warm-up after the job and so releases its holds. A model
 * the warm-up cannot load is left to the stage, which fails with its own message.
 */
final class ModelWarmup implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelWarmup.class);

  private final List<SharedModels.Handle> handles = new ArrayList<>();
  @Nullable private Thread thread;
  private volatile boolean closed;

  /** Starts loading {@code models} if {@code options} run the job in this JVM; else does nothing. */
  synchronized void start(PipelineOptions options, List<ModelConfig> models) {
    if (closed || thread != null || models.isEmpty() || !inThisJvm(options)) {
      return;
    }
    thread = new Thread(() -> {
      for (ModelConfig model : models) {
        if (closed) {
          return;
        }
        try {
          SharedModels.Handle h = StageModels.acquire(model);
          synchronized (this) {
            if (closed) {
              h.close();
              return;
            }
            handles.add(h);
          }
        } catch (RuntimeException e) {
          LOG.debug("Warm-up could not load {}; its stage will load it", model.name(), e);
        }
      }
    }, "dataselect-model-warmup");
    thread.setDaemon(true);
    thread.start();
  }

  /** Whether the runner runs the job's stages in this JVM. */
  static boolean inThisJvm(PipelineOptions options) {
    String runner = options.getRunner().getSimpleName();
    String master = null;
    if (runner.equals("FlinkRunner")) { // read by name: this module does not depend on the Flink runner
      ObjectMapper mapper = new ObjectMapper().registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()));
      master = mapper.valueToTree(options).path("options").path("flinkMaster").asText("[auto]");
    }
    return inThisJvm(runner, master);
  }

  /**
   * Whether runner {@code runner} (its simple class name) runs in this JVM: the DirectRunner, and
   * Flink with {@code --flinkMaster=[local]} ({@code [auto]} may submit to a cluster).
   */
  static boolean inThisJvm(String runner, @Nullable String flinkMaster) {
    return runner.equals("DirectRunner") || (runner.equals("FlinkRunner") && "[local]".equals(flinkMaster));
  }

  /** Waits for the warm-up thread, then releases its holds (the stages hold their own by now). */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      closed = true;
      t = thread;
    }
    if (t != null) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      handles.forEach(SharedModels.Handle::close);
      handles.clear();
    }
  }
}
