package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.report.ReportPage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job's coverage samplers on k-means clusters of real MiniLM embeddings: SemDeDup and SSL prototypes. */
class ClusterJobTest {
  @TempDir Path dir;

  private static final List<String> SENTENCES = List.of(
      "The central bank raised interest rates to slow inflation in the economy.",
      "A striker scored twice in the final minutes of the football match.",
      "The recipe calls for flour, butter, sugar and two eggs baked for an hour.",
      "Researchers sequenced the genome of a rare deep sea bacterium.",
      "The new smartphone has a larger battery and a faster processor.",
      "Volcanic ash closed three airports across the north of the country.",
      "The orchestra performed a symphony that had not been heard in a century.",
      "Farmers expect a smaller wheat harvest after the long summer drought.");

  /** 16 distinct documents (8 topics, two phrasings each) and a near-copy of 6 of them (one word added). */
  private Path corpus() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < SENTENCES.size(); i++) {
      line(s, "doc-" + i + "a", SENTENCES.get(i));
      line(s, "doc-" + i + "b", "In other news today: " + SENTENCES.get(i).toLowerCase() + " More details will follow next week.");
      if (i < 6) {
        line(s, "doc-" + i + "a-copy", SENTENCES.get(i).replace(".", " today."));
      }
    }
    return dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("in/c.jsonl"), s.toString());
  }

  private static void line(StringBuilder s, String id, String text) {
    s.append("{\"id\": \"").append(id).append("\", \"text\": \"").append(text).append("\"}\n");
  }

  @Test
  void semDeDupDropsExactlyTheDocumentsCloseToAPrecedingOneAndSaysWhich() throws IOException {
    Path out = dir.resolve("semdedup");
    double epsilon = 0.05;
    JsonNode summary = JobRuns.run("--input=" + corpus(), "--output=" + out, "--sampler=semdedup", "--semdedupEpsilon=" + epsilon,
        "--clusters=3", "--seed=2", "--progressSeconds=0");
    assertTrue(summary.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean());
    assertEquals(22, summary.get("selected").asLong() + summary.get("rejected").asLong(), summary.toString());
    Map<String, Double> similarity = ModelJobTest.scores(out.resolve("scores/semdedup"));
    assertEquals(22, similarity.size());
    Map<String, JsonNode> nearest = jsonLines(out.resolve("scores/semdedup-nearest"));
    assertEquals(22, nearest.size());
    Set<String> kept = new HashSet<>(List.of(JobRuns.selectedIds(out).split("\n")));
    int dropped = 0;
    for (Map.Entry<String, Double> e : similarity.entrySet()) {
      boolean isDuplicate = e.getValue() > 1 - epsilon;
      assertEquals(!isDuplicate, kept.contains(e.getKey()), e.getKey() + " similarity " + e.getValue());
      JsonNode n = nearest.get(e.getKey());
      assertEquals(e.getValue(), n.get("similarity").asDouble(), 1e-12);
      if (isDuplicate) {
        dropped++;
        assertNotNull(n.get("duplicateOf"), n.toString());
      }
    }
    assertEquals(summary.get("rejected").asLong(), dropped);
    // Every one-word copy is dropped or has its original dropped (they are far closer than 0.05 apart).
    for (int i = 0; i < 6; i++) {
      String a = "doc-" + i + "a";
      assertFalse(kept.contains(a) && kept.contains(a + "-copy"), a + " and its copy were both kept: " + nearest.get(a) + " " + nearest.get(a + "-copy"));
    }
    // The report's SemDeDup examples show, beside each, the preceding document it is closest to.
    JsonNode examples = new ObjectMapper().readTree(out.resolve("report/data/examples.json").toFile());
    JsonNode top = examples.at("/scores/semdedup/top");
    assertTrue(top.size() > 0, examples.toString());
    for (JsonNode row : top) {
      JsonNode n = nearest.get(row.get("id").asText());
      if (n.has("duplicateOf")) {
        assertEquals(n.get("duplicateOf").asText(), row.path("related").asText(), row.toString());
        assertFalse(row.path("relatedSnippet").asText().isEmpty(), row.toString());
      }
    }
    assertTrue(top.get(0).has("related"), "the most similar document has a preceding one: " + top.get(0));
    assertTrue(ReportPage.render(out.toString()).length() > 0);
    assertTrue(Files.readString(out.resolve("report/index.html")).contains("nearest preceding (duplicate of)"));

    // Score once, select many: the reselect job draws both cluster samplers at two rates from this run's scores.
    Path again = dir.resolve("reselect");
    JsonNode re = JobRuns.run("--job=reselect", "--scores=" + out, "--output=" + again, "--sampler=semdedup,prototypes",
        "--rates=0.25,0.5", "--progressSeconds=0");
    Map<String, Double> distance = ModelJobTest.scores(out.resolve("scores/prototypes"));
    assertEquals(22, distance.size());
    for (String sampler : List.of("semdedup", "prototypes")) {
      for (String rate : List.of("0.25", "0.5")) {
        Path ids = again.resolve("selections/" + sampler + "-" + rate);
        Set<String> keptIds = new HashSet<>(List.of(JobRuns.selectedIds(ids).split("\n")));
        // rate x 22 = 5.5 or 11: a fractional boundary is kept or not by a hash draw.
        assertTrue(Math.abs(keptIds.size() - 22 * Double.parseDouble(rate)) < 1, sampler + " " + rate + ": " + re);
        // Each keeps the documents first by its own score: least similar to a preceding one, or farthest from the centroid.
        Map<String, Double> score = sampler.equals("semdedup") ? similarity : distance;
        double worstKept = keptIds.stream().mapToDouble(score::get).map(v -> sampler.equals("semdedup") ? v : -v).max().getAsDouble();
        for (Map.Entry<String, Double> e : score.entrySet()) {
          double v = sampler.equals("semdedup") ? e.getValue() : -e.getValue();
          if (v < worstKept) {
            assertTrue(keptIds.contains(e.getKey()), sampler + " " + rate + " dropped " + e.getKey() + " before a worse one");
          }
        }
      }
    }
    List<String> centroids = Files.readAllLines(singleFile(out.resolve("clusters")));
    assertEquals(3, centroids.size());
    long members = 0;
    for (String c : centroids) {
      JsonNode node = new ObjectMapper().readTree(c);
      assertEquals(384, node.get("vector").size());
      members += node.get("size").asLong();
    }
    assertEquals(22, members);
  }

  @Test
  void prototypesKeepTheRateFarthestFromTheirCentroid() throws IOException {
    Path out = dir.resolve("prototypes");
    JsonNode summary = JobRuns.run("--input=" + corpus(), "--output=" + out, "--sampler=prototypes", "--rate=0.5",
        "--clusters=4", "--seed=2", "--progressSeconds=0");
    assertEquals(22, summary.get("documents").asLong(), summary.toString());
    assertEquals(11, summary.get("selected").asLong());
    Map<String, Double> distance = ModelJobTest.scores(out.resolve("scores/prototypes"));
    assertEquals(22, distance.size());
    List<String> farthest = distance.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
        .limit(11).map(Map.Entry::getKey).sorted().collect(Collectors.toList());
    assertEquals(String.join("\n", farthest), JobRuns.selectedIds(out));
  }

  @Test
  void oneRunWithAllCoverageScoresFeedsEveryCoverageSamplerInTheReselectJob() throws IOException {
    Path out = dir.resolve("all");
    JobRuns.run("--input=" + corpus(), "--output=" + out, "--sampler=random", "--rate=0.5", "--allCoverageScores=true",
        "--clusters=3", "--seed=2", "--progressSeconds=0");
    for (String score : List.of("density", "prototypes", "semdedup")) {
      assertEquals(22, ModelJobTest.scores(out.resolve("scores/" + score)).size(), score);
    }
    Path again = dir.resolve("allReselect");
    JsonNode re = JobRuns.run("--job=reselect", "--scores=" + out, "--output=" + again,
        "--sampler=density,sparsest,prototypes,semdedup,random", "--rates=0.5", "--progressSeconds=0");
    for (String sampler : List.of("density", "sparsest", "prototypes", "semdedup", "random")) {
      assertTrue(re.at("/selections/" + sampler + "-0.5/selected").asLong() > 0, sampler + ": " + re);
    }
  }

  private static Path singleFile(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      List<Path> files = s.filter(f -> !f.getFileName().toString().startsWith(".")).collect(Collectors.toList());
      assertEquals(1, files.size(), files.toString());
      return files.get(0);
    }
  }

  private static Map<String, JsonNode> jsonLines(Path folder) throws IOException {
    Map<String, JsonNode> out = new HashMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(folder)) {
      files = s.filter(f -> f.toString().endsWith(".jsonl.gz")).collect(Collectors.toList());
    }
    ObjectMapper json = new ObjectMapper();
    for (Path f : files) {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          JsonNode n = json.readTree(line);
          out.put(n.get("id").asText(), n);
        }
      }
    }
    return out;
  }
}
