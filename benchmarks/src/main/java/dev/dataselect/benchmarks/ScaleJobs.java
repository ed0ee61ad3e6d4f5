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
import java.nio.file.StandardCopyOption;
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
 * What {@link ScaleBenchmark} and {@link StoreBenchmark} share: the corpus of copies of the real web
 * texts with its embeddings cache (see {@link ScaleBenchmark} for how they are made), and runs of the
 * bundled jar's main job on Flink local in a separate JVM (wall time, peak RSS, summary.json).
 */
final class ScaleJobs {
  private ScaleJobs() {}

  /** The shared real web texts cut to their first {@code chars} characters, and their real MiniLM vectors. */
  static final class Web {
    final String[] texts;
    final float[][] base;

    private Web(String[] texts, float[][] base) {
      this.texts = texts;
      this.base = base;
    }
  }

  static Web web(int chars) throws IOException {
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
    return new Web(texts, base);
  }

  /** Copies the bundled jar into {@code work}: a rebuild must not change a running job's jar. */
  static Path jobJar(Path jar, Path work) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no bundled jar at " + jar + ": build it (./mvnw -o -q -pl runners -am package -DskipTests)");
    }
    Files.createDirectories(work);
    Path jobJar = work.resolve("dataselect-bundled.jar");
    Files.copy(jar, jobJar, StandardCopyOption.REPLACE_EXISTING);
    return jobJar;
  }

  /** Writes size {@code n}'s corpus ({@code dir/in}) and embeddings cache ({@code dir/embeddings}) unless present. */
  static void generate(Path dir, String[] texts, float[][] base, int n, double noise) throws IOException {
    if (Files.isDirectory(dir.resolve("in")) && Files.isDirectory(dir.resolve("embeddings"))) {
      return;
    }
    deleteTree(dir);
    long t0 = System.nanoTime();
    writeCorpus(dir.resolve("in"), texts, n, 8);
    writeCache(dir.resolve("embeddings"), base, n, noise, 8);
    System.out.printf(Locale.ROOT, "generated %d documents in %.0f s%n", n, (System.nanoTime() - t0) / 1e9);
  }

  /** The first {@code chars} characters, cut back to the last space. */
  static String head(String text, int chars) {
    if (text.length() <= chars) {
      return text;
    }
    int cut = text.lastIndexOf(' ', chars);
    return text.substring(0, cut > chars / 2 ? cut : chars);
  }

  /** Copy {@code c} of web text {@code j}: the text itself for c = 0, else with the word {@code v<c>} inserted. */
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

  static void writeCorpus(Path in, String[] texts, int n, int shards) throws IOException {
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
  static void writeCache(Path cache, float[][] base, int n, double noise, int shards) throws IOException {
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
        GenericData.Record r = new GenericData.Record(schema);
        r.put("id", "w" + j + "-" + c);
        r.put("embedding", floats(arraySchema, perturb(base[j], j, c, noise)));
        out.get(i % shards).write(r);
      }
    } finally {
      for (ParquetWriter<GenericRecord> o : out) {
        o.close();
      }
    }
  }

  /** A vector as an Avro array of floats. */
  static GenericData.Array<Float> floats(Schema arraySchema, float[] v) {
    List<Float> values = new ArrayList<>(v.length);
    for (float x : v) {
      values.add(x);
    }
    return new GenericData.Array<>(arraySchema, values);
  }

  /** Copy {@code c}'s vector: web text {@code j}'s own for c = 0, else plus seeded Gaussian noise, renormalised. */
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

  /** One job run: wall time (JVM start to exit), peak RSS of its JVM, its summary.json. */
  static final class Run {
    double wallSeconds;
    long peakRssMb;
    JsonNode summary;
  }

  /**
   * The bundled jar's main job on Flink local ({@code --flinkMaster=[local]}) in a separate JVM with
   * {@code -Xmx<heap>}, {@code --seed=7}, no progress lines, plus {@code extra}; its output goes to
   * {@code <out>.log}. Fails if the job exits non-zero.
   */
  static Run runJob(Path jar, String heap, int parallelism, Path in, Path out, List<String> extra) throws Exception {
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

  /** /proc/loadavg as written: the machine may be shared, which skews timings. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  static void deleteTree(Path dir) throws IOException {
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
