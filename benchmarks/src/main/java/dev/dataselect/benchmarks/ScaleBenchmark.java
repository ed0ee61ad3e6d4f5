package dev.dataselect.benchmarks;

import dev.dataselect.pipelines.EmbeddingsCacheMetadata;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.inference.DocumentEmbedding;
import dev.dataselect.transforms.inference.WriteEmbeddings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptor;

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
 * embeddings cache (WriteEmbeddings, with the metadata of the job's default embedding model), so
 * the job reads vectors instead of running the model.
 *
 * <p>Each size runs twice: {@code --sampler=random --dedup=false} (read → id check → select → write:
 * the I/O path) and the density job. Figures: wall time and documents/s of each run, the density
 * stages' documents/s from the difference of the two walls, peak RSS of the job's JVM (VmHWM from
 * /proc, polled), and the growth of wall time per document between sizes.
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

    List<String> rows = new ArrayList<>();
    double previousPerDoc = 0;
    for (int n : sizes) {
      Path dir = work.resolve(Integer.toString(n));
      Path in = dir.resolve("in");
      Path cache = dir.resolve("embeddings");
      if (!Files.isDirectory(in) || !Files.isDirectory(cache)) {
        deleteTree(dir);
        long t0 = System.nanoTime();
        writeCorpus(in, texts, n, 8);
        writeCache(cache, base, n, noise);
        System.out.printf(Locale.ROOT, "generated %d documents in %.0f s%n", n, (System.nanoTime() - t0) / 1e9);
      }
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
          && s.at("/reconciles/documentsEqualBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean();
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
    System.out.println();
    System.out.println("| documents | io wall s | io docs/s | full wall s | full docs/s | density-stages docs/s | io peak RSS MB | full peak RSS MB | selected | reconciles | wall/doc vs previous size |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.out.printf(Locale.ROOT, "load after: %s%n", loadAverage());
    System.out.println("largest size completed: " + sizes.get(sizes.size() - 1));
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

  /** The copies' vectors, written by the job's own cache writer (a small Beam pipeline). */
  private static void writeCache(Path cache, float[][] base, int n, double noise) {
    DataselectOptions defaults = PipelineOptionsFactory.fromArgs().as(DataselectOptions.class);
    SortedMap<String, String> metadata = EmbeddingsCacheMetadata.of(defaults);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--enforceEncodability=false", "--enforceImmutability=false", "--targetParallelism=2").create());
    int w = base.length;
    p.apply("Indexes", GenerateSequence.from(0).to(n))
        .apply("Vectors", MapElements.into(TypeDescriptor.of(DocumentEmbedding.class)).via((Long i) -> {
          int j = (int) (i % w);
          int c = (int) (i / w);
          return DocumentEmbedding.of("w" + j + "-" + c, perturb(base[j], j, c, noise));
        }))
        .apply("WriteCache", WriteEmbeddings.to(cache.toString() + "/").withMetadata(metadata).withNumShards(8));
    p.run().waitUntilFinish();
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
