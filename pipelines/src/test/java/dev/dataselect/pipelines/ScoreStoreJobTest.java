package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dataselect.transforms.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --scoreStore} in the main job: a corpus grown by 10 % embeds only its new documents and
 * selects what a run from scratch selects; a rerun embeds nothing; {@code --job=store} counts and
 * compacts what the runs wrote.
 */
class ScoreStoreJobTest {
  @TempDir Path dir;

  private Path corpus(String name, int n) {
    StringBuilder s = new StringBuilder();
    String[] topics = {"rivers and bridges in the old town", "a film festival and its music", "the chemistry of bread dough",
        "training for a marathon in winter", "how tides follow the moon"};
    for (int i = 0; i < n; i++) {
      s.append("{\"id\": \"d").append(i).append("\", \"text\": \"Note ").append(i).append(" is about ")
          .append(topics[i % topics.length]).append(", detail ").append(i * 7919 % 1000).append(".\"}\n");
    }
    return Fixtures.write(dir.resolve(name), s.toString());
  }

  private static final List<String> FLAGS = List.of("--kdeSampleSize=30", "--rate=0.3", "--seed=3", "--progressSeconds=0");

  private JsonNode run(Path in, String out, String... more) {
    java.util.List<String> args = new java.util.ArrayList<>(List.of("--input=" + in, "--output=" + dir.resolve(out)));
    args.addAll(FLAGS);
    args.addAll(List.of(more));
    return JobRuns.run(args.toArray(new String[0]));
  }

  @Test
  void aGrownCorpusEmbedsOnlyItsNewDocumentsAndSelectsWhatARunFromScratchSelects() throws java.io.IOException {
    String store = "--scoreStore=" + dir.resolve("store");
    JsonNode first = run(corpus("small.jsonl", 50), "first", store, "--scoreStoreFlushEntries=8");
    assertEquals(50, first.at("/store/embedScored").asLong(), first.toString());
    assertEquals(0, first.at("/store/embedServed").asLong(0), first.toString());

    Path grown = corpus("grown.jsonl", 55);
    JsonNode stored = run(grown, "grown", store);
    assertEquals(5, stored.at("/store/embedScored").asLong(), "only the new documents are embedded: " + stored);
    assertEquals(50, stored.at("/store/embedServed").asLong(), stored.toString());
    JsonNode scratch = run(grown, "scratch");
    assertTrue(scratch.at("/store").isMissingNode(), scratch.toString());
    for (String count : dev.dataselect.pipelines.Summary.COUNTS) {
      assertEquals(scratch.get(count).asLong(), stored.get(count).asLong(), count);
    }
    assertEquals(JobRuns.selectedIds(dir.resolve("scratch")), JobRuns.selectedIds(dir.resolve("grown")));

    String report = readString(Path.of(dev.dataselect.pipelines.report.ReportPage.render(dir.resolve("grown").toString())));
    assertTrue(report.contains("<h2>Score store</h2>") && report.contains("data-summary=\"/store/embedServed\""), "report shows the store");
    JsonNode again = run(grown, "again", store);
    assertEquals(0, again.at("/store/embedScored").asLong(0), again.toString());
    assertEquals(55, again.at("/store/embedServed").asLong(), again.toString());
    assertEquals(JobRuns.selectedIds(dir.resolve("grown")), JobRuns.selectedIds(dir.resolve("again")));

    // --job=store: a copied file is counted as duplicates, a cut one as unreadable; compact keeps
    // one entry per text in one file and deletes what it read; the next run is served the same.
    Path folder;
    List<Path> parts;
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(dir.resolve("store"))) {
      parts = s.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().toList();
    }
    folder = parts.get(0).getParent();
    copy(parts.get(0), folder.resolve("part-copy.parquet"));
    copy(parts.get(1), folder.resolve("part-cut.parquet"));
    byte[] whole = readAll(folder.resolve("part-cut.parquet"));
    write(folder.resolve("part-cut.parquet"), java.util.Arrays.copyOf(whole, whole.length / 2));
    JsonNode stats = store("stats");
    JsonNode f = stats.get("folders").elements().next();
    assertEquals(55, f.get("distinctTexts").asLong(), stats.toString());
    assertTrue(f.get("duplicates").asLong() >= 1, stats.toString());
    assertEquals(1, f.get("unreadableFiles").asLong(), stats.toString());
    assertEquals(parts.size() + 2, f.get("files").asLong(), stats.toString());
    store("compact");
    JsonNode after = store("stats");
    JsonNode g = after.get("folders").elements().next();
    assertEquals(55, g.get("entries").asLong(), after.toString());
    assertEquals(0, g.get("duplicates").asLong(), after.toString());
    assertEquals(1, g.get("files").asLong(), after.toString());
    JsonNode compacted = run(grown, "compacted", store);
    assertEquals(55, compacted.at("/store/embedServed").asLong(), compacted.toString());
    assertEquals(JobRuns.selectedIds(dir.resolve("grown")), JobRuns.selectedIds(dir.resolve("compacted")));
  }

  private JsonNode store(String action) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.PrintStream print = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8)) {
      List<String> args = new java.util.ArrayList<>(JobRuns.DIRECT_RUNNER_FLAGS);
      args.addAll(List.of("--job=store", "--action=" + action, "--scoreStore=" + dir.resolve("store"), "--output=" + dir.resolve("store-" + action)));
      assertEquals(0, Dataselect.execute(args.toArray(new String[0]), print), bytes::toString);
      return action.equals("stats") ? new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("store-stats/store-stats.json").toFile())
          : null;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String readString(Path f) {
    return new String(readAll(f), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void copy(Path from, Path to) {
    write(to, readAll(from));
  }

  private static byte[] readAll(Path f) {
    try {
      return java.nio.file.Files.readAllBytes(f);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void write(Path f, byte[] bytes) {
    try {
      java.nio.file.Files.write(f, bytes);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
