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
 * <p>Test pipelines run with one DirectRunner worker thread ({@code --targetParallelism=1}, unless
 * a test passes its own). With the default (three workers on a two-core machine), about one
 * pipeline in 27 never finished: its driver thread spun in {@code QuiescenceDriver.fireTimers}
 * with no work outstanding while a bundle waited on a side input that was already complete (6
 * hangs in 160 runs of {@code LimitByHashTest}'s edge-limit pipelines; the same pipelines with one
 * worker: 0 hangs in 400 runs, and twice as fast, 152 s against 294 s for 160). That hang held
 * CI until its limit once and forced reruns in three of five clean-clone runs.
 *
 * <p>{@link #run} still gives a pipeline {@link #HANG_LIMIT}, then cancels it and fails, so a
 * hang of any other cause fails its test with this message instead of holding the build.
 */
public final class TestPipelines {
  /** Far above the slowest test pipeline here (about a minute). */
  public static final Duration HANG_LIMIT = Duration.standardMinutes(3);

  private TestPipelines() {}

  public static Pipeline create(String... args) {
    // run() waits itself, with a limit (blockOnRun=true would wait inside Pipeline.run without one).
    List<String> all = new ArrayList<>(List.of("--blockOnRun=false"));
    if (Arrays.stream(args).noneMatch(a -> a.startsWith("--targetParallelism="))) {
      all.add("--targetParallelism=1");
    }
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
    await(p.run(), limit);
  }

  /** Waits {@link #HANG_LIMIT} for a pipeline already started; returns its final state. */
  public static PipelineResult.State await(PipelineResult result) {
    return await(result, HANG_LIMIT);
  }

  /**
   * Waits at most {@code limit} for {@code result}; a pipeline still running then is cancelled and
   * the test fails. A failed pipeline's exception propagates as {@code waitUntilFinish} throws it.
   */
  public static PipelineResult.State await(PipelineResult result, Duration limit) {
    PipelineResult.State state = result.waitUntilFinish(limit);
    if (state == null || !state.isTerminal()) {
      try {
        result.cancel();
      } catch (java.io.IOException | RuntimeException e) {
        // the failure below says what matters
      }
      throw new AssertionError("the DirectRunner did not finish this pipeline in " + limit.getStandardSeconds()
          + " s (state " + state + "); cancelled (see TestPipelines)");
    }
    return state;
  }
}
