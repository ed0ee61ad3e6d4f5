package dev.dataselect.transforms.testing;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Pipelines for JUnit 5 tests (Beam 2.62's {@code TestPipeline} is JUnit 4 only): a DirectRunner
 * pipeline that checks encodability and immutability like {@code TestPipeline} does. Run it with
 * {@link #run}; a failing {@code PAssert} surfaces as {@code PipelineExecutionException}.
 */
public final class TestPipelines {
  private TestPipelines() {}

  public static Pipeline create(String... args) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args).create();
    options.setStableUniqueNames(PipelineOptions.CheckEnabled.ERROR);
    return Pipeline.create(options);
  }

  public static void run(Pipeline p) {
    p.run().waitUntilFinish();
  }
}
