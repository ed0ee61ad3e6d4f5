package dev.dataselect.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.Dataselect;
import dev.dataselect.pipelines.options.JobOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * {@code bin/bench reselect}: score once, select many. Runs the main job (DENSITY: MiniLM embeddings
 * of every document, reference KDE, one selection) on the demo corpus (or {@code --input}), then
 * the reselect job over the densities it persisted at five rates, and prints both wall times and
 * their ratio (goal: at most 0.10). Both run in this JVM on the DirectRunner, one after the other.
 *
 * <p>Options: {@code --input} (default demo: its 1,270 English Europarl documents), {@code --limit}, {@code
 * --rates} (default 0.1,0.2,0.4,0.6,0.8), {@code --out} (default benchmarks/target/reselect).
 */
public final class ReselectBenchmark {
  private ReselectBenchmark() {}

  public static void main(String[] argv) throws IOException {
    BenchArgs args = new BenchArgs(argv);
    Path out = Path.of(args.string("out", "benchmarks/target/reselect"));
    String rates = args.string("rates", "0.1,0.2,0.4,0.6,0.8");
    List<String> local = List.of("--progressSeconds=0", "--enforceImmutability=false", "--enforceEncodability=false");

    List<String> score = new ArrayList<>(List.of("--input=" + args.string("input", "demo"), "--output=" + out.resolve("scored"),
        "--sampler=density", "--rate=0.2"));
    if (args.integer("limit", 0) > 0) {
      score.add("--limit=" + args.integer("limit", 0));
    }
    double scoring = run(score, local);
    JsonNode scored = summary(out.resolve("scored"));
    long documents = scored.path("selected").asLong() + scored.path("rejected").asLong();

    double reselect = run(List.of("--job=reselect", "--scores=" + out.resolve("scored"), "--output=" + out.resolve("reselect"),
        "--sampler=density", "--rates=" + rates), local);
    JsonNode re = summary(out.resolve("reselect"));
    double reselectMany = run(List.of("--job=reselect", "--scores=" + out.resolve("scored"), "--output=" + out.resolve("reselect-all"),
        "--sampler=density,densest,sparsest,random", "--rates=" + rates, "--withDocuments=true"), local);
    JsonNode all = summary(out.resolve("reselect-all"));

    BenchSupport.print("documents", documents);
    BenchSupport.print("load_average", BenchSupport.loadAverage());
    BenchSupport.print("scoring_wall_s (embed + KDE + select at 0.2)", String.format("%.1f", scoring));
    for (String rate : rates.split(",")) {
      JsonNode s = re.at("/selections/density-" + rate.trim());
      BenchSupport.print("reselect density@" + rate.trim(), s.path("selected").asLong() + " kept of " + s.path("scored").asLong()
          + " (target " + s.path("target").asLong() + ")");
    }
    BenchSupport.print("reselect_all_wall_s (4 samplers x " + rates.split(",").length + " rates, documents joined back: "
        + all.path("selections").size() + " selections)", String.format("%.1f", reselectMany));
    BenchSupport.print("reselect_5_rates_wall_s", String.format("%.1f", reselect));
    BenchSupport.print("ratio (reselect / scoring; goal <= 0.10)", String.format("%.3f", reselect / scoring));
  }

  private static double run(List<String> args, List<String> local) {
    List<String> all = new ArrayList<>(args);
    all.addAll(local);
    String[] argv = all.toArray(new String[0]);
    JobOptions options = PipelineOptionsFactory.fromArgs(argv).withValidation().as(Dataselect.optionsOf(argv));
    long start = System.nanoTime();
    PipelineResult.State state = Dataselect.run(options).waitUntilFinish();
    double seconds = BenchSupport.seconds(start);
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException(Arrays.toString(args.toArray()) + " ended " + state);
    }
    return seconds;
  }

  private static JsonNode summary(Path out) throws IOException {
    return new ObjectMapper().readTree(Files.readString(out.resolve("summary.json")));
  }
}
