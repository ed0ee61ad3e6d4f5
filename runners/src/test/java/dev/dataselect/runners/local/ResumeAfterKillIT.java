package dev.dataselect.runners.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.Summary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.junit.jupiter.api.Test;

/**
 * A local run of the main job ({@code bin/dataselect}'s command: the bundled jar on the default
 * runner, Flink in-process) with {@code --scoreStore} is killed with SIGKILL once the store holds a
 * third of the corpus's embeddings; the same command then finishes the job, embedding only what the
 * store lacks, and selects and counts exactly what an uninterrupted run without a store does.
 */
class ResumeAfterKillIT {
  private static final Path RUNNERS = Path.of(System.getProperty("dataselect.runnersDir", ".")).toAbsolutePath();
  private static final Path JAR = RUNNERS.resolve("target/dataselect-bundled.jar");
  private static final Path WORK = RUNNERS.resolve("target/resume-it");
  private static final int DOCUMENTS = 400;
  private static final int FLUSH = 8;
  /** Embed's default batch; one batch per worker (parallelism = cores) may be in flight when killed. */
  private static final int BATCH = 32;

  @Test
  void aKilledRunResumesFromTheStoreAndSelectsWhatAnUninterruptedRunSelects() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "the bundled jar is built in the package phase: " + JAR);
    deleteRecursively(WORK);
    Files.createDirectories(WORK);
    Path corpus = writeCorpus(WORK.resolve("corpus.jsonl"));
    Path store = WORK.resolve("store");
    List<String> command = command(corpus, WORK.resolve("resumed"), "--scoreStore=" + store, "--scoreStoreFlushEntries=" + FLUSH);

    // 1. Start, and kill -9 once a third of the embeddings are in the store: files are counted while
    // it runs (cheap; each holds at most FLUSH entries), the entries read exactly after the kill.
    Process first = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(WORK.resolve("killed.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    long files = 0;
    while (first.isAlive() && System.nanoTime() < deadline) {
      files = partFiles(store);
      if (files >= DOCUMENTS / 3 / FLUSH + 3) {
        break;
      }
      Thread.sleep(100);
    }
    assertTrue(first.isAlive(), "the run ended before a third was stored (" + files + " files); see " + WORK.resolve("killed.log"));
    first.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
    first.waitFor();
    assertFalse(Files.exists(WORK.resolve("resumed/summary.json")), "the killed run did not finish");
    Set<String> afterKill = entries(store);
    assertTrue(afterKill.size() >= DOCUMENTS / 3 && afterKill.size() < DOCUMENTS, "stored at the kill: " + afterKill.size());

    // 2. The same command again: only what the store lacks is embedded.
    run("resumed", command);
    JsonNode resumed = summary(WORK.resolve("resumed"));
    long missing = DOCUMENTS - afterKill.size();
    long scored = resumed.at("/store/embedScored").asLong();
    int workers = Runtime.getRuntime().availableProcessors();
    assertTrue(scored >= missing && scored <= missing + (long) BATCH * workers,
        "embedded " + scored + " with " + missing + " missing: " + resumed);
    assertEquals(DOCUMENTS, scored + resumed.at("/store/embedServed").asLong(), resumed.toString());

    // 3. An uninterrupted run without a store: the same selection and counts.
    run("uninterrupted", command(corpus, WORK.resolve("uninterrupted")));
    JsonNode whole = summary(WORK.resolve("uninterrupted"));
    for (String count : Summary.COUNTS) {
      assertEquals(whole.get(count).asLong(), resumed.get(count).asLong(), count + ": " + resumed + " vs " + whole);
    }
    assertEquals(ids(WORK.resolve("uninterrupted")), ids(WORK.resolve("resumed")));
    try (Stream<Path> left = Files.walk(WORK.resolve("resumed"))) {
      assertEquals(List.of(), left.filter(f -> f.getFileName().toString().startsWith(".temp-beam-")).toList(),
          "the resumed run cleared the killed run's temporary sink folders");
    }
    System.out.printf("stored at the kill: %d of %d; the resumed run embedded %d%n", afterKill.size(), DOCUMENTS, scored);
  }

  private static List<String> command(Path corpus, Path out, String... more) {
    List<String> c = new ArrayList<>(List.of("java", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xss8m", "-Xmx2g",
        "-cp", JAR.toString(), "dev.dataselect.pipelines.Dataselect", "--input=" + corpus, "--output=" + out,
        "--rate=0.3", "--seed=17", "--kdeSampleSize=100", "--progressSeconds=0"));
    c.addAll(DefaultLocalRunnerTest.DEFAULT_RUNNER);
    c.addAll(List.of(more));
    return c;
  }

  /** Distinct documents of 80–160 words, so embedding takes ten seconds or more on two cores. */
  private static Path writeCorpus(Path file) throws IOException {
    String[] topics = {"river", "bridge", "music", "film", "bread", "marathon", "tide", "moon", "garden", "library"};
    StringBuilder s = new StringBuilder();
    java.util.Random r = new java.util.Random(5);
    for (int i = 0; i < DOCUMENTS; i++) {
      StringBuilder text = new StringBuilder("Entry " + i + ".");
      int words = 80 + r.nextInt(80);
      for (int w = 0; w < words; w++) {
        text.append(' ').append(topics[r.nextInt(topics.length)]).append(w % 9 == 8 ? "." : "");
      }
      s.append("{\"id\": \"doc-").append(i).append("\", \"text\": \"").append(text).append("\"}\n");
    }
    Files.writeString(file, s.toString(), StandardCharsets.UTF_8);
    return file;
  }

  private static long partFiles(Path store) throws IOException {
    if (!Files.isDirectory(store)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(store)) {
      return s.filter(f -> f.getFileName().toString().startsWith("part-")).count();
    } catch (UncheckedIOException e) {
      // The running job renamed a temporary file away while the walk read it: counted on the next poll.
      return 0;
    }
  }

  /** The text hashes in the store's finished files (a file being renamed is read on the next poll). */
  private static Set<String> entries(Path store) throws IOException {
    Set<String> out = new HashSet<>();
    if (!Files.isDirectory(store)) {
      return out;
    }
    List<Path> parts;
    try (Stream<Path> s = Files.walk(store)) {
      parts = s.filter(f -> f.getFileName().toString().startsWith("part-")).toList();
    }
    for (Path f : parts) {
      try (ParquetReader<GenericRecord> reader =
          AvroParquetReader.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri())).build()) {
        GenericRecord rec;
        while ((rec = reader.read()) != null) {
          out.add(rec.get("text").toString());
        }
      } catch (IOException | RuntimeException e) {
        // renamed away or still being read: counted on the next poll
      }
    }
    return out;
  }

  private static void run(String name, List<String> command) throws IOException, InterruptedException {
    Path log = WORK.resolve(name + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean done = p.waitFor(15, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly().waitFor();
    }
    assertTrue(done && p.exitValue() == 0, name + (done ? " exited " + p.exitValue() : " timed out") + ":\n" + Files.readString(log));
  }

  private static JsonNode summary(Path out) throws IOException {
    return new ObjectMapper().readTree(out.resolve("summary.json").toFile());
  }

  private static Set<String> ids(Path out) throws IOException {
    Set<String> ids = new TreeSet<>();
    try (Stream<Path> files = Files.list(out.resolve("selected-ids"))) {
      for (Path f : (Iterable<Path>) files.filter(f -> f.getFileName().toString().startsWith("part-"))::iterator) {
        Files.readAllLines(f, StandardCharsets.UTF_8).stream().filter(l -> !l.isEmpty()).forEach(ids::add);
      }
    }
    return ids;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
