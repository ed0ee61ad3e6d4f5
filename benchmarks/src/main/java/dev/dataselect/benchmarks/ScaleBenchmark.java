package dev.dataselect.benchmarks;

import static dev.dataselect.benchmarks.ScaleJobs.generate;
import static dev.dataselect.benchmarks.ScaleJobs.loadAverage;
import static dev.dataselect.benchmarks.ScaleJobs.runJob;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bin/bench scale}: the main job (read → dedup → density from an embeddings cache → select →
 * write) on Flink local, in a separate JVM with a bounded heap, at growing corpus sizes.
 *
 * <p>Corpora are made deterministically from the shared real web texts (W ≈ 1,550): document i is
 * copy c = i / W of web text j = i mod W, id {@code w<j>-<c>}; the text is the original's first
 * {@code --chars} characters (cut at a space) with, for c > 0, the word {@code v<c>} inserted at a
 * position drawn from hash(j, c), so exact-duplicate removal keeps every copy. Its embedding is the
 * real all-MiniLM-L6-v2 vector of text j (benchmarks/target/web-minilm.dsemb) plus Gaussian noise of
 * {@code --noise} per dimension seeded by hash(j, c), renormalised; written as the main job's own
 * embeddings cache (WriteEmbeddings' file schema, with the metadata of the job's default embedding
 * model, streamed by plain Parquet writers so generation needs no more memory at 1M than at 10k), so
 * the job reads vectors instead of running the model.
 *
 * <p>Each size runs twice: {@code --sampler=random --dedup=false} (read → id check → select → write:
 * the I/O path) and the density job. Figures: wall time and documents/s of each run, the density
 * stages' documents/s from the difference of the two walls, peak RSS of the job's JVM (VmHWM from
 * /proc, polled), and the growth of wall time per document between sizes.
 *
 * <p>{@code --embed-sizes=1000,3000,10000} measures the embed stage instead (see {@link
 * #embedStage}): embedding a million documents on two cores would take hours, so the 1M run reads
 * the cache and the model is timed at the sizes given.
 */
public final class ScaleBenchmark {
  private ScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    List<Integer> sizes = new ArrayList<>();
    for (String s : a.string("sizes", "10000,100000,1000000").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    String heap = a.string("heap", "4g");
    int parallelism = a.integer("parallelism", 2);
    int chars = a.integer("chars", 1000);
    double noise = a.number("noise", 0.01);
    String kdeArgs = a.string("kde", "--kde=reference --kdeSampleSize=1000");
    Path work = Path.of(a.string("work", "benchmarks/target/scale"));
    Path jar = Path.of(a.string("jar", "runners/target/dataselect-bundled.jar"));
    Path jobJar = ScaleJobs.jobJar(jar, work);

    ScaleJobs.Web web = ScaleJobs.web(chars);
    String[] texts = web.texts;
    float[][] base = web.base;
    System.out.println("corpus: copies of " + texts.length + " real web texts (first " + chars
        + " chars, a seeded inserted word per copy); vectors: real MiniLM + N(0, " + noise + "^2) per dim, renormalised");
    System.out.println("job: FlinkRunner [local], parallelism " + parallelism + ", -Xmx" + heap + ", " + kdeArgs + ", --rate=0.2");
    System.out.printf(Locale.ROOT, "load before: %s%n", loadAverage());

    if (a.has("embed-sizes")) {
      embedStage(a, jobJar, heap, parallelism, work, texts, base, noise, kdeArgs);
      return;
    }
    List<String> rows = new ArrayList<>();
    double previousPerDoc = 0;
    for (int n : sizes) {
      Path dir = work.resolve(Integer.toString(n));
      Path in = dir.resolve("in");
      Path cache = dir.resolve("embeddings");
      generate(dir, texts, base, n, noise);
      // --full-only skips the read/write-only run (its columns print as NaN) where time is short.
      ScaleJobs.Run io = a.flag("full-only") ? null : runJob(jobJar, heap, parallelism, in, dir.resolve("out-random"), List.of("--sampler=random", "--dedup=false", "--rate=0.2"));
      if (io == null) {
        io = new ScaleJobs.Run();
        io.wallSeconds = Double.NaN;
        io.peakRssMb = -1;
      }
      List<String> density = new ArrayList<>(List.of("--sampler=density", "--rate=0.2", "--embeddingsCache=" + cache));
      density.addAll(List.of(kdeArgs.split(" ")));
      ScaleJobs.Run full = runJob(jobJar, heap, parallelism, in, dir.resolve("out-density"), density);
      JsonNode s = full.summary;
      boolean reconciles = s.at("/reconciles/recordsEqualDocumentsPlusDeadLetters").asBoolean()
          && s.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean();
      double densityStages = Math.max(1e-9, full.wallSeconds - io.wallSeconds);
      double perDoc = full.wallSeconds / n;
      String growth = previousPerDoc == 0 ? "-" : String.format(Locale.ROOT, "%.2f", perDoc / previousPerDoc);
      previousPerDoc = perDoc;
      String row = String.format(Locale.ROOT, "| %,9d | %7.1f | %8.0f | %7.1f | %8.0f | %8.0f | %7d | %8d | %s | %s | %s |",
          n, io.wallSeconds, n / io.wallSeconds, full.wallSeconds, n / full.wallSeconds, n / densityStages,
          Math.max(io.peakRssMb, 0), full.peakRssMb, s.get("selected").asLong(), reconciles, growth);
      rows.add(row);
      System.out.println(row + "  load " + loadAverage());
    }
    printTable(rows, "documents", "io wall s", "io docs/s", "full wall s", "full docs/s", "density-stages docs/s",
        "io peak RSS MB", "full peak RSS MB", "selected", "reconciles", "wall/doc vs previous size");
    System.out.println("largest size completed: " + sizes.get(sizes.size() - 1));
  }

  /**
   * {@code --embed-sizes=1000,3000,10000}: the embed stage on its own, inside the job. Per size, the
   * same density job twice on the same corpus, once reading the embeddings cache and once running
   * the bundled all-MiniLM-L6-v2 itself; the embed stage's documents/s is the size over the
   * difference of the two walls (everything else is the same work). Also the model's own busy time
   * (Embed's batch-latency metric, summed over threads) from the job's report data, and peak RSS.
   */
  private static void embedStage(BenchArgs a, Path jobJar, String heap, int parallelism, Path work,
      String[] texts, float[][] base, double noise, String kdeArgs) throws Exception {
    List<String> rows = new ArrayList<>();
    double previousPerDoc = 0;
    String headline = "NaN";
    for (String size : a.string("embed-sizes", "1000,10000").split(",")) {
      int n = Integer.parseInt(size.trim());
      Path dir = work.resolve(Integer.toString(n));
      generate(dir, texts, base, n, noise);
      List<String> common = new ArrayList<>(List.of("--sampler=density", "--rate=0.2"));
      common.addAll(List.of(kdeArgs.split(" ")));
      List<String> cached = new ArrayList<>(common);
      cached.add("--embeddingsCache=" + dir.resolve("embeddings"));
      ScaleJobs.Run withCache = runJob(jobJar, heap, parallelism, dir.resolve("in"), dir.resolve("out-cached"), cached);
      ScaleJobs.Run embedding = runJob(jobJar, heap, parallelism, dir.resolve("in"), dir.resolve("out-embedding"), common);
      double embedSeconds = Math.max(1e-9, embedding.wallSeconds - withCache.wallSeconds);
      double busySeconds = embedBusySeconds(dir.resolve("out-embedding"));
      double perDoc = embedSeconds / n;
      String growth = previousPerDoc == 0 ? "-" : String.format(Locale.ROOT, "%.2f", perDoc / previousPerDoc);
      previousPerDoc = perDoc;
      headline = String.format(Locale.ROOT, "%.1f", n / embedSeconds);
      String row = String.format(Locale.ROOT, "| %,9d | %7.1f | %7.1f | %7.1f | %8.1f | %7.1f | %8d | %8d | %s |",
          n, withCache.wallSeconds, embedding.wallSeconds, embedSeconds, n / embedSeconds, busySeconds,
          withCache.peakRssMb, embedding.peakRssMb, growth);
      rows.add(row);
      System.out.println(row + "  load " + loadAverage());
    }
    printTable(rows, "documents", "cached wall s", "embedding wall s", "embed stage s", "embed docs/s",
        "model busy s (all threads)", "cached peak RSS MB", "embedding peak RSS MB", "embed s/doc vs previous size");
    System.out.println("embed_docs_per_s_at_largest_size: " + headline);
  }

  /** The rows under a Markdown header of {@code columns}, then the load average. */
  private static void printTable(List<String> rows, String... columns) {
    System.out.println();
    System.out.println("| " + String.join(" | ", columns) + " |");
    System.out.println("|" + "---|".repeat(columns.length));
    rows.forEach(System.out::println);
    System.out.printf(Locale.ROOT, "load after: %s%n", loadAverage());
  }

  /** Embed's summed batch latency in seconds, from the report data a job run writes; NaN if absent. */
  private static double embedBusySeconds(Path out) {
    try {
      JsonNode t = new ObjectMapper().readTree(Files.readString(out.resolve("report/data/timings.json")));
      for (JsonNode stage : t.path("stages")) {
        if (stage.path("stage").asText().equals("Embed")) {
          return stage.path("busySeconds").asDouble(Double.NaN);
        }
      }
    } catch (IOException e) {
      // no report data: the column prints NaN
    }
    return Double.NaN;
  }
}
