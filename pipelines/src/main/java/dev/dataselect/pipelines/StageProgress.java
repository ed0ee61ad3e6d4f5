package dev.dataselect.pipelines;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Live per-stage progress of a job running in this JVM (the in-process Flink cluster, or the
 * DirectRunner), for the progress lines of {@code bin/dataselect}.
 *
 * <p>Beam metrics cannot carry it: the Flink runner reports them only when the job has finished,
 * and the DirectRunner's attempted values lag. So the job taps the collections between its stages
 * ({@link #track}): a pass-through-free side branch counts each element into a process-wide tally
 * as it passes, and a {@link Count} of the same collection marks the stage done with its exact
 * total once its input is complete. Both are side branches, so they change no stage's output. On a
 * distributed runner the tallies live on the workers and nobody reads them: the cost is one
 * counter increment per element and one tiny count per stage.
 */
final class StageProgress {
  /** One stage's tally in this JVM. */
  static final class Tally {
    final LongAdder count = new LongAdder();
    volatile long firstNanos;
    volatile long lastNanos;
    /** The exact final count once the stage's collection is complete, else -1. */
    volatile long total = -1;
    volatile long doneNanos;

    void add(long now) {
      if (firstNanos == 0) {
        firstNanos = now;
      }
      lastNanos = now;
      count.increment();
    }

    boolean done() {
      return total >= 0;
    }
  }

  private static final Map<String, Tally> TALLIES = new ConcurrentHashMap<>();

  private StageProgress() {}

  static Tally tally(String stage) {
    return TALLIES.computeIfAbsent(stage, s -> new Tally());
  }

  /** Forgets every tally (a new job in the same JVM starts from zero). */
  static void reset() {
    TALLIES.clear();
  }

  /** Counts {@code input}'s elements into the tally of {@code stage} and marks it done when complete. */
  static <T> void track(PCollection<T> input, String stage) {
    input.apply("Progress " + stage, new Track<>(stage));
  }

  private static final class Track<T> extends PTransform<PCollection<T>, PDone> {
    private final String stage;

    Track(String stage) {
      this.stage = stage;
    }

    @Override
    public PDone expand(PCollection<T> input) {
      input.apply("Tally", ParDo.of(new TallyFn<T>(stage)));
      input.apply("Total", Count.globally()).apply("Done", ParDo.of(new DoneFn(stage)));
      return PDone.in(input.getPipeline());
    }
  }

  private static final class TallyFn<T> extends DoFn<T, Void> {
    private final String stage;
    private transient Tally tally;

    TallyFn(String stage) {
      this.stage = stage;
    }

    @Setup
    public void setup() {
      tally = tally(stage);
    }

    @ProcessElement
    public void process() {
      tally.add(System.nanoTime());
    }
  }

  private static final class DoneFn extends DoFn<Long, Void> {
    private final String stage;

    DoneFn(String stage) {
      this.stage = stage;
    }

    @ProcessElement
    public void process(@Element Long n) {
      Tally t = tally(stage);
      t.doneNanos = System.nanoTime();
      t.total = n;
    }
  }

  /**
   * A stage of the progress line: its label, the tally it reads, and the tally whose total is the
   * number it will reach (null when unknown in advance).
   */
  static final class Stage {
    final String label;
    final String tally;
    final String expected;

    Stage(String label, String tally, String expected) {
      this.label = label;
      this.tally = tally;
      this.expected = expected;
    }
  }

  /** The last reading of each stage, to turn counts into rates. */
  static final class Reader {
    private final List<Stage> stages;
    private final long startNanos;
    private final long[] lastCounts;
    private long lastNanos;

    Reader(List<Stage> stages, long startNanos) {
      this.stages = stages;
      this.startNanos = startNanos;
      this.lastCounts = new long[stages.size()];
      this.lastNanos = startNanos;
    }

    /**
     * One line: elapsed time, the stages still running with count / expected total, rate and ETA
     * (a stage that has no per-document output yet shows how long it has been running), and the
     * stages done with their counts.
     */
    String line(long now) {
      double interval = Math.max(1e-3, (now - lastNanos) / 1e9);
      List<String> running = new ArrayList<>();
      List<String> done = new ArrayList<>();
      long previousDone = startNanos;
      boolean previousFinished = true;
      for (int i = 0; i < stages.size(); i++) {
        Stage s = stages.get(i);
        Tally t = TALLIES.get(s.tally);
        long count = t == null ? 0 : t.count.sum();
        double rate = Math.max(0, count - lastCounts[i]) / interval;
        lastCounts[i] = count;
        if (t != null && t.done()) {
          done.add(s.label + " " + String.format(Locale.ROOT, "%,d", t.total));
          previousDone = t.doneNanos;
          previousFinished = true;
          continue;
        }
        long since = t != null && t.firstNanos != 0 ? Math.min(t.firstNanos, previousDone) : previousDone;
        if (count == 0 && !previousFinished) {
          previousFinished = false;
          continue; // not started, and its input is still coming
        }
        Tally expected = s.expected == null ? null : TALLIES.get(s.expected);
        StringBuilder b = new StringBuilder(s.label).append(' ');
        if (count == 0) {
          b.append(String.format(Locale.ROOT, "running %.0fs", (now - since) / 1e9));
        } else if (expected != null && expected.done() && expected.total > 0) {
          long total = expected.total;
          b.append(String.format(Locale.ROOT, "%,d/%,d %.0f%% %.1f/s", count, total, 100.0 * count / total, rate));
          if (rate > 0 && count < total) {
            b.append(String.format(Locale.ROOT, " ETA %.0fs", (total - count) / rate));
          }
        } else {
          b.append(String.format(Locale.ROOT, "%,d %.1f/s", count, rate));
        }
        running.add(b.toString());
        previousFinished = false;
      }
      lastNanos = now;
      return String.format(Locale.ROOT, "[%5.0fs] ", (now - startNanos) / 1e9)
          + (running.isEmpty() ? "finishing" : "running: " + String.join(" | ", running))
          + (done.isEmpty() ? "" : "   done: " + String.join(", ", done));
    }
  }
}
