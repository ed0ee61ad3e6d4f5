package dev.dataselect.pipelines;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Prints a progress line every few seconds while a local pipeline runs: counts so far and documents
 * per second, read from the pipeline's (attempted) Beam metrics, so a long run is never silent.
 */
final class Progress implements AutoCloseable {
  private final Thread thread;

  private Progress(Thread thread) {
    this.thread = thread;
  }

  static Progress watch(PipelineResult result, int seconds, PrintStream out) {
    long start = System.nanoTime();
    Thread t =
        new Thread(
            () -> {
              long lastDocs = 0;
              long lastNanos = start;
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  Thread.sleep(seconds * 1000L);
                  Map<String, Long> c = counters(result);
                  long now = System.nanoTime();
                  // The rate of the slowest stage that has started: the model stage if any, else reading.
                  long docs = modelDocuments(c) > 0 ? modelDocuments(c) : c.getOrDefault("ReadCorpus.documents", 0L);
                  double rate = Math.max(0, docs - lastDocs) / ((now - lastNanos) / 1e9);
                  out.println(line((now - start) / 1e9, c, rate));
                  lastDocs = docs;
                  lastNanos = now;
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (RuntimeException e) {
                out.println("progress: metrics unavailable on this runner (" + e.getMessage() + ")");
              }
            },
            "dataselect-progress");
    t.setDaemon(true);
    if (seconds > 0) {
      t.start();
    }
    return new Progress(t);
  }

  static Map<String, Long> counters(PipelineResult result) {
    MetricQueryResults q = result.metrics().queryMetrics(MetricsFilter.builder().build());
    Map<String, Long> out = new TreeMap<>();
    for (MetricResult<Long> c : q.getCounters()) {
      String ns = c.getName().getNamespace();
      out.merge(ns.substring(ns.lastIndexOf('.') + 1) + "." + c.getName().getName(), c.getAttempted(), Long::sum);
    }
    return out;
  }

  static long modelDocuments(Map<String, Long> c) {
    return Math.max(
        c.getOrDefault("Embed.documents", 0L),
        Math.max(c.getOrDefault("AskLlmScore.documents", 0L), c.getOrDefault("PerplexityScore.documents", 0L)));
  }

  static String line(double elapsedSeconds, Map<String, Long> c, double docsPerSecond) {
    return String.format(
        Locale.ROOT,
        "progress %6.0fs  records=%d documents=%d deadLetters=%d duplicates=%d embedded=%d scored=%d selected=%d  %.1f documents/s",
        elapsedSeconds,
        c.getOrDefault("ReadCorpus.records", 0L),
        c.getOrDefault("ReadCorpus.documents", 0L),
        c.getOrDefault("ReadCorpus.deadLetters", 0L),
        c.getOrDefault("RemoveDuplicates.duplicates", 0L),
        c.getOrDefault("Embed.documents", 0L),
        c.getOrDefault("AskLlmScore.documents", 0L) + c.getOrDefault("PerplexityScore.documents", 0L),
        c.getOrDefault("Select.selected", 0L) + c.getOrDefault("SampleByDensity.selected", 0L),
        docsPerSecond);
  }

  @Override
  public void close() {
    thread.interrupt();
  }
}
