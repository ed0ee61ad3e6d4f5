package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.zip.GZIPInputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job over every file of the shared real web text (../shared/data/web: four formats, five
 * schemas, 1,677 records). Skipped, with a message, where that folder is absent.
 */
class SharedWebDataTest {
  static final Path WEB = Path.of(System.getProperty("dataselect.sharedData", "../../shared/data")).resolve("web");

  @TempDir Path dir;

  @Test
  void everyRecordIsCountedAndEmptyDocumentsAreDeadLetters() throws IOException {
    assumeTrue(Files.isDirectory(WEB), "skipped: " + WEB.toAbsolutePath() + " is absent (see ../shared/data/README.md)");
    Path out = dir.resolve("out");
    JsonNode s = JobRuns.run(
        "--input=" + WEB + "/*," + WEB + "/hplt-v2-en/*",
        "--textField=text,raw_content,contents,text_show",
        "--output=" + out, "--rate=0.2", "--progressSeconds=0", "--sampler=random");
    assertEquals(1677, s.get("records").asLong(), s.toString());
    long dead = 0;
    for (Iterator<JsonNode> it = s.get("deadLetters").elements(); it.hasNext(); ) {
      dead += it.next().asLong();
    }
    assertEquals(s.get("records").asLong(), s.get("documents").asLong() + dead);
    assertEquals(s.get("documents").asLong(),
        s.get("duplicates").asLong() + s.get("selected").asLong() + s.get("rejected").asLong());
    assertTrue(s.at("/deadLetters/empty_text").asLong() > 0, "the raw crawl's empty pages are dead letters: " + s);

    // Every dead letter names its reason and where it came from.
    try (Stream<Path> files = Files.list(out.resolve("dead-letters"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            JsonNode d = new ObjectMapper().readTree(line);
            assertTrue(!d.get("reason").asText().isEmpty() && d.get("source").asText().contains("#"), line);
          }
        }
      }
    }
  }
}
