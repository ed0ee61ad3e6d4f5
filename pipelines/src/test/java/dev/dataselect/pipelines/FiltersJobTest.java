package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dataselect.transforms.testing.Fixtures;
import dev.dataselect.pipelines.report.ReportPage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --filters stage inside the job: filtered documents counted by rule, counts that reconcile. */
class FiltersJobTest {
  @TempDir Path dir;

  private static final String PROSE =
      "The committee met on Tuesday to discuss the budget and the schedule for the new library building in the town centre.\\n"
          + "Members agreed that the plans should be published with a summary of the costs, so that residents can comment.\\n"
          + "A second meeting will take place next month, and the chair said she would invite the architects to present drawings.";

  /** 4 prose documents, 2 too short for Gopher, 1 menu of short lines without punctuation, 1 with lorem ipsum. */
  private Path corpus() throws IOException {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      s.append(line("prose-" + i, PROSE + " Item " + i + "."));
    }
    s.append(line("short-0", "Too short to be kept."));
    s.append(line("short-1", "Also far too short."));
    s.append(line("menu", "Home\\nAbout\\nContact\\nNews\\nEvents\\nShop\\nHelp\\nCareers\\nPress\\nSitemap"));
    s.append(line("lorem", PROSE + "\\nLorem ipsum dolor sit amet, consectetur adipiscing elit."));
    return Fixtures.write(dir.resolve("in/corpus.jsonl.gz"), s.toString());
  }

  private static String line(String id, String text) {
    return "{\"id\": \"" + id + "\", \"text\": \"" + text + "\"}\n";
  }

  @Test
  void filteredDocumentsAreCountedByRuleAndTheSummaryReconciles() throws IOException {
    Path out = dir.resolve("out");
    JsonNode s = JobRuns.run("--input=" + corpus(), "--output=" + out, "--filters=c4,gopher",
        "--sampler=random", "--rate=1.0", "--progressSeconds=0");
    assertEquals(8, s.get("documents").asLong(), s.toString());
    assertEquals(4, s.get("filtered").asLong(), s.toString());
    // C4 is checked first: the short documents and the menu have no sentence C4 keeps.
    assertEquals(Map.of("c4.min_sentences", 3L, "c4.lorem_ipsum", 1L), counts(s.get("filters")));
    assertEquals(4, s.get("selected").asLong());
    assertTrue(s.at("/reconciles/" + Summary.DOCUMENTS_RECONCILE).asBoolean(), s.toString());
    String page = Files.readString(Path.of(ReportPage.render(out.toString())));
    assertTrue(page.contains("data-summary=\"/filters/c4.lorem_ipsum\">1<"), "the report's table of filtered documents by rule");
  }

  @Test
  void signalsArePersistedForEveryDocumentAndDrawnInTheReport() throws IOException {
    Path out = dir.resolve("signals");
    JsonNode s = JobRuns.run("--input=" + corpus(), "--output=" + out, "--signals=true", "--filters=fineweb",
        "--sampler=random", "--rate=1.0", "--progressSeconds=0");
    assertTrue(s.at("/reconciles/" + Summary.DOCUMENTS_RECONCILE).asBoolean(), s.toString());
    // Every document that entered the filters has its row, filtered or not.
    assertEquals(8, rows(out.resolve("scores/signals")), "rows in scores/signals/");
    for (dev.dataselect.transforms.signals.Signal signal : ApplyFilters.REPORTED) {
      Path histogram = out.resolve("report/data/histogram-signal." + signal.column() + ".json");
      assertTrue(Files.exists(histogram), histogram.toString());
      assertEquals(8, new com.fasterxml.jackson.databind.ObjectMapper().readTree(histogram.toFile()).at("/series/all/count").asLong(),
          histogram.toString());
    }
    String page = Files.readString(Path.of(ReportPage.render(out.toString())));
    assertTrue(page.contains("Signal: stop word fraction"), "the report draws the signals");
  }

  /** Rows in the Parquet files of a folder. */
  private static long rows(Path folder) throws IOException {
    long n = 0;
    try (java.util.stream.Stream<Path> files = Files.list(folder)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".parquet"))::iterator) {
        try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
            org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toString()),
                new org.apache.hadoop.conf.Configuration()))) {
          n += r.getRecordCount();
        }
      }
    }
    return n;
  }

  @Test
  void anUnknownFilterFailsBeforeTheJobStarts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobRuns.run("--input=" + corpus(), "--output=" + dir.resolve("x"), "--filters=gopher,dolma"));
    assertTrue(e.getMessage().contains("--filters") && e.getMessage().contains("'dolma'"), e.getMessage());
  }

  private static Map<String, Long> counts(JsonNode node) {
    Map<String, Long> out = new TreeMap<>();
    node.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asLong()));
    return out;
  }

}
