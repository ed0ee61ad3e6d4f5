package dev.dataselect.transforms;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live counts of the stages of a pipeline running in this JVM (Flink's in-process cluster, the
 * DirectRunner), for progress lines a person reads while a local job runs.
 *
 * <p>Beam metrics cannot carry them: the Flink runner reports metrics only once the job is done,
 * and a downstream step sees a stage's output only when the runner ships it (in batches, or after
 * a blocking exchange). So a stage that works in long steps (model calls) adds to its tally as it
 * goes, and the job marks a stage done with its exact total when its output collection is complete.
 * On a distributed runner the tallies live on the workers and nobody reads them: the cost is one
 * counter increment per element. Not a metric: never used for results, only for display.
 */
public final class StageTallies {
  /** One stage's tally in this JVM. */
  public static final class Tally {
    private final LongAdder count = new LongAdder();
    private volatile long firstNanos;
    private volatile long total = -1;
    private volatile long doneNanos;

    public void add(long n) {
      if (firstNanos == 0) {
        firstNanos = System.nanoTime();
      }
      count.add(n);
    }

    public long count() {
      return count.sum();
    }

    /** When the first element was counted (System.nanoTime), or 0. */
    public long firstNanos() {
      return firstNanos;
    }

    /** Marks the stage done with its exact total. */
    public void done(long exactTotal) {
      doneNanos = System.nanoTime();
      total = exactTotal;
    }

    public boolean isDone() {
      return total >= 0;
    }

    /** The exact total once done, else -1. */
    public long total() {
      return total;
    }

    public long doneNanos() {
      return doneNanos;
    }
  }

  private static final Map<String, Tally> TALLIES = new ConcurrentHashMap<>();
  private static final Set<String> DECLARED = ConcurrentHashMap.newKeySet();

  private StageTallies() {}

  /** The tally of {@code stage}, created on first use. */
  public static Tally of(String stage) {
    return TALLIES.computeIfAbsent(stage, s -> new Tally());
  }

  /** The tally of {@code stage} if anything counted into it, else null. */
  public static Tally peek(String stage) {
    return TALLIES.get(stage);
  }

  /** Records, while the pipeline is built, that it has {@code stage}. */
  public static void declare(String stage) {
    DECLARED.add(stage);
  }

  public static boolean declared(String stage) {
    return DECLARED.contains(stage);
  }

  /** Forgets every tally and declaration (a new job in the same JVM starts from zero). */
  public static void reset() {
    TALLIES.clear();
    DECLARED.clear();
  }
}
