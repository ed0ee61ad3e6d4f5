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
 * selects what a run from scratch selects; a rerun embeds nothing.
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
  void aGrownCorpusEmbedsOnlyItsNewDocumentsAndSelectsWhatARunFromScratchSelects() {
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

    JsonNode again = run(grown, "again", store);
    assertEquals(0, again.at("/store/embedScored").asLong(0), again.toString());
    assertEquals(55, again.at("/store/embedServed").asLong(), again.toString());
    assertEquals(JobRuns.selectedIds(dir.resolve("grown")), JobRuns.selectedIds(dir.resolve("again")));
  }
}
