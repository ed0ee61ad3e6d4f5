package dev.dataselect.benchmarks;

import dev.dataselect.transforms.student.Example;
import dev.dataselect.transforms.student.TrainStudent;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.joda.time.Duration;

/**
 * Trains a student with the product's {@link TrainStudent} transform on the DirectRunner in this
 * JVM and hands its one {@link TrainStudent.Result} back through a static map, which works because
 * the DirectRunner runs the DoFns in this process. Options: {@code --targetParallelism=1} (more
 * workers once made DirectRunner pipelines hang, see the transforms' {@code TestPipelines}); {@code
 * --enforceImmutability=false} and {@code --enforceEncodability=false} for speed (the ridge
 * statistics, several megabytes, need no encoding check). A pipeline still running after {@link
 * #LIMIT} is cancelled.
 */
final class DirectStudent {
  static final Duration LIMIT = Duration.standardMinutes(5);
  private static final Map<String, TrainStudent.Result> RESULTS = new ConcurrentHashMap<>();

  private DirectStudent() {}

  static TrainStudent.Result train(TrainStudent transform, List<Example> examples) {
    String key = UUID.randomUUID().toString();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=1",
        "--enforceImmutability=false", "--enforceEncodability=false", "--blockOnRun=false").create());
    p.apply("Examples", Create.of(examples).withCoder(Example.ExampleCoder.of()))
        .apply("TrainStudent", transform)
        .apply("Keep", ParDo.of(new KeepFn(key)));
    PipelineResult run = p.run();
    PipelineResult.State state = run.waitUntilFinish(LIMIT);
    if (state == null || !state.isTerminal()) {
      try {
        run.cancel();
      } catch (IOException | RuntimeException e) {
        // the exception below says what matters
      }
      throw new IllegalStateException("TrainStudent did not finish in " + LIMIT.getStandardSeconds() + " s (state " + state + ")");
    }
    TrainStudent.Result r = RESULTS.remove(key);
    if (r == null) {
      throw new IllegalStateException("TrainStudent finished (" + state + ") without a result");
    }
    return r;
  }

  private static final class KeepFn extends DoFn<TrainStudent.Result, Void> {
    private final String key;

    KeepFn(String key) {
      this.key = key;
    }

    @ProcessElement
    public void process(@Element TrainStudent.Result r) {
      if (RESULTS.putIfAbsent(key, r) != null) {
        throw new IllegalStateException("TrainStudent gave more than one result");
      }
    }
  }
}
