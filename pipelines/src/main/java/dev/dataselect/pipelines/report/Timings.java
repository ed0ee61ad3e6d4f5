package dev.dataselect.pipelines.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.MetricValues;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * Writes {@code report/data/timings.json} from a finished pipeline's Beam metrics: per stage, the
 * documents it handled, the time its workers spent in it (the sum of its timed batches, where the
 * stage times itself) and the rates that follow. Metrics are committed values where the runner
 * reports them and attempted values elsewhere (Flink; retried bundles can count twice there), via
 * {@link MetricValues#settled}; the page says which.
 */
public final class Timings {
  /** Stage, its metrics namespace's simple name, its document counter, its time distribution (or null). */
  private static final List<String[]> STAGES = List.of(
      new String[] {"Read corpus", "ReadCorpus", "documents", null},
      new String[] {"Remove duplicates (duplicates found)", "RemoveDuplicates", "duplicates", null},
      new String[] {"ASK-LLM score", "AskLlmScore", "documents", "batchLatencyMicros"},
      new String[] {"Perplexity score", "PerplexityScore", "documents", "batchLatencyMicros"},
      new String[] {"Embed", "Embed", "documents", "batchLatencyMicros"},
      new String[] {"KDE density", "KdeDensity", "embeddings_scored", "batchLatencyMicros"},
      new String[] {"Sample by score", "SampleByDensity", "selected+rejected", null},
      new String[] {"Random select", "Select", "selected+rejected", null});

  private Timings() {}

  /** Queries {@code result}'s metrics and writes them with the run's wall time to the report data folder. */
  public static void write(PipelineResult result, String output, double wallSeconds) throws IOException {
    Map<String, Long> counters = new TreeMap<>();
    Map<String, DistributionResult> distributions = new TreeMap<>();
    MetricQueryResults q = result.metrics().queryMetrics(MetricsFilter.builder().build());
    String kind = "attempted";
    for (MetricResult<Long> c : q.getCounters()) {
      kind = MetricValues.kind(c);
      counters.merge(key(c), MetricValues.settled(c), Long::sum);
    }
    for (MetricResult<DistributionResult> d : q.getDistributions()) {
      distributions.merge(key(d), MetricValues.settled(d), (a, b) -> DistributionResult.create(
          a.getSum() + b.getSum(), a.getCount() + b.getCount(), Math.min(a.getMin(), b.getMin()), Math.max(a.getMax(), b.getMax())));
    }
    ReportFiles.write(RunReport.dataDir(output) + "timings.json", toJson(counters, distributions, wallSeconds, kind));
  }

  private static String key(MetricResult<?> m) {
    String ns = m.getName().getNamespace();
    return ns.substring(ns.lastIndexOf('.') + 1) + "." + m.getName().getName();
  }

  static ObjectNode toJson(
      Map<String, Long> counters, Map<String, DistributionResult> distributions, double wallSeconds, String kind) {
    ObjectNode root = new ObjectMapper().createObjectNode().put("kind", "timings").put("metrics", kind);
    root.put("wallSeconds", wallSeconds);
    ArrayNode stages = root.putArray("stages");
    for (String[] s : STAGES) {
      long docs = 0;
      boolean seen = false;
      for (String counter : s[2].split("\\+")) {
        Long n = counters.get(s[1] + "." + counter);
        if (n != null) {
          docs += n;
          seen = true;
        }
      }
      if (!seen) {
        continue;
      }
      ObjectNode row = stages.addObject().put("stage", s[0]).put("namespace", s[1]).put("documents", docs)
          .put("counted", s[2]);
      if (wallSeconds > 0) {
        row.put("documentsPerWallSecond", docs / wallSeconds);
      }
      DistributionResult time = s[3] == null ? null : distributions.get(s[1] + "." + s[3]);
      if (time != null && time.getCount() > 0) {
        double busy = time.getSum() / 1e6;
        row.put("busySeconds", busy).put("batches", time.getCount());
        if (busy > 0) {
          row.put("documentsPerBusySecond", docs / busy);
        }
      }
      DistributionResult load = distributions.get(s[1] + ".modelLoadMillis");
      if (load != null && load.getCount() > 0) {
        row.put("modelLoadSeconds", load.getSum() / 1000.0);
      }
      Long tokens = counters.get(s[1] + ".tokens");
      if (tokens != null) {
        row.put("tokens", tokens);
      }
    }
    Map<String, Long> all = new LinkedHashMap<>(counters);
    ObjectNode raw = root.putObject("counters");
    all.forEach(raw::put);
    return root;
  }
}
