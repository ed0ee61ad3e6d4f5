package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.transforms.testing.Fixtures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The language stage inside the job: annotation, the allow-list, and counts that reconcile. */
class LanguageJobTest {
  @TempDir Path dir;

  private static final String[][] SENTENCES = {
    {"en", "The committee discussed the budget for the next financial year and agreed on the main priorities."},
    {"de", "Der Ausschuss hat den Haushalt für das nächste Jahr beraten und sich auf die wichtigsten Ziele geeinigt."},
    {"fr", "La commission a examiné le budget de l'année prochaine et s'est mise d'accord sur les priorités."},
    {"es", "La comisión ha debatido el presupuesto del próximo año y ha acordado las principales prioridades."},
  };

  /** 3 documents per language (4 languages), one exact copy of an English one, one German record labelled "en". */
  private Path corpus() {
    return corpus("");
  }

  private Path corpus(String extraLines) {
    StringBuilder s = new StringBuilder();
    for (String[] lang : SENTENCES) {
      for (int i = 0; i < 3; i++) {
        s.append("{\"id\": \"").append(lang[0]).append('-').append(i).append("\", \"text\": \"").append(lang[1])
            .append(" Point ").append(i).append(".\"}\n");
      }
    }
    s.append("{\"id\": \"en-copy\", \"text\": \"").append(SENTENCES[0][1]).append(" Point 0.\"}\n");
    return Fixtures.write(dir.resolve("in/corpus.jsonl.gz"), s.append(extraLines).toString());
  }

  @Test
  void otherLanguagesAreCountedAndTheSummaryReconciles() throws IOException {
    Path out = dir.resolve("out");
    JsonNode s = JobRuns.run("--input=" + corpus(), "--output=" + out, "--languages=en,de", "--sampler=random", "--rate=0.5",
        "--seed=3", "--progressSeconds=0", "--outputFormat=jsonl");
    assertEquals(13, s.get("documents").asLong(), s.toString());
    assertEquals(6, s.get("otherLanguage").asLong());
    assertEquals(1, s.get("duplicates").asLong());
    assertEquals(6, s.get("selected").asLong() + s.get("rejected").asLong());
    assertEquals(Map.of("de", 3L, "en", 4L, "es", 3L, "fr", 3L), counts(s.get("languages")));
    assertTrue(s.at("/reconciles/" + Summary.DOCUMENTS_RECONCILE).asBoolean(), s.toString());
    assertTrue(s.at("/reconciles/recordsEqualDocumentsPlusDeadLetters").asBoolean());
    // Selected documents (in the documents' form: --outputFormat=jsonl) carry their language.
    for (JsonNode d : selected(out)) {
      String lang = d.at("/metadata/language").asText();
      assertTrue(d.get("id").asText().startsWith(lang + "-"), d.toString());
    }
  }

  @Test
  void idsAreCheckedForDuplicatesAmongTheKeptLanguagesOnly() {
    // The language stage runs before the duplicate-id check: a Spanish record under a kept id is
    // another language (never grouped by id), a second English one under a kept id a dead letter.
    String extra = "{\"id\": \"en-1\", \"text\": \"" + SENTENCES[3][1] + " Otra vez.\"}\n"
        + "{\"id\": \"en-2\", \"text\": \"" + SENTENCES[0][1] + " Once more, with other words.\"}\n";
    JsonNode s = JobRuns.run("--input=" + corpus(extra), "--output=" + dir.resolve("ids"), "--languages=en,de", "--sampler=random",
        "--rate=0.5", "--seed=3", "--progressSeconds=0");
    assertEquals(15, s.get("records").asLong(), s.toString());
    assertEquals(7, s.get("otherLanguage").asLong(), s.toString());
    assertEquals(1, s.at("/deadLetters/duplicate_id").asLong(), s.toString());
    assertEquals(14, s.get("documents").asLong(), s.toString());
    assertTrue(s.at("/reconciles/" + Summary.DOCUMENTS_RECONCILE).asBoolean(), s.toString());
    assertTrue(s.at("/reconciles/recordsEqualDocumentsPlusDeadLetters").asBoolean(), s.toString());
  }

  @Test
  void withoutTheStageNothingChanges() {
    JsonNode s = JobRuns.run("--input=" + corpus(), "--output=" + dir.resolve("off"), "--sampler=random", "--rate=0.5", "--progressSeconds=0");
    assertEquals(0, s.get("otherLanguage").asLong());
    assertTrue(s.path("languages").isMissingNode(), s.toString());
    assertTrue(s.at("/reconciles/" + Summary.DOCUMENTS_RECONCILE).asBoolean(), s.toString());
  }

  @Test
  void anUnknownCodeFailsBeforeTheJobStarts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobRuns.run("--input=" + corpus(), "--output=" + dir.resolve("x"), "--languages=en,english"));
    assertTrue(e.getMessage().contains("--languages") && e.getMessage().contains("'english'"), e.getMessage());
  }

  @Test
  void theDemoIsEnglishUnlessToldOtherwise() {
    DataselectOptions demo = JobRuns.selectOptions("--input=demo");
    Demo.apply(demo);
    assertEquals("en", demo.getLanguages());
    DataselectOptions chosen = JobRuns.selectOptions("--input=demo", "--languages=de,fr");
    Demo.apply(chosen);
    assertEquals("de,fr", chosen.getLanguages());
  }

  private static Map<String, Long> counts(JsonNode node) {
    Map<String, Long> out = new TreeMap<>();
    node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
    return out;
  }

  private static java.util.List<JsonNode> selected(Path out) throws IOException {
    java.util.List<JsonNode> docs = new java.util.ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.list(out.resolve("selected"))) {
      for (Path f : files.toList()) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)), StandardCharsets.UTF_8))) {
          r.lines().filter(l -> !l.isBlank()).forEach(l -> docs.add(readTree(json, l)));
        }
      }
    }
    return docs;
  }

  private static JsonNode readTree(ObjectMapper json, String line) {
    try {
      return json.readTree(line);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
