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
                  long docs = c.getOrDefault("documents", 0L);
                  double rate = (docs - lastDocs) / ((now - lastNanos) / 1e9);
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
      out.merge(c.getName().getName(), c.getAttempted(), Long::sum);
    }
    return out;
  }

  static String line(double elapsedSeconds, Map<String, Long> c, double docsPerSecond) {
    return String.format(
        Locale.ROOT,
        "progress %6.0fs  records=%d documents=%d deadLetters=%d duplicates=%d selected=%d  %.0f documents/s",
        elapsedSeconds,
        c.getOrDefault("records", 0L),
        c.getOrDefault("documents", 0L),
        c.getOrDefault("deadLetters", 0L),
        c.getOrDefault("duplicates", 0L),
        c.getOrDefault("selected", 0L),
        docsPerSecond);
  }

  @Override
  public void close() {
    thread.interrupt();
  }
}
