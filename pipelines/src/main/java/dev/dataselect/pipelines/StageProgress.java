package dev.dataselect.pipelines;

import dev.dataselect.transforms.StageTallies;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The main job's progress lines: {@link JobCounts} taps the collections between its stages into
 * this JVM's {@link StageTallies} (a side branch: no stage's output changes) and marks each stage
 * done with its exact total once its input is complete; {@link Reader} turns the tallies into one
 * line every few seconds. The model stages tick their own tallies as each batch finishes (see
 * {@code BatchInference}).
 */
final class StageProgress {
  private StageProgress() {}

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

  /** Turns tallies into lines; remembers the last reading of each stage to give rates. */
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
     * One line: elapsed time, the stages running with count / expected total, documents/s and
     * ETA (a stage with nothing counted yet shows how long it has been running: a combine, a
     * write, a model loading), and the stages done with their counts. Stages the pipeline does
     * not have are left out.
     */
    String line(long now) {
      double interval = Math.max(1e-3, (now - lastNanos) / 1e9);
      List<String> running = new ArrayList<>();
      List<String> done = new ArrayList<>();
      long previousDone = startNanos;
      boolean previousFinished = true;
      // The stages are in pipeline order, each downstream of the one before: once a later stage
      // is done, every earlier one has seen all its input, even when the runner has not yet run
      // the step that marks it done (Flink's batch mode can hold a counting branch behind a
      // blocking exchange until the job's end). Such a stage shows as done with what it counted.
      boolean[] laterDone = new boolean[stages.size()];
      for (int i = stages.size() - 2; i >= 0; i--) {
        StageTallies.Tally next = StageTallies.declared(stages.get(i + 1).tally) ? StageTallies.peek(stages.get(i + 1).tally) : null;
        laterDone[i] = laterDone[i + 1] || (next != null && next.isDone());
      }
      for (int i = 0; i < stages.size(); i++) {
        Stage s = stages.get(i);
        if (!StageTallies.declared(s.tally)) {
          continue;
        }
        StageTallies.Tally t = StageTallies.peek(s.tally);
        long count = t == null ? 0 : t.count();
        double rate = Math.max(0, count - lastCounts[i]) / interval;
        lastCounts[i] = count;
        if (t != null && t.isDone()) {
          done.add(String.format(Locale.ROOT, "%s %,d", s.label, t.total()));
          previousDone = t.doneNanos();
          previousFinished = true;
          continue;
        }
        if (laterDone[i]) {
          // Its count too may be held back (0 so far): then the label alone, not a wrong number.
          done.add(count == 0 ? s.label : String.format(Locale.ROOT, "%s %,d", s.label, count));
          previousFinished = true;
          continue;
        }
        if (count == 0 && !previousFinished) {
          continue; // not started, and its input is still coming
        }
        long since = t != null && t.firstNanos() != 0 ? Math.min(t.firstNanos(), previousDone) : previousDone;
        StageTallies.Tally expected = s.expected == null ? null : StageTallies.peek(s.expected);
        StringBuilder b = new StringBuilder(s.label).append(' ');
        if (count == 0) {
          b.append(String.format(Locale.ROOT, "running %.0fs", (now - since) / 1e9));
        } else if (expected != null && expected.isDone() && expected.total() > 0) {
          long total = expected.total();
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
