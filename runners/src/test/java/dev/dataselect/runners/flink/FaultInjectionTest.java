package dev.dataselect.runners.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.Dataselect;
import dev.dataselect.pipelines.options.DataselectOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Injected failures (the test-only switch {@code -Ddataselect.test.injectFaults=<markers>,<fraction>}:
 * a document whose id hashes below the fraction fails its bundle the first time it is seen).
 *
 * <p>Flink, with a fixed-delay restart strategy in its configuration, re-runs the failed tasks and the
 * job's outputs equal a fault-free run's: same selected ids, same counts (the counts are computed
 * inside the pipeline, so a retried bundle is not counted twice). The Java DirectRunner does not
 * retry bundles (apache/beam#19131, #18005): there an injected fault fails the job loudly, naming
 * the stage and document, and a re-run (the markers remember the first attempt) reproduces the
 * fault-free output exactly.
 */
class FaultInjectionTest {
  private static final String PROPERTY = "dataselect.test.injectFaults";
  private static final double FRACTION = 0.015;

  @TempDir Path dir;

  private Path corpus() throws IOException {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      s.append("{\"id\": \"d").append(i).append("\", \"text\": \"document ").append(i).append(" on subject ").append(i % 13).append("\"}\n");
    }
    s.append("{\"id\": \"copy\", \"text\": \"DOCUMENT 5 on subject 5\"}\n{\"id\": \"bad\"\n");
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.writeString(in.resolve("c.jsonl"), s.toString(), StandardCharsets.UTF_8);
    return in;
  }

  private static PipelineResult.State run(Path in, Path out, String... runnerArgs) {
    List<String> args = new java.util.ArrayList<>(List.of("--input=" + in + "/", "--output=" + out, "--sampler=random",
        "--rate=0.3", "--seed=5", "--progressSeconds=0",
        // The DirectRunner's immutability check walks the job's whole graph per bundle (minutes); see JobRuns in pipelines/.
        "--enforceImmutability=false"));
    args.addAll(List.of(runnerArgs));
    DataselectOptions o = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation().as(DataselectOptions.class); // the main job
    return Dataselect.run(o).waitUntilFinish();
  }

  @Test
  void retriedBundlesChangeNoOutputOnFlinkAndTheDirectRunnerFailsLoudlyThenReproduces() throws Exception {
    Path in = corpus();
    Path clean = dir.resolve("clean");
    assertEquals(PipelineResult.State.DONE, run(in, clean));
    long targets = java.util.stream.IntStream.range(0, 200)
        .filter(i -> dev.dataselect.transforms.Hashes.unit("d" + i, 0x1F83D9ABFB41BD6BL) < FRACTION).count();
    assertTrue(targets >= 1 && targets <= 6, "documents that fail their first attempt: " + targets);

    Path directMarkers = dir.resolve("markers-direct");
    Path flinkMarkers = dir.resolve("markers-flink");
    try {
      System.setProperty(PROPERTY, directMarkers + "," + FRACTION);
      Throwable e = assertThrows(Throwable.class, () -> run(in, dir.resolve("direct-1")));
      assertTrue(causes(e).contains("injected fault (test only) in stage Documents"), causes(e));
      // Each run fails at the next not-yet-marked document (the DirectRunner stops at the first failure).
      int reruns = 0;
      while (true) {
        try {
          assertEquals(PipelineResult.State.DONE, run(in, dir.resolve("direct-2")));
          break;
        } catch (RuntimeException again) {
          assertTrue(causes(again).contains("injected fault"), causes(again));
          assertTrue(++reruns < targets, "more failures than chosen documents");
        }
      }
      assertEquals(targets, count(directMarkers), "every chosen document failed once");
      assertSameOutput(clean, dir.resolve("direct-2"));

      System.setProperty(PROPERTY, flinkMarkers + "," + FRACTION);
      // A restart strategy in the Flink configuration the job's client reads (--flinkConfDir).
      Path conf = Files.createDirectories(dir.resolve("flink-conf"));
      Files.writeString(conf.resolve("config.yaml"), Files.readString(Path.of("flink/conf/config.yaml"))
          + "\nrestart-strategy.type: fixed-delay\nrestart-strategy.fixed-delay.attempts: " + (targets + 2)
          + "\nrestart-strategy.fixed-delay.delay: 0 s\n");
      assertEquals(PipelineResult.State.DONE, run(in, dir.resolve("flink"),
          "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2", "--flinkConfDir=" + conf));
      assertEquals(targets, count(flinkMarkers), "every chosen document failed its first attempt on Flink");
      assertSameOutput(clean, dir.resolve("flink"));
    } finally {
      System.clearProperty(PROPERTY);
    }
  }

  private static void assertSameOutput(Path expected, Path actual) throws IOException {
    assertEquals(ids(expected), ids(actual), "selected ids");
    JsonNode a = summary(expected);
    JsonNode b = summary(actual);
    for (String key : List.of("records", "documents", "duplicates", "unscored", "selected", "rejected", "deadLetters", "reconciles")) {
      assertEquals(a.get(key), b.get(key), key + ": " + a + "\nvs " + b);
    }
    assertTrue(b.at("/reconciles/recordsEqualDocumentsPlusDeadLetters").asBoolean());
    assertTrue(b.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean());
  }

  private static TreeSet<String> ids(Path out) throws IOException {
    TreeSet<String> ids = new TreeSet<>();
    try (Stream<Path> files = Files.list(out.resolve("selected-ids"))) {
      for (Path f : (Iterable<Path>) files.filter(f -> f.getFileName().toString().startsWith("part"))::iterator) {
        ids.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
      }
    }
    ids.remove("");
    assertTrue(ids.size() > 20, "selected " + ids.size());
    return ids;
  }

  private static JsonNode summary(Path out) throws IOException {
    return new ObjectMapper().readTree(Files.readString(out.resolve("summary.json")));
  }

  private static long count(Path markers) throws IOException {
    try (Stream<Path> s = Files.list(markers)) {
      return s.count();
    }
  }

  private static String causes(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      s.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append("\n");
    }
    return s.toString();
  }
}
