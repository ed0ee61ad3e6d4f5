package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dataselect.pipelines.options.CorpusOptions;
import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.pipelines.options.ReselectJobOptions;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.DensityOptions;
import dev.dataselect.pipelines.options.ModelOptions;
import dev.dataselect.pipelines.options.OutputOptions;
import dev.dataselect.pipelines.options.SelectionOptions;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelectJobTest {
  @TempDir Path dir;

  /** 40 distinct documents, 3 near-copies of doc 0..2 (case/space changes), 2 empty, 1 malformed. */
  private Path corpus() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      s.append("{\"id\": \"doc-").append(i).append("\", \"text\": \"Document ").append(i).append(" talks about topic ").append(i * 7 % 11).append(".\"}\n");
    }
    for (int i = 0; i < 3; i++) {
      s.append("{\"id\": \"copy-").append(i).append("\", \"text\": \"  DOCUMENT ").append(i).append("   talks about topic ").append(i * 7 % 11).append(". \"}\n");
    }
    s.append("{\"id\": \"e1\", \"text\": \"\"}\n{\"id\": \"e2\", \"text\": \" \\n \"}\n{\"id\": \"bad\", \n");
    return Fixtures.write(dir.resolve("in/corpus.jsonl.gz"), s.toString());
  }

  @Test
  void randomWithACountKeepsThatManyInExpectationByHashAlone() throws IOException {
    Path out = dir.resolve("count");
    JsonNode summary = JobRuns.run("--input=" + corpus(), "--output=" + out, "--count=10", "--seed=7", "--progressSeconds=0", "--sampler=random");
    assertEquals(10, summary.get("target").asLong());
    assertEquals(40, summary.get("selected").asLong() + summary.get("rejected").asLong());
    assertTrue(summary.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean());
    // The rate becomes count / N = 10 / 40: the same documents as --rate=0.25.
    TreeSet<String> expected = new TreeSet<>();
    for (int i = 0; i < 40; i++) {
      String id = i < 3 ? "copy-" + i : "doc-" + i;
      if (Hashes.unit(id, 7) < 0.25) {
        expected.add(id);
      }
    }
    assertEquals(String.join("\n", expected), JobRuns.selectedIds(out));
  }

  @Test
  void summaryReconcilesAndSelectionFollowsTheHash() throws IOException {
    Path out = dir.resolve("out");
    JsonNode summary = JobRuns.run("--input=" + corpus(), "--output=" + out, "--rate=0.5", "--seed=7", "--progressSeconds=0", "--sampler=random");
    assertEquals(46, summary.get("records").asLong(), summary.toString());
    assertEquals(43, summary.get("documents").asLong());
    assertEquals(2, summary.at("/deadLetters/empty_text").asLong());
    assertEquals(1, summary.at("/deadLetters/malformed_json").asLong());
    assertEquals(3, summary.get("duplicates").asLong());
    assertEquals(40, summary.get("selected").asLong() + summary.get("rejected").asLong());
    assertTrue(summary.at("/reconciles/recordsEqualDocumentsPlusDeadLetters").asBoolean());
    assertTrue(summary.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean());
    assertEquals(0.5, summary.at("/options/rate").asDouble());

    // Each group of equal texts keeps its smallest id ("copy-i" < "doc-i"); then hash < rate decides.
    TreeSet<String> expected = new TreeSet<>();
    for (int i = 0; i < 40; i++) {
      String id = i < 3 ? "copy-" + i : "doc-" + i;
      if (Hashes.unit(id, 7) < 0.5) {
        expected.add(id);
      }
    }
    assertEquals(String.join("\n", expected), JobRuns.selectedIds(out));
    assertEquals(expected.size(), summary.get("selected").asLong());
    try (Stream<Path> dead = Files.list(out.resolve("dead-letters"))) {
      assertTrue(dead.findAny().isPresent(), "dead letters are written");
    }
  }

  private Path manyDocs(int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append("line ").append(i).append(" of a plain text corpus\n");
    }
    return Fixtures.write(dir.resolve("many.txt"), s.toString());
  }

  @Test
  void sameSeedGivesByteIdenticalIdsAndAnotherSeedAnotherSetOfTheSameSize() {
    Path in = manyDocs(1000);
    String[] common = {"--input=" + in, "--rate=0.3", "--dedup=false", "--progressSeconds=0", "--sampler=random"};
    JobRuns.run(concat(common, "--output=" + dir.resolve("a"), "--seed=1"));
    JobRuns.run(concat(common, "--output=" + dir.resolve("b"), "--seed=1"));
    JsonNode c = JobRuns.run(concat(common, "--output=" + dir.resolve("c"), "--seed=2"));
    String a = JobRuns.selectedIds(dir.resolve("a"));
    assertEquals(a, JobRuns.selectedIds(dir.resolve("b")));
    assertNotEquals(a, JobRuns.selectedIds(dir.resolve("c")));
    // Binomial(1000, 0.3): standard deviation 14.5; five of them is a bound no fair seed misses.
    long n = c.get("selected").asLong();
    assertTrue(Math.abs(n - 300) < 73, "selected " + n);
    assertTrue(Math.abs(a.split("\n").length - 300) < 73);
  }

  @Test
  void limitTakesADeterministicSubsetAndCountsTheRest() {
    Path in = manyDocs(200);
    JsonNode s = JobRuns.run("--input=" + in, "--output=" + dir.resolve("l"), "--limit=50", "--rate=1", "--progressSeconds=0", "--sampler=random");
    assertEquals(150, s.get("beyondLimit").asLong());
    assertEquals(50, s.get("selected").asLong());
    JobRuns.run("--input=" + in, "--output=" + dir.resolve("m"), "--limit=50", "--rate=1", "--progressSeconds=0", "--sampler=random");
    assertEquals(JobRuns.selectedIds(dir.resolve("l")), JobRuns.selectedIds(dir.resolve("m")));
  }

  @Test
  void aRerunReplacesWhatAnEarlierRunWroteIncludingScoreFolders() throws IOException {
    Path in = manyDocs(30);
    Path out = dir.resolve("again");
    JobRuns.run("--input=" + in, "--output=" + out, "--rate=0.5", "--progressSeconds=0", "--sampler=random");
    Path stale = Files.createDirectories(out.resolve("scores/density")).resolve("scores-00000-of-00001.parquet");
    Files.writeString(stale, "from an earlier run");
    Files.writeString(out.resolve("selected-ids/part-99999-of-99999.txt"), "ghost\n");
    // A killed run's sink leaves its temporary folder (with or without files in it).
    Path killed = Files.createDirectories(out.resolve("selected/.temp-beam-0f1e2d3c"));
    Files.writeString(killed.resolve("a-temporary-shard"), "half written");
    Path empty = Files.createDirectories(out.resolve("selected-ids/.temp-beam-4b5a6978"));
    JsonNode s = JobRuns.run("--input=" + in, "--output=" + out, "--rate=0.5", "--progressSeconds=0", "--sampler=random");
    assertTrue(!Files.exists(stale), "stale score file removed");
    assertTrue(!Files.exists(killed) && !Files.exists(empty), "a killed run's temporary folders are removed");
    assertEquals(s.get("selected").asLong(), JobRuns.selectedIds(out).split("\n").length);
  }

  @Test
  void writesParquetOnRequest() throws IOException {
    Path out = dir.resolve("p");
    JobRuns.run("--input=" + manyDocs(20), "--output=" + out, "--rate=1", "--outputFormat=parquet", "--progressSeconds=0", "--sampler=random");
    try (Stream<Path> files = Files.list(out.resolve("selected"))) {
      List<Path> parquet = files.filter(f -> f.toString().endsWith(".parquet")).collect(Collectors.toList());
      assertTrue(!parquet.isEmpty(), "parquet files written");
    }
    // The job reads its own output back: 20 documents.
    JsonNode again = JobRuns.run("--input=" + out.resolve("selected") + "/", "--output=" + dir.resolve("p2"), "--rate=1", "--progressSeconds=0", "--sampler=random");
    assertEquals(20, again.get("documents").asLong());
  }

  @Test
  void aMissingInputFailsFastNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobRuns.run("--input=" + dir.resolve("nope/*.jsonl"), "--output=" + dir.resolve("x")));
    assertTrue(e.getMessage().contains("nope/*.jsonl") && e.getMessage().contains("matches no file"), e.getMessage());
  }

  @Test
  void badOptionsFailWithMessagesNamingThem() {
    Path in = manyDocs(3);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--input=" + in, "--sampler=random", "--rate=1.5"))
        .getMessage().contains("--rate"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--input=" + in, "--format=xml"))
        .getMessage().contains("--format"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JobRuns.run("--input=" + in, "--outputFormat=csv"))
        .getMessage().contains("--outputFormat"));
  }

  private static String help(String job) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Dataselect.printHelp(job, new PrintStream(buffer, true, StandardCharsets.UTF_8));
    return buffer.toString(StandardCharsets.UTF_8);
  }

  /** Each job's --help lists its own options, closed sets with their values, and no other job's. */
  @Test
  void eachJobHasItsOwnHelp() {
    String select = help("select");
    assertTrue(select.contains("--sampler=<RANDOM | QUALITY | DENSITY | DENSEST | SPARSEST | COMBINED | SEMDEDUP | PROTOTYPES>"), select);
    assertTrue(select.contains("--semdedupEpsilon") && select.contains("--clusters"), select);
    assertTrue(select.contains("--kde=<REFERENCE | SKETCH>"), select);
    assertTrue(select.contains("--embeddingModel"), select);
    assertFalse(select.contains("--rates="), "the select job has no --rates");
    assertFalse(select.contains("--labelsFile="), "the select job has no --labelsFile");
    String reselect = help("reselect");
    assertTrue(reselect.contains("--rates") && reselect.contains("--sampler=<List>"), reselect);
    assertFalse(reselect.contains("--embeddingModel="), "no model runs in reselect");
    String student = help("train-student");
    assertTrue(student.contains("--labelsFile") && student.contains("--studentTask=<AUTO | RIDGE | LOGISTIC>"), student);
    assertTrue(student.contains("--studentFeatures=<EMBEDDING | SIGNALS | BOTH>"), student);
    String pick = help("pick-for-labelling");
    assertTrue(pick.contains("--job=pick-for-labelling: the --count documents whose labels would teach") && pick.contains("--count"), pick);
    // An option of another job is an error, and an enum value is read in any case.
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Dataselect.parse(new String[] {"--rates=0.1"}))
        .getMessage().contains("'rates'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Dataselect.parse(new String[] {"--sampler=dense"}))
        .getMessage().contains("--sampler: 'dense' is not one of [random, quality, density, densest, sparsest, combined, semdedup, prototypes]"));
    String compare = help("compare");
    assertTrue(compare.contains("--selections") && compare.contains("--coverageSample"), compare);
    assertFalse(compare.contains("--sampler="), "compare selects nothing");
    DataselectOptions o = (DataselectOptions) Dataselect.parse(new String[] {"--sampler=Densest", "--outputFormat=parquet", "--format=text-lines"});
    assertEquals(Sampler.DENSEST, o.getSampler());
    assertEquals(dev.dataselect.pipelines.options.OutputFormat.PARQUET, o.getOutputFormat());
    assertEquals(dev.dataselect.transforms.io.CorpusFormat.TEXT_LINES, o.getFormat());
    ReselectJobOptions r = (ReselectJobOptions) Dataselect.parse(new String[] {"--job=reselect", "--sampler=density,random"});
    assertEquals(List.of(Sampler.DENSITY, Sampler.RANDOM), r.getSampler());
  }

  @Test
  void helpListsEveryOptionWithItsDescription() throws IOException {
    String help = help("select");
    List<Method> getters = new ArrayList<>();
    for (Class<?> c : List.of(CorpusOptions.class, SelectionOptions.class, OutputOptions.class, ModelOptions.class, DensityOptions.class,
        dev.dataselect.pipelines.options.ClusterOptions.class)) {
      for (Method m : c.getDeclaredMethods()) {
        if (m.getName().startsWith("get")) {
          getters.add(m);
        }
      }
    }
    assertTrue(getters.size() >= 15, "options found: " + getters.size());
    for (Method m : getters) {
      String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
      assertTrue(help.contains("--" + name), "--help lacks --" + name);
    }
    assertTrue(help.contains("Default: 0.2") || help.contains("0.2"), "defaults shown");
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
