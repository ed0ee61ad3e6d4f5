package dev.dataselect.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.pipelines.EmbeddingsCacheMetadata;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.inference.WriteEmbeddings;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SortedMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

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
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no bundled jar at " + jar + ": build it (./mvnw -o -q -pl runners -am package -DskipTests)");
    }
    Files.createDirectories(work);
    Path jobJar = work.resolve("dataselect-bundled.jar");
    Files.copy(jar, jobJar, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // a rebuild must not change a running job's jar

    List<Document> web = WebDocuments.load(BenchSupport.sharedData(), Integer.MAX_VALUE);
    List<Embedding> vectors = WebEmbeddings.load();
    if (vectors.size() != web.size()) {
      throw new IllegalStateException("web embeddings (" + vectors.size() + ") do not match the web documents (" + web.size() + ")");
    }
    String[] texts = new String[web.size()];
    for (int j = 0; j < texts.length; j++) {
      texts[j] = head(web.get(j).text(), chars);
    }
    float[][] base = new float[vectors.size()][];
    for (int j = 0; j < base.length; j++) {
      base[j] = vectors.get(j).vector();
    }
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
      Run io = a.flag("full-only") ? null : runJob(jobJar, heap, parallelism, in, dir.resolve("out-random"), List.of("--sampler=random", "--dedup=false", "--rate=0.2"));
      if (io == null) {
        io = new Run();
        io.wallSeconds = Double.NaN;
        io.peakRssMb = -1;
      }
      List<String> density = new ArrayList<>(List.of("--sampler=density", "--rate=0.2", "--embeddingsCache=" + cache));
      density.addAll(List.of(kdeArgs.split(" ")));
      Run full = runJob(jobJar, heap, parallelism, in, dir.resolve("out-density"), density);
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

  /** Writes size {@code n}'s corpus ({@code dir/in}) and embeddings cache ({@code dir/embeddings}) unless present. */
  private static void generate(Path dir, String[] texts, float[][] base, int n, double noise) throws IOException {
    if (Files.isDirectory(dir.resolve("in")) && Files.isDirectory(dir.resolve("embeddings"))) {
      return;
    }
    deleteTree(dir);
    long t0 = System.nanoTime();
    writeCorpus(dir.resolve("in"), texts, n, 8);
    writeCache(dir.resolve("embeddings"), base, n, noise, 8);
    System.out.printf(Locale.ROOT, "generated %d documents in %.0f s%n", n, (System.nanoTime() - t0) / 1e9);
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
      Run withCache = runJob(jobJar, heap, parallelism, dir.resolve("in"), dir.resolve("out-cached"), cached);
      Run embedding = runJob(jobJar, heap, parallelism, dir.resolve("in"), dir.resolve("out-embedding"), common);
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

  /** The first {@code chars} characters, cut back to the last space. */
  static String head(String text, int chars) {
    if (text.length() <= chars) {
      return text;
    }
    int cut = text.lastIndexOf(' ', chars);
    return text.substring(0, cut > chars / 2 ? cut : chars);
  }

  static String copyText(String text, int j, int c) {
    if (c == 0) {
      return text;
    }
    String[] words = text.split(" ", -1);
    int at = (int) (Hashes.unit(j + "-" + c, 17) * (words.length + 1));
    StringBuilder s = new StringBuilder(text.length() + 8);
    for (int k = 0; k <= words.length; k++) {
      if (k == at) {
        s.append(k == 0 ? "" : " ").append('v').append(c);
      }
      if (k < words.length) {
        s.append(k == 0 && at != 0 ? "" : " ").append(words[k]);
      }
    }
    return s.toString();
  }

  private static void writeCorpus(Path in, String[] texts, int n, int shards) throws IOException {
    Files.createDirectories(in);
    ObjectMapper json = new ObjectMapper();
    List<Writer> out = new ArrayList<>();
    for (int k = 0; k < shards; k++) {
      out.add(new BufferedWriter(new OutputStreamWriter(
          new GZIPOutputStream(Files.newOutputStream(in.resolve(String.format("part-%02d.jsonl.gz", k))), 1 << 16), StandardCharsets.UTF_8), 1 << 16));
    }
    int w = texts.length;
    for (int i = 0; i < n; i++) {
      int j = i % w;
      int c = i / w;
      ObjectNode node = json.createObjectNode();
      node.put("id", "w" + j + "-" + c);
      node.put("text", copyText(texts[j], j, c));
      Writer o = out.get(i % shards);
      o.write(json.writeValueAsString(node));
      o.write('\n');
    }
    for (Writer o : out) {
      o.close();
    }
  }

  /**
   * The copies' vectors as the job's embeddings cache: {@code shards} Parquet files in the layout
   * and schema {@link WriteEmbeddings} writes (so the job reads them as its own), streamed by plain
   * Parquet writers, document i to file i mod shards. Memory stays at one row group per file.
   */
  private static void writeCache(Path cache, float[][] base, int n, double noise, int shards) throws IOException {
    Files.createDirectories(cache);
    SortedMap<String, String> metadata =
        EmbeddingsCacheMetadata.of(PipelineOptionsFactory.fromArgs().as(DataselectOptions.class));
    Schema schema = WriteEmbeddings.fileSchema(metadata);
    Schema arraySchema = schema.getField("embedding").schema();
    List<ParquetWriter<GenericRecord>> out = new ArrayList<>();
    try {
      for (int k = 0; k < shards; k++) {
        Path file = cache.resolve(String.format(Locale.ROOT, "embeddings-%05d-of-%05d.parquet", k, shards));
        out.add(AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(file.toUri()))
            .withSchema(schema)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .build());
      }
      int w = base.length;
      for (int i = 0; i < n; i++) {
        int j = i % w;
        int c = i / w;
        float[] v = perturb(base[j], j, c, noise);
        List<Float> values = new ArrayList<>(v.length);
        for (float x : v) {
          values.add(x);
        }
        GenericData.Record r = new GenericData.Record(schema);
        r.put("id", "w" + j + "-" + c);
        r.put("embedding", new GenericData.Array<>(arraySchema, values));
        out.get(i % shards).write(r);
      }
    } finally {
      for (ParquetWriter<GenericRecord> o : out) {
        o.close();
      }
    }
  }

  static float[] perturb(float[] v, int j, int c, double noise) {
    if (c == 0) {
      return v.clone();
    }
    Random r = new Random(((long) j << 32) ^ c ^ 0x5DEECE66DL);
    float[] out = new float[v.length];
    double norm = 0;
    for (int k = 0; k < v.length; k++) {
      out[k] = (float) (v[k] + noise * r.nextGaussian());
      norm += out[k] * (double) out[k];
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int k = 0; k < v.length; k++) {
      out[k] *= inv;
    }
    return out;
  }

  private static final class Run {
    double wallSeconds;
    long peakRssMb;
    JsonNode summary;
  }

  private static Run runJob(Path jar, String heap, int parallelism, Path in, Path out, List<String> extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        "java", "-Xmx" + heap, "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xss8m",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", jar.toString(), "dev.dataselect.pipelines.Dataselect",
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--flinkConfDir=runners/flink/conf",
        "--parallelism=" + parallelism, "--input=" + in + "/", "--output=" + out, "--progressSeconds=0", "--seed=7"));
    cmd.addAll(extra);
    Path log = out.resolveSibling(out.getFileName() + ".log");
    Files.createDirectories(out.getParent());
    long t0 = System.nanoTime();
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long peakKb = 0;
    Path status = Path.of("/proc", Long.toString(proc.pid()), "status");
    while (proc.isAlive()) {
      peakKb = Math.max(peakKb, hwmKb(status));
      Thread.sleep(200);
    }
    int rc = proc.waitFor();
    Run r = new Run();
    r.wallSeconds = (System.nanoTime() - t0) / 1e9;
    r.peakRssMb = peakKb / 1024;
    if (rc != 0) {
      throw new IllegalStateException("job failed (exit " + rc + "), see " + log);
    }
    r.summary = new ObjectMapper().readTree(Files.readString(out.resolve("summary.json")));
    return r;
  }

  private static long hwmKb(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between the check and the read
    }
    return 0;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
