package dev.dataselect.benchmarks;

import static dev.dataselect.benchmarks.BenchSupport.intArg;
import static dev.dataselect.benchmarks.BenchSupport.print;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * {@code demo}: the default {@code bin/dataselect} run (the built-in demo) as a user starts it, in
 * its own JVM with the bundled jar already built, and the same job with {@code
 * --runner=DirectRunner}, in the same benchmark run. For each: the process's wall time, the job's
 * wall time ({@code summary.json}), the model stages' busy seconds (the sum of their timed batches,
 * from the job's metrics in {@code report/data/timings.json}) and {@code wall / (busy / cores)}:
 * 1.0 means the job took no longer than its model work spread over every core. Also whether the two
 * runners selected the same ids. Headline: the default run's job wall seconds (goal ≤ 90 on two
 * cores; the framework ratio's goal is ≤ 1.5).
 *
 * <p>Arguments: {@code --repeats=1} (each runner is run that many times, alternating; every run is
 * printed, the best is the headline), {@code --direct=true} (also run the DirectRunner), and any
 * {@code --job.X=Y} is passed to both runs as {@code --X=Y}.
 */
public final class DemoBenchmark {
  private DemoBenchmark() {}

  /** One run's figures. */
  static final class Run {
    double processWall;
    double jobWall;
    double modelBusy;
    long selected;
    long documents;
    boolean reconciles;
    Set<String> ids;
  }

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchSupport.args(argv);
    int repeats = intArg(args, "repeats", 1);
    boolean direct = !"false".equals(args.get("direct"));
    List<String> extra = new ArrayList<>();
    args.forEach((k, v) -> {
      if (k.startsWith("job.")) {
        extra.add("--" + k.substring(4) + "=" + v);
      }
    });
    int cores = Runtime.getRuntime().availableProcessors();
    print("load_average_at_start", BenchSupport.loadAverage());
    print("cores", cores);
    Path root = Path.of("").toAbsolutePath();
    Path work = Files.createTempDirectory("dataselect-demo-bench");
    Run best = null;
    Run bestDirect = null;
    for (int r = 0; r < repeats; r++) {
      Run flink = run(root, work.resolve("default-" + r), extra, List.of());
      report("default_run" + r, flink, cores);
      best = best == null || flink.jobWall < best.jobWall ? flink : best;
      if (direct) {
        Run d = run(root, work.resolve("direct-" + r), extra, List.of("--runner=DirectRunner"));
        report("direct_run" + r, d, cores);
        bestDirect = bestDirect == null || d.jobWall < bestDirect.jobWall ? d : bestDirect;
      }
    }
    if (bestDirect != null) {
      print("direct_job_wall_s", bestDirect.jobWall);
      print("direct_wall_over_busy_per_core", bestDirect.jobWall / (bestDirect.modelBusy / cores));
      print("same_selection_default_vs_direct", best.ids.equals(bestDirect.ids));
      print("ratio_direct_over_default_wall", bestDirect.jobWall / best.jobWall);
    }
    print("load_average_at_end", BenchSupport.loadAverage());
    print("default_wall_over_busy_per_core", best.jobWall / (best.modelBusy / cores));
    print("default_job_wall_s", best.jobWall);
  }

  private static void report(String name, Run run, int cores) {
    print(name + "_process_wall_s", run.processWall);
    print(name + "_job_wall_s", run.jobWall);
    print(name + "_model_busy_s", run.modelBusy);
    print(name + "_wall_over_busy_per_core", run.jobWall / (run.modelBusy / cores));
    print(name + "_selected", run.selected + " of " + run.documents + " documents, reconciles=" + run.reconciles);
  }

  /** Runs {@code bin/dataselect} with {@code args} into {@code out}; its output goes to out.log. */
  static Run run(Path root, Path out, List<String> extra, List<String> args) throws IOException, InterruptedException {
    Files.createDirectories(out);
    List<String> cmd = new ArrayList<>();
    cmd.add(root.resolve("bin/dataselect").toString());
    cmd.add("--output=" + out.resolve("out"));
    cmd.addAll(args);
    cmd.addAll(extra);
    long start = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolve("out.log").toFile()).start();
    int rc = p.waitFor();
    Run run = new Run();
    run.processWall = (System.nanoTime() - start) / 1e9;
    if (rc != 0) {
      throw new IllegalStateException(cmd + " failed with exit " + rc + "; see " + out.resolve("out.log"));
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode summary = json.readTree(out.resolve("out/summary.json").toFile());
    run.jobWall = summary.path("wallSeconds").asDouble();
    run.selected = summary.path("selected").asLong();
    run.documents = summary.path("documents").asLong();
    run.reconciles = true;
    summary.path("reconciles").forEach(c -> run.reconciles &= c.asBoolean());
    JsonNode timings = json.readTree(out.resolve("out/report/data/timings.json").toFile());
    for (JsonNode stage : timings.path("stages")) {
      String ns = stage.path("namespace").asText();
      if (ns.equals("Embed") || ns.equals("AskLlmScore") || ns.equals("PerplexityScore")) {
        run.modelBusy += stage.path("busySeconds").asDouble();
      }
    }
    run.ids = new TreeSet<>();
    try (Stream<Path> files = Files.list(out.resolve("out/selected-ids"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        run.ids.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
      }
    }
    run.ids.remove("");
    return run;
  }
}
