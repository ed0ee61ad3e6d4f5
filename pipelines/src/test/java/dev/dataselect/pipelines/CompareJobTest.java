package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.inference.WriteEmbeddings;
import dev.dataselect.transforms.inference.WriteScores;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --job=compare against a direct computation of the overlaps, mean qualities and coverage. */
class CompareJobTest {
  @TempDir Path dir;

  @Test
  void overlapsQualityCoverageAndRetentionMatchADirectComputation() throws IOException {
    int n = 120;
    int d = 8;
    SplittableRandom r = new SplittableRandom(4);
    List<Embedding> embeddings = new ArrayList<>();
    List<DocumentScore> quality = new ArrayList<>();
    Map<String, float[]> unit = new HashMap<>();
    Map<String, Double> q = new HashMap<>();
    for (int i = 0; i < n; i++) {
      float[] v = new float[d];
      for (int t = 0; t < d; t++) {
        v[t] = (float) r.nextGaussian();
      }
      String id = "doc" + i;
      embeddings.add(Embedding.of(id, v));
      double norm = 0;
      for (float x : v) {
        norm += x * x;
      }
      float[] u = new float[d];
      for (int t = 0; t < d; t++) {
        u[t] = (float) (v[t] / Math.sqrt(norm));
      }
      unit.put(id, u);
      q.put(id, r.nextDouble());
      quality.add(DocumentScore.of(id, q.get(id)));
    }
    Path cache = dir.resolve("cache");
    Path scores = dir.resolve("quality");
    Pipeline p = TestPipelines.create();
    p.apply("E", Create.of(embeddings)).apply(WriteEmbeddings.to(cache.toString()).withMetadata(Map.of("model", "test")).withNumShards(1));
    p.apply("Q", Create.of(quality)).apply(WriteScores.to(scores.toString()).withMetadata(Map.of("stage", "test")).withNumShards(1));
    TestPipelines.run(p);

    // Three selections: a main run's output, and a reselect output holding two.
    Set<String> a = new HashSet<>();
    Set<String> b = new HashSet<>();
    Set<String> c = new HashSet<>();
    for (int i = 0; i < n; i++) {
      if (i % 2 == 0) {
        a.add("doc" + i);
      }
      if (i % 3 == 0) {
        b.add("doc" + i);
      }
      if (i < 30) {
        c.add("doc" + i);
      }
    }
    writeIds(dir.resolve("runA/selected-ids"), a);
    writeIds(dir.resolve("re/selections/density-0.33/selected-ids"), b);
    writeIds(dir.resolve("re/selections/random-0.25/selected-ids"), c);

    Path out = dir.resolve("compare");
    TestPipelines.await(Dataselect.run(JobRuns.options("--job=compare", "--selections=" + dir.resolve("runA") + "," + dir.resolve("re"),
        "--embeddingsCache=" + cache, "--qualityScores=" + scores, "--clusters=3", "--coverageSample=100000",
        "--output=" + out)), JobRuns.JOB_LIMIT);
    JsonNode json = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
    assertTrue(Files.readString(out.resolve("compare.html")).contains("runA"));
    // The run report has the same tables as its section (from summary.json).
    String report = Files.readString(Path.of(dev.dataselect.pipelines.report.ReportPage.render(out.toString())));
    assertTrue(report.contains("Selections compared") && report.contains("density-0.33"), report);
    assertEquals(json, new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("comparison"));

    Map<String, Set<String>> sets = Map.of("runA", a, "density-0.33", b, "random-0.25", c);
    for (Map.Entry<String, Set<String>> s : sets.entrySet()) {
      JsonNode node = json.at("/selections/" + s.getKey());
      assertEquals(s.getValue().size(), node.get("selected").asLong(), s.getKey());
      double mean = s.getValue().stream().mapToDouble(q::get).average().getAsDouble();
      assertEquals(mean, node.get("meanQuality").asDouble(), 1e-9, s.getKey());
      // Coverage over every corpus point (the sample size exceeds the corpus).
      double coverage = 0;
      for (String id : unit.keySet()) {
        double best = Double.NEGATIVE_INFINITY;
        for (String k : s.getValue()) {
          double dot = 0;
          for (int t = 0; t < d; t++) {
            dot += (double) unit.get(id)[t] * unit.get(k)[t];
          }
          best = Math.max(best, dot);
        }
        coverage += Math.sqrt(Math.max(0, 2 - 2 * best));
      }
      // Float similarities: a point at distance 0 from itself reads as ~3e-4 (sqrt of 2 float ulps), so 1e-4 on the mean.
      assertEquals(coverage / n, node.get("coverageMeanDistance").asDouble(), 1e-4, s.getKey());
      double keptByRetention = 0;
      JsonNode retention = node.get("retentionPerCluster");
      assertTrue(retention.size() >= 1 && retention.size() <= 3, retention.toString());
      for (JsonNode v : retention) {
        assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1, retention.toString());
        keptByRetention += v.asDouble();
      }
      assertTrue(keptByRetention > 0);
    }
    for (String pair : List.of("density-0.33 | random-0.25", "density-0.33 | runA", "random-0.25 | runA")) {
      String[] names = pair.split(" \\| ");
      Set<String> x = sets.get(names[0]);
      Set<String> y = sets.get(names[1]);
      Set<String> both = new HashSet<>(x);
      both.retainAll(y);
      Set<String> union = new HashSet<>(x);
      union.addAll(y);
      JsonNode o = json.at("/overlaps/" + pair.replace("/", "~1"));
      assertEquals(both.size(), o.get("intersection").asLong(), pair);
      assertEquals((double) both.size() / union.size(), o.get("jaccard").asDouble(), 1e-12, pair);
    }
  }

  @Test
  void selectionsAloneGiveTheOverlaps() throws IOException {
    writeIds(dir.resolve("x/selected-ids"), Set.of("a", "b", "c"));
    writeIds(dir.resolve("y/selected-ids"), Set.of("b", "c", "d", "e"));
    Path out = dir.resolve("cmp");
    TestPipelines.await(Dataselect.run(JobRuns.options("--job=compare", "--selections=" + dir.resolve("x") + "," + dir.resolve("y"),
        "--output=" + out)), JobRuns.JOB_LIMIT);
    JsonNode json = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
    assertEquals(2, json.at("/overlaps/x | y/intersection").asLong());
    assertEquals(0.4, json.at("/overlaps/x | y/jaccard").asDouble(), 1e-12);
    assertEquals(4, json.at("/selections/y/selected").asLong());
    assertTrue(json.at("/selections/y/coverageMeanDistance").isMissingNode(), "no coverage without embeddings");
  }

  @Test
  void oneSelectionIsAnError() throws IOException {
    writeIds(dir.resolve("only/selected-ids"), Set.of("x"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dataselect.run(JobRuns.options("--job=compare", "--selections=" + dir.resolve("only"), "--output=" + dir.resolve("o"))));
    assertTrue(e.getMessage().contains("at least two"), e.getMessage());
  }

  private static void writeIds(Path folder, Set<String> ids) throws IOException {
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("part-00000-of-00001.txt"), String.join("\n", ids) + "\n");
  }
}
