package dev.dataselect.transforms.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;

/**
 * Pipelines for JUnit 5 tests (Beam 2.62's {@code TestPipeline} is JUnit 4 only): a DirectRunner
 * pipeline that checks encodability and immutability like {@code TestPipeline} does. Run it with
 * {@link #run}; a failing {@code PAssert} surfaces as {@code PipelineExecutionException}.
 *
 * <p>{@link #run} gives a pipeline {@link #HANG_LIMIT}, then cancels it and fails. In three of
 * about eight runs of {@code LimitByHashTest} (side inputs chained over several passes), one of its
 * pipelines never finished: the DirectRunner's three workers spun in {@code
 * QuiescenceDriver.fireTimers}, where the same pipeline otherwise finishes in seconds (not
 * root-caused). A stuck pipeline thus fails its test in minutes, with this message, instead of
 * holding the build until CI's limit; surefire then runs a failed test up to twice more ({@code
 * rerunFailingTestsCount} in the parent pom, reported as a flake when a rerun passes).
 */
public final class TestPipelines {
  /** Far above the slowest test pipeline here (about a minute). */
  public static final Duration HANG_LIMIT = Duration.standardMinutes(3);

  private TestPipelines() {}

  public static Pipeline create(String... args) {
    // run() waits itself, with a limit (blockOnRun=true would wait inside Pipeline.run without one).
    List<String> all = new ArrayList<>(List.of("--blockOnRun=false"));
    all.addAll(Arrays.asList(args));
    PipelineOptions options = PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).create();
    options.setStableUniqueNames(PipelineOptions.CheckEnabled.ERROR);
    return Pipeline.create(options);
  }

  public static void run(Pipeline p) {
    run(p, HANG_LIMIT);
  }

  /**
   * Runs {@code p} and waits at most {@code limit}: a test whose pipelines are quick passes a
   * shorter limit, so a DirectRunner livelock costs its rerun less time.
   */
  public static void run(Pipeline p, Duration limit) {
    PipelineResult result = p.run();
    PipelineResult.State state = result.waitUntilFinish(limit);
    if (state == null || !state.isTerminal()) {
      try {
        result.cancel();
      } catch (java.io.IOException | RuntimeException e) {
        // the failure below says what matters
      }
      throw new AssertionError("the DirectRunner did not finish this pipeline in " + limit.getStandardSeconds()
          + " s (state " + state + "); cancelled. See TestPipelines: a rare DirectRunner livelock, not this test's logic");
    }
  }
}
