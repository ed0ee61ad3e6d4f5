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
 * lines that name the stages as they run.
 */
class DefaultLocalRunnerTest {
  /** What bin/dataselect adds when no --runner is given. */
  static final List<String> DEFAULT_RUNNER =
      List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + Runtime.getRuntime().availableProcessors(),
          "--flinkConfDir=" + Path.of("flink/conf").toAbsolutePath());

  @TempDir Path dir;

  private String run(Path out, List<String> runner) throws IOException {
    List<String> args = new ArrayList<>(List.of("--output=" + out, "--limit=80", "--kdeSampleSize=40", "--seed=11",
        "--progressSeconds=1"));
    args.addAll(runner);
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
    // Without the immutability check, which walks the job's whole graph per bundle (see JobRuns in pipelines/).
    run(direct, List.of("--runner=DirectRunner", "--enforceImmutability=false"));

    Set<String> selected = ids(flink);
    assertTrue(selected.size() >= 5, "selected: " + selected);
    assertEquals(ids(direct), selected);

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
}
