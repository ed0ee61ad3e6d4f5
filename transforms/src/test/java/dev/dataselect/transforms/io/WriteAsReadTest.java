package dev.dataselect.transforms.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.values.PCollection;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records read with {@link ReadCorpus#withOriginalRecords()} and written by {@link WriteAsRead}
 * come back equal to the input's, field for field and schema for schema; a filter in between
 * writes exactly the records it kept.
 */
class WriteAsReadTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  @TempDir Path dir;
  private int runs;

  /** Reads {@code read}'s files, keeps the documents whose id {@code keep} holds (all when null), writes them back. */
  private Path roundTrip(ReadCorpus read, Set<String> keep, int shards) {
    Path out = dir.resolve("out-" + (++runs));
    Pipeline p = TestPipelines.create();
    PCollection<Document> docs = p.apply(read.withOriginalRecords()).get(ReadCorpus.DOCUMENTS);
    if (keep != null) {
      docs = docs.apply(Filter.by(d -> keep.contains(d.id())));
    }
    docs.apply(WriteAsRead.to(out.toString(), read.withOriginalRecords().settings()).withShards(shards));
    TestPipelines.run(p);
    return out;
  }

  private static List<Path> files(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(folder)) {
      return s.filter(f -> !f.getFileName().toString().startsWith(".")).sorted().collect(Collectors.toList());
    }
  }

  private static List<String> lines(Path f) throws IOException {
    try (InputStream raw = Files.newInputStream(f);
        InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }
  }

  @Test
  void jsonLinesComeBackAsTheyWereEveryFieldInItsPlace() throws IOException {
    List<String> input = List.of(
        "{\"id\":\"a\",\"url\":\"https://x.org/1\",\"text\":\"first \\\"quoted\\\" text\\nwith a line break\",\"score\":1.10,\"tags\":[\"x\",{\"k\":null}]}",
        "{\"meta\": {\"lang\": \"en\", \"n\": 12345678901234567890}, \"text\": \"second\", \"id\": \"b\"}",
        "{\"text\":\"caf\\u00e9 third\",\"id\":\"c\",\"empty\":\"\"}",
        "not json at all",
        "{\"id\":\"d\",\"text\":\"fourth: \\u2603 and \\ud83d\\ude00\"}");
    Path f = dir.resolve("in.jsonl");
    Files.write(f, input, StandardCharsets.UTF_8);

    Path out = roundTrip(ReadCorpus.from(f.toString()), null, 0);
    assertEquals(List.of(out.resolve("in.jsonl")), files(out), "one file, named like the input");
    List<String> written = new ArrayList<>(lines(out.resolve("in.jsonl")));
    Collections.sort(written);
    List<String> expected = new ArrayList<>(input);
    expected.remove("not json at all"); // a dead letter, not a record
    Collections.sort(expected);
    assertEquals(trees(expected), trees(written));
    // Every line whose text literal is written as Jackson writes it comes back byte for byte.
    assertTrue(written.contains(input.get(0)), written.toString());
    assertTrue(written.contains(input.get(1)), "spacing and the big integer as they were: " + written);

    Path some = roundTrip(ReadCorpus.from(f.toString()), Set.of("b", "d"), 0);
    assertEquals(Set.of("b", "d"), lines(some.resolve("in.jsonl")).stream()
        .map(l -> tree(l).get("id").asText()).collect(Collectors.toSet()));
  }

  @Test
  void parquetRowsComeBackUnderTheirSchema() throws IOException {
    Schema schema = SchemaBuilder.record("Row").namespace("corpus").fields()
        .requiredString("doc_id").requiredString("contents").optionalString("url").requiredDouble("quality")
        .requiredInt("tokens").name("tags").type().array().items().stringType().noDefault()
        .requiredBytes("raw").name("attrs").type().map().values().longType().noDefault()
        .endRecord();
    Path f = dir.resolve("shard-00000.parquet");
    List<GenericRecord> rows = new ArrayList<>();
    try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri()))
        .withSchema(schema).withRowGroupSize(16384L).build()) {
      for (int i = 0; i < 300; i++) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("doc_id", "p" + i);
        r.put("contents", "parquet document " + i + " about rivers and bridges, ".repeat(1 + i % 4));
        r.put("url", i % 3 == 0 ? null : "https://example.org/" + i);
        r.put("quality", i / 7.0);
        r.put("tokens", 10 + i);
        r.put("tags", List.of("t" + i % 5, "all"));
        r.put("raw", ByteBuffer.wrap(new byte[] {(byte) i, 0, (byte) 255}));
        r.put("attrs", new TreeMap<>(java.util.Map.of("a", (long) i)));
        w.write(r);
        rows.add(r);
      }
    }
    try (org.apache.parquet.hadoop.ParquetFileReader footer = org.apache.parquet.hadoop.ParquetFileReader.open(
        org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), new org.apache.hadoop.conf.Configuration()))) {
      assertTrue(footer.getRowGroups().size() >= 3, "row groups read as separate ranges: " + footer.getRowGroups().size());
    }
    ReadCorpus read = ReadCorpus.from(f.toString()).withTextField("contents").withIdField("doc_id").withSplitBytes(4096);
    Path out = roundTrip(read, null, 0);
    assertEquals(List.of(out.resolve("shard-00000.parquet")), files(out));
    assertEquals(schema, ParquetRecords.avroSchema(out.resolve("shard-00000.parquet").toString()));
    assertEquals(byId(rows), byId(parquetRows(out.resolve("shard-00000.parquet"))));

    Set<String> keep = Set.of("p0", "p1", "p150", "p299");
    Path some = roundTrip(read, keep, 0);
    assertEquals(keep, byId(parquetRows(some.resolve("shard-00000.parquet"))).keySet());
  }

  @Test
  void csvAndTsvComeBackWithTheirHeader() throws IOException {
    Path csv = dir.resolve("pages.csv");
    Files.writeString(csv, "id,title,text,lang\n"
        + "c1,One,\"a text, with a comma\nand a \"\"quoted\"\" line\",en\n"
        + "c2,Two,plain text,de\n"
        + "c3,\"Three, quoted\",third text,fr\n", StandardCharsets.UTF_8);
    Path out = roundTrip(ReadCorpus.from(csv.toString()), null, 0);
    assertEquals(csvRecords(csv, ',', true), csvRecords(out.resolve("pages.csv"), ',', true));

    Path tsv = dir.resolve("lines.tsv");
    Files.writeString(tsv, "id\ttext\tn\nt1\tfirst \"line\"\t1\nt2\tsecond line\t2\n\nt3\tthird line\t3\n", StandardCharsets.UTF_8);
    ReadCorpus unquoted = ReadCorpus.from(tsv.toString()).withCsvQuoting(false).withSplitBytes(16);
    Path tsvOut = roundTrip(unquoted, null, 0);
    assertEquals(csvRecords(tsv, '\t', false), csvRecords(tsvOut.resolve("lines.tsv"), '\t', false));
    assertEquals("id\ttext\tn", lines(tsvOut.resolve("lines.tsv")).get(0));

    Path some = roundTrip(unquoted, Set.of("t2"), 0);
    assertEquals(List.of("id\ttext\tn", "t2\tsecond line\t2"), lines(some.resolve("lines.tsv")));
  }

  @Test
  void compressedAndHeaderlessInputsAndNShards() throws IOException {
    Path gz = dir.resolve("europarl.tsv.gz");
    try (java.io.OutputStream o = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
      o.write("Title\t2001-01-01\tA first line of text.\nTitle\t2001-01-02\tA second line of text.\n".getBytes(StandardCharsets.UTF_8));
    }
    ReadCorpus read = ReadCorpus.from(gz.toString()).withCsvHeader(List.of("title", "date", "text")).withCsvQuoting(false);
    Path out = roundTrip(read, null, 0);
    assertEquals(List.of(out.resolve("europarl.tsv.gz")), files(out), "compressed like the input");
    assertEquals(Set.of("Title\t2001-01-01\tA first line of text.", "Title\t2001-01-02\tA second line of text."),
        Set.copyOf(lines(out.resolve("europarl.tsv.gz"))), "no header row: the input had none");

    Path a = dir.resolve("a.jsonl");
    Files.writeString(a, "{\"id\":\"x1\",\"text\":\"one\",\"k\":1}\n{\"id\":\"x2\",\"text\":\"two\",\"k\":2}\n{\"id\":\"x3\",\"text\":\"three\",\"k\":3}\n");
    Path b = dir.resolve("b.jsonl");
    Files.writeString(b, "{\"id\":\"y1\",\"text\":\"four\",\"k\":4}\n");
    Path shards = roundTrip(ReadCorpus.from(a.toString(), b.toString()), null, 2);
    List<Path> written = files(shards);
    assertEquals(List.of("part-00000-of-00002.jsonl.gz", "part-00001-of-00002.jsonl.gz"),
        written.stream().map(p -> p.getFileName().toString()).collect(Collectors.toList()));
    List<String> all = new ArrayList<>();
    for (Path w : written) {
      all.addAll(lines(w));
    }
    Collections.sort(all);
    List<String> expected = new ArrayList<>(lines(a));
    expected.addAll(lines(b));
    Collections.sort(expected);
    assertEquals(expected, all);
  }

  /** An Arrow file of {@code batches} batches of 10 rows: id, text, n (bigint), score (nullable double). */
  private Path arrowFile(String name, boolean fileFormat, int batches) throws IOException {
    Path f = dir.resolve(name);
    try (org.apache.arrow.memory.RootAllocator allocator = new org.apache.arrow.memory.RootAllocator();
        org.apache.arrow.vector.VarCharVector id = new org.apache.arrow.vector.VarCharVector("id", allocator);
        org.apache.arrow.vector.VarCharVector text = new org.apache.arrow.vector.VarCharVector("text", allocator);
        org.apache.arrow.vector.BigIntVector n = new org.apache.arrow.vector.BigIntVector("n", allocator);
        org.apache.arrow.vector.Float8Vector score = new org.apache.arrow.vector.Float8Vector("score", allocator);
        org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.of(id, text, n, score);
        java.nio.channels.WritableByteChannel channel = Files.newByteChannel(f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        org.apache.arrow.vector.ipc.ArrowWriter w = fileFormat
            ? new org.apache.arrow.vector.ipc.ArrowFileWriter(root, null, channel)
            : new org.apache.arrow.vector.ipc.ArrowStreamWriter(root, null, channel)) {
      w.start();
      for (int b = 0; b < batches; b++) {
        root.allocateNew();
        for (int i = 0; i < 10; i++) {
          int r = b * 10 + i;
          id.setSafe(i, ("a" + r).getBytes(StandardCharsets.UTF_8));
          text.setSafe(i, ("arrow row " + r + " with some text").getBytes(StandardCharsets.UTF_8));
          n.setSafe(i, 1000L + r);
          if (r % 3 == 0) {
            score.setNull(i);
          } else {
            score.setSafe(i, r / 4.0);
          }
        }
        root.setRowCount(10);
        w.writeBatch();
      }
      w.end();
    }
    return f;
  }

  /** Rows by id (every column's value) and the schema, of an Arrow file or stream. */
  private static TreeMap<String, String> arrowRows(Path f, List<String> schema) throws IOException {
    TreeMap<String, String> rows = new TreeMap<>();
    try (org.apache.arrow.memory.RootAllocator allocator = new org.apache.arrow.memory.RootAllocator();
        java.nio.channels.SeekableByteChannel channel = Files.newByteChannel(f)) {
      boolean fileFormat;
      try (InputStream head = Files.newInputStream(f)) {
        fileFormat = ArrowRecords.isFileFormat(head);
      }
      try (org.apache.arrow.vector.ipc.ArrowReader reader = fileFormat
          ? new org.apache.arrow.vector.ipc.ArrowFileReader(new org.apache.arrow.vector.ipc.SeekableReadChannel(channel), allocator)
          : new org.apache.arrow.vector.ipc.ArrowStreamReader(channel, allocator)) {
        org.apache.arrow.vector.VectorSchemaRoot root = reader.getVectorSchemaRoot();
        schema.add((fileFormat ? "file " : "stream ") + root.getSchema().toJson());
        while (reader.loadNextBatch()) {
          for (int i = 0; i < root.getRowCount(); i++) {
            StringBuilder row = new StringBuilder();
            for (org.apache.arrow.vector.FieldVector v : root.getFieldVectors()) {
              row.append(v.getName()).append('=').append(v.getObject(i)).append(';');
            }
            rows.put(String.valueOf(root.getVector("id").getObject(i)), row.toString());
          }
        }
      }
    }
    return rows;
  }

  @Test
  void arrowRowsAreCopiedFromTheirFileInItsFormatAndSchema() throws IOException {
    for (boolean fileFormat : new boolean[] {true, false}) {
      Path f = arrowFile(fileFormat ? "data.arrow" : "stream-00000-of-00001.arrow", fileFormat, 3);
      List<String> inSchema = new ArrayList<>();
      TreeMap<String, String> in = arrowRows(f, inSchema);
      assertEquals(30, in.size());
      ReadCorpus read = ReadCorpus.from(f.toString()).withSplitBytes(64); // file format: a range per batch
      Path all = roundTrip(read, null, 0);
      List<String> outSchema = new ArrayList<>();
      assertEquals(in, arrowRows(all.resolve(f.getFileName()), outSchema));
      assertEquals(inSchema, outSchema, "format and schema as they were");
      Set<String> keep = Set.of("a0", "a9", "a10", "a29");
      Path some = roundTrip(read, keep, 0);
      TreeMap<String, String> kept = arrowRows(some.resolve(f.getFileName()), new ArrayList<>());
      assertEquals(new java.util.TreeSet<>(keep), kept.navigableKeySet());
      kept.forEach((id, row) -> assertEquals(in.get(id), row));
    }
  }

  @Test
  void wetRecordsComeBackAsJsonLinesOfTheirFields() throws IOException {
    Path wet = Paths.get(System.getProperty("dataselect.sharedData", "../../shared/data"), "warc", "whirlwind.warc.wet.gz");
    Assumptions.assumeTrue(Files.exists(wet), "Skipped: no shared WET file at " + wet + " (set -Ddataselect.sharedData)");
    Path out = roundTrip(ReadCorpus.from(wet.toString()).withMetadataFields(List.of("url")), null, 0);
    assertEquals(List.of(out.resolve("whirlwind.jsonl.gz")), files(out));
    List<String> lines = lines(out.resolve("whirlwind.jsonl.gz"));
    assertTrue(!lines.isEmpty());
    for (String l : lines) {
      JsonNode n = tree(l);
      assertEquals("text", n.fieldNames().next(), "the text first: " + l);
      assertTrue(n.get("text").asText().length() > 0 && n.get("url").asText().startsWith("http")
          && n.has("WARC-Date") && n.has("id"), l);
    }
  }

  @Test
  void theOriginalTravelsThroughTheCoderAndNewMetadata() throws Exception {
    Document plain = Document.of("a", "text", "f#0", java.util.Map.of("k", "v"));
    Document carrying = plain.withOriginal(OriginalRecord.jsonLine("{\"id\":\"a\",\"text\":\"text\"}", "text"));
    Document.DocumentCoder coder = Document.DocumentCoder.of();
    org.apache.beam.sdk.testing.CoderProperties.coderDecodeEncodeEqual(coder, plain);
    org.apache.beam.sdk.testing.CoderProperties.coderDecodeEncodeEqual(coder, carrying);
    assertTrue(!plain.equals(carrying));
    Document relabelled = carrying.withMetadata(java.util.Map.of("language", "en"));
    assertEquals("{\"id\":\"a\",\"text\":\"other\"}", OriginalRecord.jsonLineWith(relabelled.original(), "other"));
  }

  @Test
  void aReadThatDoesNotKeepOriginalsIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WriteAsRead.to(dir.toString(), ReadCorpus.from("x.jsonl").settings()));
    assertTrue(e.getMessage().contains("withOriginalRecords"), e.getMessage());
  }

  @Test
  void outputNamesFollowTheInputs() {
    ReadCorpus.Settings s = ReadCorpus.from("x").settings();
    assertEquals("crawl-0001.jsonl.gz", WriteAsRead.outputName("gs://b/cc/crawl-0001.warc.wet.gz", "gs://b/cc/", s));
    assertEquals("crawl.jsonl", WriteAsRead.outputName("/d/crawl.warc", "/d/", s));
    assertEquals("cc-train-shard.parquet", WriteAsRead.outputName("gs://b/cc/train/shard.parquet", "gs://b/", s));
    assertEquals("pages.gz", WriteAsRead.outputName("/d/pages.zip", "/d/", s), "Beam writes no ZIP");
    assertEquals("/data/", WriteAsRead.commonRoot(List.of("/data/a/x.jsonl", "/data/b/*.jsonl")));
    assertEquals("/data/", WriteAsRead.commonRoot(List.of("/data/*/train/*.parquet")));
    assertEquals("/data/", WriteAsRead.commonRoot(List.of("/data/**.jsonl")));
    assertEquals(Path.of("rel").toAbsolutePath() + "/", WriteAsRead.commonRoot(List.of("rel/x.jsonl")));
  }

  @Test
  void filesFromSeveralFoldersKeepTheirFoldersInTheirNames() throws IOException {
    Path a = Files.createDirectories(dir.resolve("hf/en/train")).resolve("part-0.jsonl");
    Path b = Files.createDirectories(dir.resolve("hf/de/train")).resolve("part-0.jsonl");
    Files.writeString(a, "{\"id\":\"e\",\"text\":\"english\"}\n");
    Files.writeString(b, "{\"id\":\"g\",\"text\":\"german\"}\n");
    ReadCorpus read = ReadCorpus.from(dir.resolve("hf") + "/*/train/*.jsonl");
    Path out = roundTrip(read, null, 0);
    assertEquals(List.of(out.resolve("de-train-part-0.jsonl"), out.resolve("en-train-part-0.jsonl")), files(out));
    WriteAsRead write = WriteAsRead.to("o", ReadCorpus.from(dir + "/*/x.jsonl").withOriginalRecords().settings());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> write.checkDistinctNames(List.of(dir + "/a-b/x.jsonl", dir + "/a/b-x.jsonl")));
    assertTrue(e.getMessage().contains("a-b-x.jsonl"), e.getMessage());
  }

  @Test
  void nothingSelectedWritesNoFileAndEmptyShardsAreNotKept() throws IOException {
    Path f = dir.resolve("few.jsonl");
    Files.writeString(f, "{\"id\":\"x1\",\"text\":\"one\"}\n{\"id\":\"x2\",\"text\":\"two\"}\n");
    Path none = roundTrip(ReadCorpus.from(f.toString()), Set.of(), 0);
    assertEquals(List.of(), files(none), "nothing selected, nothing written");
    Path shards = roundTrip(ReadCorpus.from(f.toString()), null, 5);
    List<Path> written = files(shards);
    assertTrue(!written.isEmpty() && written.size() <= 2, "only shards with records: " + written);
    List<String> all = new ArrayList<>();
    for (Path w : written) {
      all.addAll(lines(w)); // each is valid gzip
    }
    assertEquals(2, all.size(), all.toString());
    Path noneSharded = roundTrip(ReadCorpus.from(f.toString()), Set.of("absent"), 3);
    assertEquals(List.of(), files(noneSharded));
    try (Stream<Path> all2 = Files.walk(dir)) {
      assertEquals(List.of(), all2.filter(p -> p.getFileName().toString().equals("no-records")).collect(Collectors.toList()));
    }
  }

  private static List<JsonNode> trees(List<String> lines) {
    return lines.stream().map(WriteAsReadTest::tree).collect(Collectors.toList());
  }

  private static JsonNode tree(String line) {
    try {
      return MAPPER.readTree(line);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<GenericRecord> parquetRows(Path f) throws IOException {
    List<GenericRecord> out = new ArrayList<>();
    try (ParquetReader<GenericRecord> r = AvroParquetReader.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri()))
        .withDataModel(GenericData.get()).build()) {
      for (GenericRecord row = r.read(); row != null; row = r.read()) {
        out.add(row);
      }
    }
    return out;
  }

  /** Rows by id, as strings (Avro's JSON form: every field, bytes and maps included). */
  private static TreeMap<String, String> byId(List<GenericRecord> rows) {
    TreeMap<String, String> m = new TreeMap<>();
    for (GenericRecord r : rows) {
      m.put(r.get("doc_id").toString(), GenericData.get().toString(r));
    }
    return m;
  }

  private static List<List<String>> csvRecords(Path f, char delimiter, boolean quoted) throws IOException {
    CSVFormat.Builder format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true);
    format = quoted ? format.setQuote('"') : format.setQuote(null);
    try (Reader in = new InputStreamReader(Files.newInputStream(f), StandardCharsets.UTF_8);
        CSVParser parser = format.get().parse(in)) {
      List<List<String>> rows = new ArrayList<>();
      for (CSVRecord r : parser) {
        rows.add(r.toList());
      }
      List<List<String>> body = new ArrayList<>(rows.subList(1, rows.size()));
      body.sort(java.util.Comparator.comparing(Object::toString));
      List<List<String>> out = new ArrayList<>();
      out.add(rows.get(0)); // the header first, as it was
      out.addAll(body);
      return out;
    }
  }
}
