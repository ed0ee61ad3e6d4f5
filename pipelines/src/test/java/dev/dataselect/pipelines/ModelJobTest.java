package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job with its model stages: DENSITY over real MiniLM embeddings, ASK-LLM over a fixture. */
class ModelJobTest {
  @TempDir Path dir;

  private static final List<String> TOPICS = List.of(
      "The central bank raised interest rates to slow inflation in the economy",
      "A striker scored twice in the final minutes of the football match",
      "The recipe calls for flour, butter, sugar and two eggs baked for an hour",
      "Researchers sequenced the genome of a rare deep sea bacterium",
      "The new smartphone has a larger battery and a faster processor");

  /** 60 documents: 50 variations of the first topic (a dense cluster) and 10 spread over the rest. */
  private Path corpus() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      s.append("{\"id\": \"dense-").append(i).append("\", \"text\": \"").append(TOPICS.get(0)).append(", report number ").append(i).append(".\"}\n");
    }
    for (int i = 0; i < 10; i++) {
      s.append("{\"id\": \"sparse-").append(i).append("\", \"text\": \"").append(TOPICS.get(1 + i % 4)).append(", story ").append(i).append(".\"}\n");
    }
    return dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("in/c.jsonl"), s.toString());
  }

  @Test
  void densitySamplingIsDeterministicReconcilesAndFavoursSparseDocuments() throws IOException {
    Path in = corpus();
    String[] args = {"--input=" + in, "--sampler=density", "--rate=0.3", "--seed=3", "--kdeSampleSize=40", "--progressSeconds=0"};
    JsonNode a = JobRuns.run(concat(args, "--output=" + dir.resolve("a")));
    JobRuns.run(concat(args, "--output=" + dir.resolve("b")));
    assertEquals(JobRuns.selectedIds(dir.resolve("a")), JobRuns.selectedIds(dir.resolve("b")));
    assertEquals(0, a.get("unscored").asLong());
    assertEquals(60, a.get("selected").asLong() + a.get("rejected").asLong());
    assertTrue(a.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean());
    Map<String, Double> density = scores(dir.resolve("a/scores/density"));
    assertEquals(60, density.size());
    // Inverse propensity: the 10 documents outside the dense cluster are kept at a higher rate.
    List<String> ids = List.of(JobRuns.selectedIds(dir.resolve("a")).split("\n"));
    long sparseKept = ids.stream().filter(id -> id.startsWith("sparse-")).count();
    long denseKept = ids.stream().filter(id -> id.startsWith("dense-")).count();
    assertTrue(sparseKept / 10.0 > denseKept / 50.0, "sparse kept " + sparseKept + "/10, dense kept " + denseKept + "/50");
  }

  @Test
  void embeddingsCacheIsWrittenOnceAndReadOnTheNextRun() throws IOException {
    Path in = corpus();
    Path cache = dir.resolve("cache");
    String[] args = {"--input=" + in, "--sampler=density", "--rate=0.3", "--seed=5", "--kdeSampleSize=40",
        "--progressSeconds=0", "--embeddingsCache=" + cache};
    JobRuns.run(concat(args, "--output=" + dir.resolve("first")));
    Map<Path, java.nio.file.attribute.FileTime> written = new HashMap<>();
    try (Stream<Path> files = Files.list(cache)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        written.put(f, Files.getLastModifiedTime(f));
      }
    }
    assertTrue(written.keySet().stream().anyMatch(f -> f.toString().endsWith(".parquet")), "cache written: " + written);
    JsonNode second = JobRuns.run(concat(args, "--output=" + dir.resolve("second")));
    assertEquals(JobRuns.selectedIds(dir.resolve("first")), JobRuns.selectedIds(dir.resolve("second")));
    assertEquals(0, second.get("unscored").asLong());
    for (Map.Entry<Path, java.nio.file.attribute.FileTime> e : written.entrySet()) {
      assertEquals(e.getValue(), Files.getLastModifiedTime(e.getKey()), "the cache is read, not rewritten: " + e.getKey());
    }

    // Another corpus over the same cache: 5 of its documents gone, 2 new. Only the corpus's own
    // vectors reach the density stage; the 2 the cache lacks are dead letters, and counts reconcile.
    List<String> lines = Files.readAllLines(in);
    List<String> changed = new java.util.ArrayList<>(lines.subList(5, lines.size()));
    changed.add("{\"id\": \"new-1\", \"text\": \"A document the cache has never seen.\"}");
    changed.add("{\"id\": \"new-2\", \"text\": \"Another one it has not seen either.\"}");
    Path other = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("other/c.jsonl"), String.join("\n", changed) + "\n");
    JsonNode third = JobRuns.run("--input=" + other, "--sampler=density", "--rate=0.3", "--seed=5", "--kdeSampleSize=40",
        "--progressSeconds=0", "--embeddingsCache=" + cache, "--output=" + dir.resolve("third"));
    assertEquals(55, scores(dir.resolve("third/scores/density")).size(), third.toString());
    assertEquals(2, third.get("unscored").asLong(), third.toString());
    assertEquals(2, third.get("inferenceFailures").asLong(), third.toString());
    assertEquals(55, third.get("selected").asLong() + third.get("rejected").asLong(), third.toString());
    third.get("reconciles").forEach(r -> assertTrue(r.asBoolean(), third.toString()));
  }

  @Test
  void qualitySamplingKeepsTheHighestAskLlmScores() throws IOException {
    List<String> words = List.of("the cat", "the dog", "a big red ball", "the cat sat on the mat", "a dog ran", "the red mat", "a big cat", "the ball");
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      s.append("{\"id\": \"q").append(i).append("\", \"text\": \"").append(words.get(i % words.size())).append(" ").append(words.get((i * 3) % words.size())).append(i % 5 == 0 ? " yes" : "").append("\"}\n");
    }
    Path in = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("q.jsonl"), s.toString());
    Path out = dir.resolve("q");
    JsonNode summary = JobRuns.run("--input=" + in, "--output=" + out, "--quality=askllm", "--askLlmModel=" + JobRuns.askLlmFixture(dir),
        "--sampler=quality", "--rate=0.5", "--dedup=false", "--progressSeconds=0");
    Map<String, Double> score = scores(out.resolve("scores/askllm"));
    assertEquals(40, score.size());
    Set<String> kept = Set.of(JobRuns.selectedIds(out).split("\n"));
    double minKept = kept.stream().mapToDouble(score::get).min().orElseThrow();
    double maxDropped = score.entrySet().stream().filter(e -> !kept.contains(e.getKey())).mapToDouble(Map.Entry::getValue).max().orElseThrow();
    assertTrue(minKept >= maxDropped, "kept min " + minKept + " < dropped max " + maxDropped);
    assertEquals(40, summary.get("selected").asLong() + summary.get("rejected").asLong());
  }

  @Test
  void combinedSamplerWeighsAskLlmScoresAgainstDensities() throws IOException {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      s.append("{\"id\": \"c").append(i).append("\", \"text\": \"").append(TOPICS.get(i % 5)).append(i % 3 == 0 ? " yes" : "")
          .append(", item ").append(i).append(".\"}\n");
    }
    Path in = dev.dataselect.transforms.testing.Fixtures.write(dir.resolve("combined.jsonl"), s.toString());
    Path out = dir.resolve("combined");
    JsonNode summary = JobRuns.run("--input=" + in, "--output=" + out, "--quality=askllm", "--askLlmModel=" + JobRuns.askLlmFixture(dir),
        "--sampler=combined", "--rate=0.5", "--kdeSampleSize=30", "--progressSeconds=0");
    assertEquals(40, scores(out.resolve("scores/askllm")).size());
    assertEquals(40, scores(out.resolve("scores/density")).size());
    assertEquals(0, summary.get("unscored").asLong());
    assertEquals(20, summary.get("target").asLong());
    assertEquals(40, summary.get("selected").asLong() + summary.get("rejected").asLong());
    assertTrue(Math.abs(summary.get("selected").asLong() - 20) <= 12, "selected " + summary.get("selected"));
    assertTrue(summary.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean());
  }

  @Test
  void anIncompleteModelFolderFailsAtLaunchNamingTheMissingFile() throws IOException {
    Path model = JobRuns.askLlmFixture(dir);
    Files.delete(model.resolve("tokenizer.json"));
    Path in = corpus();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobRuns.run(
        "--input=" + in, "--output=" + dir.resolve("x"), "--quality=askllm", "--askLlmModel=" + model, "--sampler=quality"));
    assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("--askLlmModel"), e.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--input=" + in, "--sampler=quality"))
        .getMessage().contains("--quality"));
  }

  static Map<String, Double> scores(Path folder) throws IOException {
    Map<String, Double> out = new HashMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(folder)) {
      files = s.filter(f -> f.toString().endsWith(".parquet")).collect(Collectors.toList());
    }
    for (Path f : files) {
      try (ParquetReader<GenericRecord> r = AvroParquetReader.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri())).build()) {
        GenericRecord rec;
        while ((rec = r.read()) != null) {
          out.put(rec.get("id").toString(), (Double) rec.get("score"));
        }
      }
    }
    return out;
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
