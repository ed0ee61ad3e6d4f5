package dev.dataselect.transforms.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.testing.Fixtures;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.example.BytesList;
import org.tensorflow.example.Example;
import org.tensorflow.example.Feature;
import org.tensorflow.example.Features;
import org.tensorflow.example.Int64List;

/** One test per format and one per dead-letter reason, over fixtures each test writes. */
class ReadCorpusTest {
  @TempDir Path dir;

  private static final String JSONL =
      "{\"id\": \"a\", \"text\": \"First document.\", \"url\": \"http://a\"}\n"
          + "\n"
          + "{\"text\": \"Second, without an id.\"}\n"
          + "{\"id\": 7, \"text\": \"Third \\u00e9t\\u00e9.\"}\n";

  /**
   * Runs ReadCorpus and asserts the exact documents (as "id|text") and dead letters (as
   * "reason#index"), and that the per-file record counts add up to their sum.
   */
  private void assertRead(ReadCorpus read, List<String> docs, List<String> deadLetters) {
    Pipeline p = TestPipelines.create();
    assertOutputs(p, p.apply(read), docs, deadLetters);
  }

  private static void assertOutputs(Pipeline p, PCollectionTuple out, List<String> docs, List<String> deadLetters) {
    PAssert.that(out.get(ReadCorpus.DOCUMENTS).apply("Docs", MapElements.into(TypeDescriptors.strings()).via(d -> d.id() + "|" + d.text())))
        .containsInAnyOrder(docs);
    PAssert.that(
            out.get(ReadCorpus.DEAD_LETTERS)
                .apply("Dead", MapElements.into(TypeDescriptors.strings())
                    .via(d -> d.reason().label() + "#" + d.source().substring(d.source().lastIndexOf('#') + 1))))
        .containsInAnyOrder(deadLetters);
    PAssert.thatSingleton(out.get(ReadCorpus.RECORDS).apply(Sum.longsGlobally()))
        .isEqualTo((long) docs.size() + deadLetters.size());
    TestPipelines.run(p);
  }

  private static String derived(String file, long index, String text) {
    return Hashes.derivedId(file, index, text);
  }

  /**
   * The record index of line {@code line} (from 0) of an uncompressed line file: its byte offset,
   * which does not depend on how the file is split.
   */
  static long at(String content, int line) {
    int offset = 0;
    for (int i = 0; i < line; i++) {
      offset = content.indexOf('\n', offset) + 1;
    }
    return content.substring(0, offset).getBytes(StandardCharsets.UTF_8).length;
  }

  private static List<String> at(String content, String... reasonAtLine) {
    List<String> out = new java.util.ArrayList<>();
    for (String r : reasonAtLine) {
      String[] parts = r.split("@");
      out.add(parts[0] + "#" + at(content, Integer.parseInt(parts[1])));
    }
    return out;
  }

  /** The documents of {@link #JSONL}: record numbers when compressed, byte offsets when not. */
  private List<String> jsonlDocs(String file) {
    long second = file.endsWith(".jsonl") ? at(JSONL, 2) : 1;
    return List.of(
        "a|First document.",
        derived(file, second, "Second, without an id.") + "|Second, without an id.",
        "7|Third été.");
  }

  @Test
  void readsJsonLines() {
    Path f = Fixtures.write(dir.resolve("c.jsonl"), JSONL);
    assertRead(ReadCorpus.from(f.toString()), jsonlDocs("c.jsonl"), List.of());
  }

  /** readFiles(): the same reader over files the pipeline matched itself; files() alone fails, saying why. */
  @Test
  void readFilesReadsWhatThePipelineMatchedWithTheSameSettings() {
    Path f = Fixtures.write(dir.resolve("c.jsonl.gz"), JSONL);
    Fixtures.write(dir.resolve("bad.jsonl"), "{\"id\": \"x\", \"text\": \"fine\"}\nnot json\n");
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(org.apache.beam.sdk.io.FileIO.match().filepattern(dir.resolve("*.jsonl*").toString()))
        .apply(org.apache.beam.sdk.io.FileIO.readMatches().withCompression(org.apache.beam.sdk.io.Compression.AUTO))
        .apply(ReadCorpus.files().withTextField("text").readFiles());
    List<String> docs = new java.util.ArrayList<>(jsonlDocs("c.jsonl.gz"));
    docs.add("x|fine");
    assertOutputs(p, out, docs, List.of("malformed_json#" + at("{\"id\": \"x\", \"text\": \"fine\"}\nnot json\n", 1)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestPipelines.create().apply(ReadCorpus.files()));
    assertTrue(e.getMessage().contains("readFiles()"), e.getMessage());
  }

  @Test
  void readsGzipJsonLines() {
    Path f = Fixtures.write(dir.resolve("c.jsonl.gz"), JSONL);
    assertRead(ReadCorpus.from(f.toString()), jsonlDocs("c.jsonl.gz"), List.of());
  }

  @Test
  void readsZstdJsonLines() {
    Path f = Fixtures.write(dir.resolve("c.json.zst"), JSONL);
    assertRead(ReadCorpus.from(f.toString()), jsonlDocs("c.json.zst"), List.of());
  }

  @Test
  void keepsMetadataFieldsAndSource() {
    Path f = Fixtures.write(dir.resolve("m.jsonl"), JSONL);
    Pipeline p = TestPipelines.create();
    String path = f.toString();
    PCollectionTuple out = p.apply(ReadCorpus.from(path).withMetadataFields(List.of("url")));
    PAssert.that(out.get(ReadCorpus.DOCUMENTS)).satisfies(docs -> {
      for (Document d : docs) {
        if (d.id().equals("a")) {
          assertEquals("http://a", d.metadata().get("url"));
          assertEquals(path + "#0", d.source());
        } else {
          assertTrue(d.metadata().isEmpty(), d.toString());
        }
      }
      return null;
    });
    TestPipelines.run(p);
  }

  @Test
  void readsTextFieldAndIdFieldByName() {
    Path f = Fixtures.write(dir.resolve("ccnet.jsonl"), "{\"raw_content\": \"CCNet text\", \"digest\": \"sha1:x\"}\n");
    assertRead(ReadCorpus.from(f.toString()).withTextField("raw_content").withIdField("digest"), List.of("sha1:x|CCNet text"), List.of());
  }

  @Test
  void readsParquet() throws IOException {
    Schema schema = SchemaBuilder.record("R").fields()
        .requiredString("contents").optionalString("doc_id").requiredLong("n").endRecord();
    Path f = dir.resolve("p.parquet");
    try (ParquetWriter<GenericRecord> w =
        AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri())).withSchema(schema).build()) {
      for (int i = 0; i < 3; i++) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("contents", "parquet text " + i);
        r.put("doc_id", i == 1 ? null : "p" + i);
        r.put("n", (long) i);
        w.write(r);
      }
    }
    assertRead(
        ReadCorpus.from(f.toString()).withTextField("contents").withIdField("doc_id"),
        List.of("p0|parquet text 0", derived("p.parquet", 1, "parquet text 1") + "|parquet text 1", "p2|parquet text 2"),
        List.of());
  }

  @Test
  void parquetWithTheWrongSchemaGivesADeadLetterPerRow() throws IOException {
    Schema schema = SchemaBuilder.record("R").fields().requiredLong("text").endRecord();
    Path f = dir.resolve("wrong.parquet");
    try (ParquetWriter<GenericRecord> w =
        AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri())).withSchema(schema).build()) {
      for (long i = 0; i < 2; i++) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("text", i);
        w.write(r);
      }
    }
    assertRead(ReadCorpus.from(f.toString()), List.of(), List.of("text_not_string#0", "text_not_string#1"));
    assertRead(ReadCorpus.from(f.toString()).withTextField("body"), List.of(), List.of("missing_text#0", "missing_text#1"));
  }

  @Test
  void readsCsvWithQuotedMultiLineFields() {
    Path f = Fixtures.write(dir.resolve("t.csv"), "id,text,score\nc1,\"line one\nline two, with comma\",3\nc2,plain,4\n");
    assertRead(ReadCorpus.from(f.toString()), List.of("c1|line one\nline two, with comma", "c2|plain"), List.of());
  }

  @Test
  void readsTsvWithHeader() {
    Path f = Fixtures.write(dir.resolve("t.tsv"), "porn?\ttext_show\tid\n\t\"multi\nline \"\"quoted\"\"\"\th1\n\tsecond\th2\n");
    assertRead(ReadCorpus.from(f.toString()).withTextField("text_show"),
        List.of("h1|multi\nline \"quoted\"", "h2|second"), List.of());
  }

  @Test
  void readsHeaderlessTsvWithoutQuoting() {
    Path f = Fixtures.write(dir.resolve("e.tsv.gz"), "Title\t2004-03-30\tHe said \"no\" twice.\nT2\t1999-01-01\tAnother.\n");
    assertRead(
        ReadCorpus.from(f.toString()).withCsvHeader(List.of("title", "date", "text")).withCsvQuoting(false),
        List.of(derived("e.tsv.gz", 0, "He said \"no\" twice.") + "|He said \"no\" twice.", derived("e.tsv.gz", 1, "Another.") + "|Another."),
        List.of());
  }

  @Test
  void readsTextLinesAndWholeFiles() {
    String lines = "line one\n\n  \nline two\r\n";
    Path f = Fixtures.write(dir.resolve("l.txt"), lines);
    assertRead(ReadCorpus.from(f.toString()),
        List.of(derived("l.txt", 0, "line one") + "|line one", derived("l.txt", at(lines, 3), "line two") + "|line two"), List.of());
    assertRead(ReadCorpus.from(f.toString()).withFormat(CorpusFormat.TEXT_FILE),
        List.of(derived("l.txt", 0, "line one\n\n  \nline two\r\n") + "|line one\n\n  \nline two\r\n"), List.of());
  }

  private Path arrow(String name, boolean fileFormat, String... texts) throws IOException {
    Path f = dir.resolve(name);
    try (RootAllocator allocator = new RootAllocator();
        VarCharVector text = new VarCharVector("text", allocator);
        VarCharVector id = new VarCharVector("id", allocator)) {
      for (int i = 0; i < texts.length; i++) {
        if (texts[i] == null) {
          text.setNull(i);
        } else {
          text.setSafe(i, texts[i].getBytes(StandardCharsets.UTF_8));
        }
        id.setSafe(i, ("r" + i).getBytes(StandardCharsets.UTF_8));
      }
      text.setValueCount(texts.length);
      id.setValueCount(texts.length);
      try (VectorSchemaRoot root = VectorSchemaRoot.of(text, id);
          var channel = Files.newByteChannel(f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
          ArrowWriter w = fileFormat ? new ArrowFileWriter(root, null, channel) : new ArrowStreamWriter(root, null, channel)) {
        w.start();
        w.writeBatch();
        w.writeBatch(); // a second batch: the reader must go batch by batch
        w.end();
      }
    }
    return f;
  }

  @Test
  void readsArrowStreamAsHuggingFaceDatasetsWritesIt() throws IOException {
    Path f = arrow("data-00000-of-00001.arrow", false, "arrow one", null);
    assertRead(ReadCorpus.from(f.toString()), List.of("r0|arrow one", "r0|arrow one"), List.of("missing_text#1", "missing_text#3"));
  }

  @Test
  void readsArrowFileFormat() throws IOException {
    Path f = arrow("f.arrow", true, "arrow file");
    assertRead(ReadCorpus.from(f.toString()), List.of("r0|arrow file", "r0|arrow file"), List.of());
  }

  private static byte[] example(String text, Long id) {
    Features.Builder f = Features.newBuilder();
    if (text != null) {
      f.putFeature("text", Feature.newBuilder().setBytesList(BytesList.newBuilder().addValue(ByteString.copyFromUtf8(text))).build());
    }
    f.putFeature("timestamp", Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(5)).build());
    if (id != null) {
      f.putFeature("id", Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(id)).build());
    }
    return Example.newBuilder().setFeatures(f).build().toByteArray();
  }

  @Test
  void readsTfRecordOfExamples() {
    byte[] badUtf8 = Example.newBuilder().setFeatures(Features.newBuilder().putFeature("text",
        Feature.newBuilder().setBytesList(BytesList.newBuilder().addValue(ByteString.copyFrom(new byte[] {(byte) 0xC3, 0x28}))).build())).build().toByteArray();
    Path f = Fixtures.write(dir.resolve("c4-train.tfrecord-00000-of-01024"),
        Fixtures.tfRecords(List.of(example("c4 text", 11L), example(null, null), badUtf8, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF})));
    assertRead(ReadCorpus.from(f.toString()), List.of("11|c4 text"),
        List.of("missing_text#1", "invalid_utf8#2", "malformed_record#3"));
  }

  @Test
  void corruptTfRecordChecksumRejectsTheRecord() {
    byte[] framed = Fixtures.tfRecords(List.of(example("good", 1L), example("flipped", 2L)));
    framed[framed.length - 6] ^= 0x01; // a byte inside the second record's data
    Path f = Fixtures.write(dir.resolve("x.tfrecord"), framed);
    assertRead(ReadCorpus.from(f.toString()), List.of("1|good"), List.of("malformed_record#1"));
  }

  @Test
  void deadLettersForMalformedJson() {
    String bad = "{\"text\": \"ok\"}\n{\"text\": \"unterminated\n[1, 2]\n{\"text\": \"x\"} trailing\n";
    Path f = Fixtures.write(dir.resolve("bad.jsonl"), bad);
    assertRead(ReadCorpus.from(f.toString()).withIdField(""),
        List.of(derived("bad.jsonl", 0, "ok") + "|ok"), at(bad, "malformed_json@1", "malformed_json@2", "malformed_json@3"));
  }

  @Test
  void deadLettersForMissingWrongTypeEmptyAndNulText() {
    String t = "{\"id\": \"m\"}\n{\"id\": \"n\", \"text\": null}\n{\"text\": 5}\n{\"text\": [\"a\"]}\n{\"text\": \"\"}\n"
        + "{\"text\": \" \\t\\u00a0 \"}\n{\"text\": \"bin\\u0000ary\"}\n{\"text\": \"fine\", \"id\": \"f\"}\n";
    Path f = Fixtures.write(dir.resolve("t.jsonl"), t);
    assertRead(ReadCorpus.from(f.toString()), List.of("f|fine"),
        at(t, "missing_text@0", "missing_text@1", "text_not_string@2", "text_not_string@3", "empty_text@4", "empty_text@5", "nul_bytes@6"));
  }

  @Test
  void deadLetterForInvalidUtf8() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes("{\"text\": \"caf".getBytes(StandardCharsets.UTF_8));
    b.write(0xE9); // Latin-1 é: not UTF-8
    b.writeBytes("\"}\n{\"text\": \"ok\", \"id\": \"k\"}\n".getBytes(StandardCharsets.UTF_8));
    Path f = Fixtures.write(dir.resolve("latin1.jsonl"), b.toByteArray());
    assertRead(ReadCorpus.from(f.toString()), List.of("k|ok"), List.of("invalid_utf8#0"));
  }

  @Test
  void deadLetterForRecordTooLargeKeepsATruncatedPayload() {
    char[] big = new char[5000];
    Arrays.fill(big, 'x');
    Path f = Fixtures.write(dir.resolve("big.jsonl"), "{\"text\": \"" + new String(big) + "\"}\n{\"text\": \"small\", \"id\": \"s\"}\n");
    ReadCorpus read = ReadCorpus.from(f.toString()).withMaxRecordBytes(1024);
    assertRead(read, List.of("s|small"), List.of("record_too_large#0"));
    Pipeline p = TestPipelines.create();
    PAssert.that(p.apply(read).get(ReadCorpus.DEAD_LETTERS)).satisfies(letters -> {
      DeadLetter d = letters.iterator().next();
      assertTrue(d.payload().length() <= DeadLetter.MAX_PAYLOAD_CHARS && d.payload().length() >= 1000, "payload " + d.payload().length());
      assertTrue(d.detail().contains("5012 bytes"), d.detail());
      return null;
    });
    TestPipelines.run(p);
  }

  @Test
  void deadLetterForBadId() {
    String ids = "{\"id\": {\"x\": 1}, \"text\": \"t\"}\n{\"id\": 1.5, \"text\": \"u\"}\n";
    Path f = Fixtures.write(dir.resolve("id.jsonl"), ids);
    assertRead(ReadCorpus.from(f.toString()), List.of(), at(ids, "bad_id@0", "bad_id@1"));
  }

  @Test
  void truncatedGzipKeepsTheRecordsBeforeTheCorruptTail() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      s.append("{\"id\": \"d").append(i).append("\", \"text\": \"document number ").append(i).append(" with some words\"}\n");
    }
    byte[] gz = Fixtures.gzip(s.toString().getBytes(StandardCharsets.UTF_8), 4096);
    Path f = Fixtures.writeRaw(dir.resolve("cut.jsonl.gz"), Arrays.copyOf(gz, gz.length / 2));
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(ReadCorpus.from(f.toString()));
    PAssert.that(out.get(ReadCorpus.DEAD_LETTERS)).satisfies(letters -> {
      List<DeadLetter> all = com.google.common.collect.ImmutableList.copyOf(letters);
      assertEquals(1, all.size(), all.toString());
      assertEquals(DeadLetter.Reason.CORRUPT_FILE, all.get(0).reason());
      return null;
    });
    PAssert.that(out.get(ReadCorpus.DOCUMENTS)).satisfies(docs -> {
      long n = com.google.common.collect.Iterables.size(docs);
      assertTrue(n > 100 && n < 2000, "documents before the cut: " + n);
      return null;
    });
    TestPipelines.run(p);
  }

  @Test
  void aBinaryFileWithATextExtensionIsOneDeadLetter() {
    byte[] png = new byte[3000];
    new java.util.Random(5).nextBytes(png);
    byte[] header = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 0x0D, 'I', 'H', 'D', 'R'};
    System.arraycopy(header, 0, png, 0, header.length);
    Path txt = Fixtures.writeRaw(dir.resolve("image.txt"), png);
    Path jsonl = Fixtures.writeRaw(dir.resolve("image.jsonl"), png);
    // Text with a NUL written as a JSON escape is still text: its record is judged on its own.
    Path escaped = Fixtures.write(dir.resolve("escaped.jsonl"), "{\"text\": \"a\\u0000b\"}\n{\"id\": \"t\", \"text\": \"fine\"}\n");
    assertRead(ReadCorpus.from(txt.toString(), jsonl.toString(), escaped.toString()), List.of("t|fine"),
        List.of("binary_file#0", "binary_file#0", "nul_bytes#0"));
  }

  @Test
  void deadLettersForUnreadableEmptyAndUnknownFiles() throws IOException {
    Path garbage = Fixtures.write(dir.resolve("g.parquet"), "this is not parquet at all, just text");
    Path empty = Files.createFile(dir.resolve("zero.jsonl"));
    Path unknown = Fixtures.write(dir.resolve("notes.xyz"), "hello");
    assertRead(ReadCorpus.from(garbage.toString(), empty.toString(), unknown.toString()), List.of(),
        List.of("unreadable_file#0", "empty_file#0", "unknown_format#0"));
  }

  @Test
  void malformedCsvRowsAreDeadLetters() {
    Path f = Fixtures.write(dir.resolve("m.csv"), "id,text\nr1,fine\nr2,too,many\nr3,\"never closed\n");
    assertRead(ReadCorpus.from(f.toString()), List.of("r1|fine"), List.of("malformed_csv#1", "malformed_csv#2"));
  }

  @Test
  void aGlobThatMatchesNothingFailsTheJob() {
    Pipeline p = TestPipelines.create();
    p.apply(ReadCorpus.from(dir.resolve("nothing-*.jsonl").toString()));
    Exception e = assertThrows(Exception.class, () -> TestPipelines.run(p));
    assertTrue(String.valueOf(e.getMessage()).contains("nothing-*.jsonl"), e.getMessage());
  }

  @Test
  void withMethodsValidateAndNameTheParameter() {
    ReadCorpus r = ReadCorpus.from("x.jsonl");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withMaxRecordBytes(10)).getMessage().contains("maxRecordBytes"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withTextField(" ")).getMessage().contains("textField"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> r.withCsvHeader(List.of("a", "a"))).getMessage().contains("csvHeader"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ReadCorpus.from(List.of())).getMessage().contains("filePatterns"));
  }

  @Test
  void displayDataShowsEverySetting() {
    DisplayData d = DisplayData.from(ReadCorpus.from("a.jsonl").withTextField("raw_content").withMaxRecordBytes(2048));
    String all = d.items().toString();
    for (String key : List.of("filePatterns", "format", "textField", "idField", "metadataFields", "maxRecordBytes", "csvHeader", "csvQuoting")) {
      assertTrue(all.contains(key), key + " missing from " + all);
    }
    assertTrue(all.contains("raw_content") && all.contains("2048"), all);
  }

  @Test
  void detectsFormatsFromFileNames() {
    assertEquals(CorpusFormat.JSONL, CorpusFormat.fromFileName("c4-train.00000-of-01024.json.gz").orElseThrow());
    assertEquals(CorpusFormat.TFRECORD, CorpusFormat.fromFileName("c4-train.tfrecord-00000-of-01024").orElseThrow());
    assertEquals(CorpusFormat.ARROW, CorpusFormat.fromFileName("data-00000-of-00003.arrow").orElseThrow());
    assertEquals(CorpusFormat.TSV, CorpusFormat.fromFileName("eng_batch1.tsv").orElseThrow());
    assertTrue(CorpusFormat.fromFileName("x.bin").isEmpty());
  }
}
