package dev.dataselect.runners.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Runs the bundled jar's main job on a real Flink session cluster, started and stopped by
 * {@code runners/flink/start-cluster.sh} and {@code stop-cluster.sh} exactly as a user would, and
 * checks that its selection equals the DirectRunner's for the same seed.
 *
 * <p>Runs in {@code mvn verify} (failsafe, after {@code package} built the jar). The first run on
 * a machine resolves the cluster's Flink jars through Maven; later runs reuse them.
 */
class FlinkClusterIT {
  private static final Path RUNNERS = Path.of(System.getProperty("dataselect.runnersDir", ".")).toAbsolutePath();
  private static final Path JAR = RUNNERS.resolve("target/dataselect-bundled.jar");
  private static final Path WORK = RUNNERS.resolve("target/flink-it");
  // Generous: the DirectRunner job alone took close to 5 minutes on a loaded 2-core CI machine.
  private static final Duration PROCESS_TIMEOUT = Duration.ofMinutes(15);

  /** The job, as both runners run it; the model stages add their options here. */
  private static final List<String> JOB_ARGS = List.of("--rate=0.3", "--seed=20240215", "--dedup=true", "--progressSeconds=0");

  @Test
  void clusterSelectsWhatTheDirectRunnerSelects() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "the bundled jar is built in the package phase: " + JAR);
    Path corpus = writeCorpus(WORK.resolve("corpus"));

    // The DirectRunner run computes the embeddings and writes them as a cache; the "scores given"
    // runs below read that cache, so no model runs in them.
    Path directOut = WORK.resolve("direct-out");
    Path cache = WORK.resolve("embeddings-cache");
    deleteRecursively(cache);
    // Without the DirectRunner's immutability check: it walks the job's whole graph for every bundle (minutes here).
    runJob("direct", job(corpus, directOut, List.of("--embeddingsCache=" + cache, "--enforceImmutability=false")));
    Path localOut = WORK.resolve("flink-local-cached-out");
    runJob("flink-local-cached", job(corpus, localOut, List.of(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--flinkConfDir=" + RUNNERS.resolve("flink/conf"),
        "--parallelism=2", "--embeddingsCache=" + cache)));
    Path clusterCachedOut = WORK.resolve("flink-cached-out");

    Path clusterDir = WORK.resolve("cluster");
    int restPort = freePort();
    List<String> start = new ArrayList<>(List.of(
        "bash", RUNNERS.resolve("flink/start-cluster.sh").toString(), "--dir", clusterDir.toString(),
        "--rest-port", String.valueOf(restPort), "--rpc-port", String.valueOf(freePort()), "--slots", "2"));
    Path flinkOut = WORK.resolve("flink-out");
    try {
      run("start-cluster", start);
      run("start-cluster-again", start);
      assertTrue(Files.readString(WORK.resolve("start-cluster-again.log")).contains("already running"),
          "starting a running cluster leaves it alone");
      runJob("flink", job(corpus, flinkOut, List.of(
          "--runner=FlinkRunner",
          "--flinkMaster=localhost:" + restPort,
          "--filesToStage=" + JAR,
          "--flinkConfDir=" + RUNNERS.resolve("flink/conf"),
          "--parallelism=2")));
      runJob("flink-cached", job(corpus, clusterCachedOut, List.of(
          "--runner=FlinkRunner",
          "--flinkMaster=localhost:" + restPort,
          "--filesToStage=" + JAR,
          "--flinkConfDir=" + RUNNERS.resolve("flink/conf"),
          "--parallelism=2",
          "--embeddingsCache=" + cache)));
      JsonNode jobs = new ObjectMapper().readTree(restGet(restPort, "/jobs/overview")).get("jobs");
      assertEquals(2, jobs.size(), "two jobs ran on the cluster: " + jobs);
      for (JsonNode j : jobs) {
        assertEquals("FINISHED", j.get("state").asText(), jobs.toString());
      }
    } finally {
      run("stop-cluster", List.of("bash", RUNNERS.resolve("flink/stop-cluster.sh").toString(), "--dir", clusterDir.toString()));
    }

    JsonNode direct = summary(directOut);
    JsonNode flink = summary(flinkOut);
    assertEquals("org.apache.beam.runners.flink.FlinkRunner", flink.at("/options/runner").asText());
    for (String count : List.of("records", "documents", "duplicates", "selected", "rejected", "deadLetters")) {
      assertEquals(direct.get(count), flink.get(count), count + " differs: direct " + direct + "\nflink " + flink);
    }
    assertEquals(502, direct.get("records").asLong(), direct.toString());
    assertEquals(2, direct.at("/deadLetters").size(), direct.toString());
    assertEquals(20, direct.get("duplicates").asLong(), direct.toString());

    TreeSet<String> directIds = selectedIds(directOut);
    TreeSet<String> flinkIds = selectedIds(flinkOut);
    assertFalse(directIds.isEmpty());
    assertEquals(direct.get("selected").asLong(), directIds.size());
    // Embeddings computed on each runner: overlap and largest density difference, then equality
    // (full-precision MiniLM gives batch-independent vectors up to float rounding).
    Map<String, Double> directDensity = scores(directOut.resolve("scores/density"));
    Map<String, Double> flinkDensity = scores(flinkOut.resolve("scores/density"));
    assertEquals(directDensity.keySet(), flinkDensity.keySet());
    double maxDiff = 0;
    for (Map.Entry<String, Double> e : directDensity.entrySet()) {
      maxDiff = Math.max(maxDiff, Math.abs(e.getValue() - flinkDensity.get(e.getKey())) / Math.max(1e-300, Math.abs(e.getValue())));
    }
    TreeSet<String> both = new TreeSet<>(directIds);
    both.retainAll(flinkIds);
    double overlap = both.size() / (double) Math.max(directIds.size(), flinkIds.size());
    System.out.printf(java.util.Locale.ROOT, "embeddings computed, direct vs cluster: selection overlap %.4f (%d of %d), largest relative density difference %.3g%n",
        overlap, both.size(), directIds.size(), maxDiff);
    assertTrue(maxDiff < 1e-4, "density scores differ by up to " + maxDiff);
    assertTrue(overlap >= 0.999, "overlap " + overlap);
    assertEquals(directIds, flinkIds, "the cluster's selection differs from the DirectRunner's");

    // Scores given (the embeddings cache): identical selections and densities on all three.
    for (Path other : List.of(localOut, clusterCachedOut)) {
      assertEquals(directIds, selectedIds(other), other + " selects differently from the DirectRunner");
      assertEquals(directDensity, scores(other.resolve("scores/density")), other + " densities differ");
      assertEquals(direct.get("selected"), summary(other).get("selected"));
    }
  }

  /**
   * 502 records in three files and two formats: 480 distinct documents, 20 copies that differ in
   * case and spacing only (duplicates), one empty text and one malformed line (dead letters).
   */
  static Path writeCorpus(Path dir) throws IOException {
    deleteRecursively(dir);
    Files.createDirectories(dir);
    String[] words = ("data selection keeps the documents that teach a model most coverage quality density "
        + "sample kernel embedding corpus token parliament river mountain history language science music "
        + "market energy weather city garden recipe engine protocol theorem").split(" ");
    List<String> texts = new ArrayList<>();
    long state = 42;
    for (int i = 0; i < 480; i++) {
      StringBuilder text = new StringBuilder("Document " + i + ":");
      for (int w = 0; w < 12 + i % 20; w++) {
        state = state * 6364136223846793005L + 1442695040888963407L;
        text.append(' ').append(words[(int) ((state >>> 33) % words.length)]);
      }
      texts.add(text.append('.').toString());
    }
    StringBuilder a = new StringBuilder();
    StringBuilder b = new StringBuilder();
    StringBuilder c = new StringBuilder("id\ttext\n");
    for (int i = 0; i < texts.size(); i++) {
      String line = "{\"id\": \"doc-" + i + "\", \"text\": \"" + texts.get(i) + "\"}\n";
      if (i < 200) {
        a.append(line);
      } else if (i < 400) {
        b.append(line);
      } else {
        c.append("doc-").append(i).append('\t').append(texts.get(i)).append('\n');
      }
    }
    for (int i = 0; i < 20; i++) {
      String copy = "  " + texts.get(i * 23).toUpperCase(java.util.Locale.ROOT).replace(" ", "   ");
      b.append("{\"id\": \"copy-").append(i).append("\", \"text\": \"").append(copy).append("\"}\n");
    }
    a.append("{\"id\": \"empty\", \"text\": \"   \"}\n");
    a.append("{\"id\": \"broken\", \"text\": \n");
    Files.writeString(dir.resolve("part-a.jsonl"), a, StandardCharsets.UTF_8);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("part-b.jsonl.gz")))) {
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    }
    Files.writeString(dir.resolve("part-c.tsv"), c, StandardCharsets.UTF_8);
    return dir;
  }

  private static List<String> job(Path corpus, Path out, List<String> runnerArgs) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xss8m", "-Xmx1g",
        "-Djava.io.tmpdir=" + WORK.resolve("tmp"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", JAR.toString(), "dev.dataselect.pipelines.Dataselect",
        "--input=" + corpus + "/", "--output=" + out));
    command.addAll(JOB_ARGS);
    command.addAll(runnerArgs);
    return command;
  }

  private static void runJob(String name, List<String> command) throws IOException, InterruptedException {
    Files.createDirectories(WORK.resolve("tmp"));
    run(name, command);
  }

  /** Runs a command to completion, its output in target/flink-it/NAME.log; fails with its tail. */
  private static void run(String name, List<String> command) throws IOException, InterruptedException {
    Files.createDirectories(WORK);
    Path log = WORK.resolve(name + ".log");
    Process process = new ProcessBuilder(command)
        .directory(RUNNERS.getParent().toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    long started = System.nanoTime();
    boolean finished = process.waitFor(PROCESS_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (!finished) {
      process.destroyForcibly().waitFor();
    }
    System.out.printf("%s: %.1f s%n", name, (System.nanoTime() - started) / 1e9);
    if (!finished || process.exitValue() != 0) {
      throw new AssertionError(name + (finished ? " exited " + process.exitValue() : " timed out")
          + "; last lines of " + log + ":\n" + tail(log, 40) + "\n(command: " + String.join(" ", command) + ")");
    }
  }

  private static String restGet(int port, String path) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), path + ": " + response.body());
    return response.body();
  }

  private static JsonNode summary(Path out) throws IOException {
    return new ObjectMapper().readTree(out.resolve("summary.json").toFile());
  }

  /** id → score from the Parquet files in a scores folder. */
  private static Map<String, Double> scores(Path folder) throws IOException {
    Map<String, Double> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList()) {
        try (org.apache.parquet.hadoop.ParquetReader<org.apache.avro.generic.GenericRecord> r =
            org.apache.parquet.avro.AvroParquetReader.<org.apache.avro.generic.GenericRecord>builder(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), new org.apache.hadoop.conf.Configuration())).build()) {
          for (org.apache.avro.generic.GenericRecord rec = r.read(); rec != null; rec = r.read()) {
            assertEquals(null, out.put(rec.get("id").toString(), (Double) rec.get("score")), "one score per id");
          }
        }
      }
    }
    assertFalse(out.isEmpty(), "scores in " + folder);
    return out;
  }

  private static TreeSet<String> selectedIds(Path out) throws IOException {
    TreeSet<String> ids = new TreeSet<>();
    try (Stream<Path> files = Files.list(out.resolve("selected-ids"))) {
      for (Path f : files.toList()) {
        ids.addAll(Files.readAllLines(f, StandardCharsets.UTF_8));
      }
    }
    return ids;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
