package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Score once, select many: the reselect job over the scores a real main-job run persisted. */
class ReselectJobTest {
  @TempDir Path dir;

  private Path corpus() {
    StringBuilder s = new StringBuilder();
    String[] topics = {
      "The central bank raised interest rates to slow inflation",
      "A striker scored twice in the final minutes of the match",
      "The recipe calls for flour, butter, sugar and two eggs",
      "Researchers sequenced the genome of a deep sea bacterium"};
    for (int i = 0; i < 60; i++) {
      s.append("{\"id\": \"d").append(i).append("\", \"text\": \"").append(topics[i % 7 == 0 ? 1 + i % 3 : 0]).append(", note ").append(i).append(".\"}\n");
    }
    return dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("in/c.jsonl"), s.toString());
  }

  @Test
  void reselectReproducesTheMainJobAndWritesEveryRateWithItsDocuments() throws IOException {
    Path in = corpus();
    Path main = dir.resolve("main");
    String cache = "--embeddingsCache=" + dir.resolve("emb");
    JobRuns.run("--input=" + in, "--output=" + main, "--sampler=density", "--rate=0.3", "--seed=3", "--kdeSampleSize=40", "--progressSeconds=0", cache);

    Path re = dir.resolve("re");
    JsonNode summary = JobRuns.run("--job=reselect", "--scores=" + main, "--output=" + re, "--sampler=density,densest,random",
        "--rates=0.1,0.3", "--seed=3", "--withDocuments=true", "--progressSeconds=0");
    // The same scores, sampler, rate and seed give the main job's selection exactly.
    assertEquals(JobRuns.selectedIds(main), ids(re.resolve("selections/density-0.3")));
    assertEquals(60, summary.at("/scores/density").asLong());
    for (String label : List.of("density-0.1", "density-0.3", "densest-0.1", "densest-0.3", "random-0.1", "random-0.3")) {
      JsonNode s = summary.at("/selections/" + label);
      assertEquals(60, s.get("selected").asLong() + s.get("rejected").asLong(), label);
      assertEquals(s.get("selected").asLong(), s.get("documents").asLong(), label + ": documents joined back");
      assertEquals(s.get("selected").asLong(), documents(re.resolve("selections/" + label + "/selected")).size(), label);
      assertEquals(s.get("selected").asLong(), ids(re.resolve("selections/" + label)).split("\n").length, label);
    }
    // Top-k is exact: 10% and 30% of 60.
    assertEquals(6, summary.at("/selections/densest-0.1/selected").asLong());
    assertEquals(18, summary.at("/selections/densest-0.3/selected").asLong());
    assertEquals(18, summary.at("/selections/densest-0.3/target").asLong());
    for (Iterator<Map.Entry<String, JsonNode>> it = summary.get("reconciles").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> check = it.next();
      assertTrue(check.getValue().asBoolean(), check.getKey());
    }
    // The report of the reselect run: every selection's figures, an overlay per sampler and rate.
    String page = Files.readString(Path.of(dev.dataselect.pipelines.report.ReportPage.render(re.toString())));
    assertTrue(page.contains("data-summary=\"/selections/densest-0.3/selected\">18<"), "the page shows densest-0.3's count");
    try (Stream<Path> data = Files.list(re.resolve("report/data"))) {
      assertEquals(6, data.filter(f -> f.getFileName().toString().startsWith("decisions-")).count());
    }
    // The joined documents are the corpus's own records.
    assertTrue(documents(re.resolve("selections/density-0.3/selected")).stream().allMatch(d -> d.contains(", note ")));

    // The main job with a count: exactly that many of the sparsest, embeddings read from the cache.
    JsonNode counted = JobRuns.run("--input=" + in, "--output=" + dir.resolve("count"), "--sampler=sparsest", "--count=7", "--seed=3",
        "--kdeSampleSize=40", "--progressSeconds=0", cache);
    assertEquals(7, counted.get("selected").asLong());
    assertEquals(7, counted.get("target").asLong());
    assertEquals(53, counted.get("rejected").asLong());

    // Thresholds: every document at least as dense as the densest-0.3 selection's least dense one.
    Map<String, Double> density = ModelJobTest.scores(main.resolve("scores/density"));
    double cut = java.util.Arrays.stream(ids(re.resolve("selections/densest-0.3")).split("\n")).mapToDouble(density::get).min().orElseThrow();
    JsonNode thresholded = JobRuns.run("--job=reselect", "--scores=" + main, "--output=" + dir.resolve("t"), "--sampler=densest",
        "--thresholds=" + cut, "--progressSeconds=0");
    assertEquals(density.values().stream().filter(v -> v >= cut).count(), thresholded.at("/selections/densest-t" + cut + "/selected").asLong());

    // Reselect refuses what it cannot do, before writing anything.
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--job=reselect", "--scores=" + main,
        "--output=" + dir.resolve("q"), "--sampler=quality")).getMessage().contains("needs quality scores"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--job=reselect", "--scores=" + main,
        "--output=" + main, "--sampler=density")).getMessage().contains("another folder"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--job=reselect", "--scores=" + main,
        "--output=" + dir.resolve("r"), "--rates=0.1,x")).getMessage().contains("--rates"));
  }

  private static String ids(Path selection) {
    return JobRuns.selectedIds(selection);
  }

  private static List<String> documents(Path folder) {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        try (InputStream gz = new GZIPInputStream(Files.newInputStream(f))) {
          String text = new String(gz.readAllBytes(), StandardCharsets.UTF_8);
          text.lines().filter(l -> !l.isBlank()).forEach(out::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
