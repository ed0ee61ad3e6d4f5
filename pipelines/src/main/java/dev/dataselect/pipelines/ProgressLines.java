package dev.dataselect.pipelines;

import dev.dataselect.transforms.StageTallies;
import java.io.PrintStream;
import java.util.List;

/**
 * Prints a progress line every few seconds while a job runs in this JVM: the stages still running,
 * each one's count against its known total with documents/s and an ETA, and the stages done (read
 * from {@link StageProgress}). Started before the job, because a local Flink run blocks in {@code
 * run()} until it is finished.
 */
final class ProgressLines implements AutoCloseable {
  /** The main job's stages in pipeline order: label, tally, and the tally that gives its total. */
  static final List<StageProgress.Stage> SELECT_STAGES =
      List.of(
          new StageProgress.Stage("read", "read", null),
          new StageProgress.Stage("in language", "language", null),
          new StageProgress.Stage("passed filters", "filters", null),
          new StageProgress.Stage("limit", "limit", null),
          new StageProgress.Stage("deduplicated", "candidates", null),
          new StageProgress.Stage("embedded", "Embed", "candidates"),
          new StageProgress.Stage("ask-llm scored", "AskLlmScore", "candidates"),
          new StageProgress.Stage("perplexity scored", "PerplexityScore", "candidates"),
          new StageProgress.Stage("density", "density", "candidates"),
          new StageProgress.Stage("selected", "selected", null),
          new StageProgress.Stage("files written", "write", null));

  private final Thread thread;

  private ProgressLines(Thread thread) {
    this.thread = thread;
  }

  static ProgressLines start(String job, int seconds, PrintStream out) {
    StageTallies.reset();
    long start = System.nanoTime();
    List<StageProgress.Stage> stages = job.equals("select") ? SELECT_STAGES : List.of();
    StageProgress.Reader reader = new StageProgress.Reader(stages, start);
    Thread t =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  Thread.sleep(seconds * 1000L);
                  out.println(reader.line(System.nanoTime()));
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "dataselect-progress");
    t.setDaemon(true);
    if (seconds > 0) {
      t.start();
    }
    return new ProgressLines(t);
  }

  @Override
  public void close() {
    thread.interrupt();
  }
}
