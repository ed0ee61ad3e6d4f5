package dev.dataselect.runners.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.Dataselect;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default local run ({@code bin/dataselect} with no {@code --runner}: Flink's in-process
 * cluster with the project's Flink settings) end to end on a slice of the built-in demo, against
 * the DirectRunner with the same seed: the same selected ids, counts that reconcile, and progress
 * lines that name the stages as they run. Both runners' selections also equal the ids the job
 * selected before the stages were recomposed into one {@code Select} (recorded under {@code
 * src/test/resources/golden/} by the earlier build with the same options): the refactor changed
 * no decision.
 */
class DefaultLocalRunnerTest {
  /** What bin/dataselect adds when no --runner is given. */
  static final List<String> DEFAULT_RUNNER =
      List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + Runtime.getRuntime().availableProcessors(),
          "--flinkConfDir=" + Path.of("flink/conf").toAbsolutePath());

  @TempDir Path dir;

  /** Without the immutability check, which walks the job's whole graph per bundle (see JobRuns in pipelines/). */
  static final List<String> DIRECT_RUNNER = List.of("--runner=DirectRunner", "--enforceImmutability=false");

  private String run(Path out, List<String> runner, String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("--output=" + out, "--limit=80", "--kdeSampleSize=40", "--seed=11",
        "--progressSeconds=1"));
    args.addAll(runner);
    args.addAll(List.of(more));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      assertEquals(0, Dataselect.execute(args.toArray(new String[0]), print), () -> bytes.toString(StandardCharsets.UTF_8));
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static Set<String> ids(Path out) throws IOException {
    Set<String> ids = new TreeSet<>();
    try (Stream<Path> files = Files.list(out.resolve("selected-ids"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isEmpty()).forEach(ids::add);
      }
    }
    return ids;
  }

  @Test
  void theDefaultLocalRunnerSelectsWhatTheDirectRunnerSelectsAndShowsItsStages() throws IOException {
    Path flink = dir.resolve("flink");
    Path direct = dir.resolve("direct");
    String flinkOutput = run(flink, DEFAULT_RUNNER);
    run(direct, DIRECT_RUNNER);

    Set<String> selected = ids(flink);
    assertTrue(selected.size() >= 5, "selected: " + selected);
    assertEquals(ids(direct), selected);
    assertEquals(golden("density"), selected, "the density selection differs from the one recorded before the refactor");

    JsonNode summary = new ObjectMapper().readTree(flink.resolve("summary.json").toFile());
    summary.path("reconciles").forEach(check -> assertTrue(check.asBoolean(), summary.toString()));
    assertEquals(selected.size(), summary.path("selected").asLong());

    // Progress lines every second, naming the stages running and done, then the short summary.
    List<String> progress = flinkOutput.lines().filter(l -> l.startsWith("[")).toList();
    assertTrue(progress.size() >= 2, flinkOutput);
    String all = String.join("\n", progress);
    for (String stage : List.of("read", "embedded", "selected")) {
      assertTrue(all.contains(stage), "no progress for " + stage + " in:\n" + all);
    }
    assertTrue(all.contains("done: read"), all);
    assertTrue(flinkOutput.contains("selected " + selected.size() + " of "), flinkOutput);
    assertTrue(flinkOutput.contains("summary: " + flink.resolve("summary.json")), flinkOutput);
    assertTrue(flinkOutput.contains("report:  "), flinkOutput);
  }

  /** The top-k (densest) and random-count samplers against their recorded selections, on the DirectRunner. */
  @Test
  void otherSamplersSelectWhatTheyDidBeforeTheRefactor() throws IOException {
    run(dir.resolve("densest"), DIRECT_RUNNER, "--sampler=densest");
    assertEquals(golden("densest"), ids(dir.resolve("densest")));
    run(dir.resolve("random"), DIRECT_RUNNER, "--sampler=random", "--count=20");
    assertEquals(golden("random-count20"), ids(dir.resolve("random")));
  }

  private static Set<String> golden(String name) throws IOException {
    Path f = Path.of("src/test/resources/golden/demo-limit80-seed11-" + name + ".txt");
    return new TreeSet<>(Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isEmpty()).toList());
  }
}
