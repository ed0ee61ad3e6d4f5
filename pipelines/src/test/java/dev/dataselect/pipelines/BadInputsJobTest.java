package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.testing.Fixtures;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole main job over one input folder that holds every kind of bad input next to good
 * documents: the job completes, each bad record is a dead letter with its specific reason at its
 * exact source, the counts in summary.json reconcile exactly, and the selection is the one the hash
 * rule gives for the good documents.
 */
class BadInputsJobTest {
  private static final int HUGE_BYTES = 50 << 20;
  private static final long SEED = 11;
  private static final double RATE = 0.5;

  @TempDir Path dir;

  /** Expected dead letters as "file#index" → reason; the truncated gzip's index is checked apart. */
  private final Map<String, String> expected = new TreeMap<>();

  private Path corpus() throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    StringBuilder good = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      good.append("{\"id\": \"g").append(i).append("\", \"text\": \"Good document number ").append(i).append(" about topic ").append(i % 7).append(".\"}\n");
    }
    String[] bad = {
      "{\"id\": \"m1\", \"text\": \"unterminated\n", "malformed_json",
      "{\"id\": \"t1\", \"text\": 42}\n", "text_not_string",
      "{\"id\": {\"x\": 1}, \"text\": \"the id is an object\"}\n", "bad_id",
      "{\"id\": \"nt\", \"body\": \"no text field here\"}\n", "missing_text",
      "{\"id\": \"e1\", \"text\": \"\"}\n", "empty_text",
      "{\"id\": \"e2\", \"text\": \" \\t\\n \\u00a0 \"}\n", "empty_text",
      "{\"id\": \"z1\", \"text\": \"nul\\u0000inside\"}\n", "nul_bytes",
      "{\"id\": \"g3\", \"text\": \"Another text under the id of document 3.\"}\n", "duplicate_id",
    };
    for (int i = 0; i < bad.length; i += 2) {
      // an uncompressed line's index is its byte offset (ASCII here: one byte a character)
      expected.put("good.jsonl#" + good.length(), bad[i + 1]);
      good.append(bad[i]);
    }
    // The same text as g7 under another id: an exact duplicate (counted, not a dead letter).
    good.append("{\"id\": \"copy-of-7\", \"text\": \"good DOCUMENT number 7   about topic 0.\"}\n");
    Fixtures.write(in.resolve("good.jsonl"), good.toString());

    ByteArrayOutputStream latin1 = new ByteArrayOutputStream();
    latin1.writeBytes("{\"id\": \"l0\", \"text\": \"caf".getBytes(StandardCharsets.UTF_8));
    latin1.write(0xE9);
    latin1.writeBytes("\"}\n{\"id\": \"l1\", \"text\": \"valid after an invalid line\"}\n".getBytes(StandardCharsets.UTF_8));
    Fixtures.write(in.resolve("latin1.jsonl"), latin1.toByteArray());
    expected.put("latin1.jsonl#0", "invalid_utf8");

    StringBuilder cut = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      cut.append("{\"id\": \"c").append(i).append("\", \"text\": \"record ").append(i).append(" of a file whose gzip stream is cut\"}\n");
    }
    byte[] gz = Fixtures.gzip(cut.toString().getBytes(StandardCharsets.UTF_8), 1024);
    Fixtures.writeRaw(in.resolve("cut.jsonl.gz"), Arrays.copyOf(gz, gz.length / 2));

    // One 50 MB record, then a good one: the reader streams past it.
    try (OutputStream o = Files.newOutputStream(in.resolve("huge.jsonl"))) {
      o.write("{\"id\": \"huge\", \"text\": \"".getBytes(StandardCharsets.UTF_8));
      byte[] words = "lorem ipsum dolor sit amet ".repeat(2000).getBytes(StandardCharsets.UTF_8);
      for (long n = 0; n < HUGE_BYTES; n += words.length) {
        o.write(words);
      }
      o.write("\"}\n{\"id\": \"h1\", \"text\": \"a small record after a huge one\"}\n".getBytes(StandardCharsets.UTF_8));
    }
    expected.put("huge.jsonl#0", "record_too_large");

    Schema schema = SchemaBuilder.record("R").fields().requiredString("body").requiredLong("n").endRecord();
    try (ParquetWriter<GenericRecord> w =
        AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(in.resolve("wrong-schema.parquet").toUri())).withSchema(schema).build()) {
      for (long i = 0; i < 3; i++) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("body", "text under another column name " + i);
        r.put("n", i);
        w.write(r);
        expected.put("wrong-schema.parquet#" + i, "missing_text");
      }
    }
    Files.deleteIfExists(in.resolve(".wrong-schema.parquet.crc")); // Hadoop's checksum file
    Files.createFile(in.resolve("zero.jsonl"));
    expected.put("zero.jsonl#0", "empty_file");

    byte[] png = new byte[4000];
    new Random(3).nextBytes(png);
    byte[] header = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 0x0D, 'I', 'H', 'D', 'R'};
    System.arraycopy(header, 0, png, 0, header.length);
    Fixtures.writeRaw(in.resolve("image.txt"), png);
    expected.put("image.txt#0", "binary_file");

    Fixtures.write(in.resolve("notes.xyz"), "a file in no known format\n");
    expected.put("notes.xyz#0", "unknown_format");
    return in;
  }

  @Test
  void everyBadRecordIsADeadLetterWithItsReasonAndTheCountsReconcile() throws IOException {
    Path in = corpus();
    Path out = dir.resolve("out");
    JsonNode s = JobRuns.run("--input=" + in + "/", "--output=" + out, "--sampler=random", "--rate=" + RATE,
        "--seed=" + SEED, "--progressSeconds=0");

    // Dead letters, read back from dead-letters/: exact reason per source; the cut file apart.
    Map<String, String> found = new TreeMap<>();
    List<String> cutLetters = new ArrayList<>();
    ObjectMapper mapper = new ObjectMapper();
    for (String line : deadLetterLines(out)) {
      JsonNode d = mapper.readTree(line);
      String source = d.get("source").asText();
      String key = source.substring(source.lastIndexOf('/') + 1);
      if (key.startsWith("cut.jsonl.gz#")) {
        cutLetters.add(d.get("reason").asText() + " " + d.get("detail").asText());
      } else {
        assertEquals(null, found.put(key, d.get("reason").asText()), "one dead letter per source: " + key);
      }
      assertTrue(!d.get("detail").asText().isBlank(), "a detail for " + line.substring(0, Math.min(200, line.length())));
    }
    assertEquals(expected, found);
    assertEquals(1, cutLetters.size(), cutLetters.toString());
    assertTrue(cutLetters.get(0).startsWith("corrupt_file stopped reading as jsonl"), cutLetters.get(0));

    // Counts: every reason counted, records = documents + dead letters, documents all accounted for.
    Map<String, Long> byReason = new TreeMap<>();
    expected.values().forEach(r -> byReason.merge(r, 1L, Long::sum));
    byReason.merge("corrupt_file", 1L, Long::sum);
    Map<String, Long> counted = new TreeMap<>();
    s.get("deadLetters").fields().forEachRemaining(e -> counted.put(e.getKey(), e.getValue().asLong()));
    assertEquals(byReason, counted, s.toString());
    assertTrue(byReason.size() >= 13, "kinds of bad input: " + byReason.keySet());
    long deadLetters = byReason.values().stream().mapToLong(Long::longValue).sum();
    long cutDocs = s.get("documents").asLong() - 33; // 30 good + copy-of-7 + l1 + h1
    assertTrue(cutDocs > 20 && cutDocs < 400, "documents before the gzip cut: " + cutDocs);
    assertEquals(s.get("documents").asLong() + deadLetters, s.get("records").asLong(), s.toString());
    assertEquals(1, s.get("duplicates").asLong());
    assertEquals(s.get("documents").asLong(), 1 + s.get("selected").asLong() + s.get("rejected").asLong());
    assertTrue(s.at("/reconciles/recordsEqualDocumentsPlusDeadLetters").asBoolean(), s.toString());
    assertTrue(s.at("/reconciles/documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected").asBoolean());

    // The selection: the hash rule over the good documents (a prefix c0.. of the cut file survives).
    TreeSet<String> kept = new TreeSet<>(List.of("copy-of-7", "l1", "h1"));
    for (int i = 0; i < 30; i++) {
      if (i != 7) {
        kept.add("g" + i);
      }
    }
    for (int i = 0; i < cutDocs; i++) {
      kept.add("c" + i);
    }
    String selected = kept.stream().filter(id -> Hashes.unit(id, SEED) < RATE).collect(Collectors.joining("\n"));
    assertEquals(selected, JobRuns.selectedIds(out));
  }

  @Test
  void aMissingPathOrAnEmptyGlobFailsBeforeTheJobStartsNamingIt() throws IOException {
    Path good = Fixtures.write(dir.resolve("ok.jsonl"), "{\"text\": \"fine\"}\n");
    Path missing = dir.resolve("no-such-file.jsonl");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> JobRuns.run("--input=" + good + "," + missing, "--output=" + dir.resolve("x"), "--sampler=random"));
    assertTrue(e.getMessage().contains("'" + missing + "' matches no file"), e.getMessage());
    Files.createDirectories(dir.resolve("empty"));
    e = assertThrows(IllegalArgumentException.class,
        () -> JobRuns.run("--input=" + dir.resolve("empty") + "/", "--output=" + dir.resolve("y"), "--sampler=random"));
    assertTrue(e.getMessage().contains(dir.resolve("empty") + "/*' matches no file"), e.getMessage());
    assertTrue(!Files.exists(dir.resolve("x")) && !Files.exists(dir.resolve("y")), "nothing written");
  }

  private static List<String> deadLetterLines(Path out) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(out.resolve("dead-letters"))) {
      for (Iterator<Path> it = files.sorted().iterator(); it.hasNext(); ) {
        Path f = it.next();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)), StandardCharsets.UTF_8))) {
          r.lines().filter(l -> !l.isBlank()).forEach(lines::add);
        } catch (UncheckedIOException | java.io.EOFException ex) {
          throw new AssertionError("cannot read " + f, ex);
        }
      }
    }
    return lines;
  }
}
