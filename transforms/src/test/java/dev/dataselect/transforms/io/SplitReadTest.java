package dev.dataselect.transforms.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.testing.Fixtures;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Splitting a file into ranges never changes what is read: for each splittable format, a read in
 * many small ranges gives exactly the documents and dead letters (ids, sources, details) of a read
 * in one range. The files hold the awkward cases a range boundary can fall on: blank lines, CRLF,
 * multi-byte characters, malformed and oversized lines, a final line without a newline.
 */
class SplitReadTest {
  @TempDir Path dir;

  private static String lines(int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      switch (i % 7) {
        case 0:
          s.append("{\"text\": \"caf\u00e9 na\u00efve \u65e5\u672c ").append(i).append("\", \"n\": ").append(i).append("}\r\n");
          break;
        case 1:
          s.append("\n   \n");
          break;
        case 2:
          s.append("{\"text\": \"broken ").append(i).append("\n");
          break;
        case 3:
          s.append("{\"text\": \"").append("x".repeat(1100)).append("\"}\n");
          break;
        default:
          s.append("{\"id\": \"d").append(i).append("\", \"text\": \"document ").append(i).append("\"}\n");
      }
    }
    return s.append("{\"text\": \"last, without a newline\"}").toString();
  }

  /**
   * Every splittable format, with the cases a boundary can fall on, read in one pipeline twice: in
   * one range per file and in ranges of 23 bytes (one per row group or record batch). The reads are
   * equal record for record, and the split read used exactly the ranges expected.
   */
  @Test
  void everyFormatReadsTheSameInManyRangesAsInOne() throws IOException {
    List<Path> files = new ArrayList<>();
    List<String> counts = new ArrayList<>();
    long split = 23;
    long expectedRanges = 0;

    String jsonl = lines(60); // 9 of each kind with a record (5 kinds: 4 documents, 2 dead) and a last line
    files.add(Fixtures.write(dir.resolve("s.jsonl"), jsonl));
    expectedRanges += ceil(jsonl.getBytes(StandardCharsets.UTF_8).length, split);
    counts.add("jsonl 34 18");

    StringBuilder tsv = new StringBuilder("id\ttext\tlang\n");
    for (int i = 0; i < 40; i++) {
      tsv.append(i % 9 == 4 ? "only\ttwo\n" : "t" + i + "\ttext \"" + i + "\" \u00e9\tfr\r\n").append(i % 5 == 0 ? "\n" : "");
    }
    files.add(Fixtures.write(dir.resolve("s.tsv"), tsv.toString())); // read unquoted, so split by lines
    files.add(Fixtures.write(dir.resolve("s.txt"), tsv.toString()));
    expectedRanges += 2 * ceil(tsv.toString().getBytes(StandardCharsets.UTF_8).length, split);
    counts.add("tsv 36 4");
    counts.add("txt 41 0");

    Path parquet = parquet(150);
    files.add(parquet);
    int groups;
    try (var channel = Files.newByteChannel(parquet);
        ParquetFileReader r = ParquetFileReader.open(new ParquetRecords.ChannelInputFile(channel))) {
      groups = r.getRowGroups().size();
    }
    assertTrue(groups >= 4, "row groups: " + groups);
    expectedRanges += groups;
    counts.add("parquet 138 12");

    files.add(arrowFile(5));
    expectedRanges += 5;
    counts.add("arrow 20 5");

    // a compressed file is read whole however small the split (quoted CSV is too: ReadCorpusTest)
    files.add(Fixtures.write(dir.resolve("g.jsonl.gz"), lines(10)));
    expectedRanges += 1;
    counts.add("gz 6 3");

    List<String> patterns = files.stream().map(Path::toString).collect(java.util.stream.Collectors.toList());
    ReadCorpus read = ReadCorpus.from(patterns).withTextFields(List.of("text", "contents"))
        .withMaxRecordBytes(1024).withMetadataFields(List.of("n", "lang")).withCsvQuoting(false);
    Pipeline p = TestPipelines.create();
    PCollectionTuple whole = p.apply("Whole", read.withSplitBytes(1L << 40));
    PCollectionTuple inRanges = p.apply("Split", read.withSplitBytes(split));
    PAssert.that(SplitReads.differences("Diff", whole, inRanges)).empty();
    long docs = 0;
    long dead = 0;
    for (String c : counts) {
      String[] f = c.split(" ");
      docs += Long.parseLong(f[1]);
      dead += Long.parseLong(f[2]);
    }
    PAssert.that(SplitReads.counts("WholeCounts", whole))
        .containsInAnyOrder("documents=" + docs, "deadLetters=" + dead, "records=" + (docs + dead));
    PipelineResult result = p.run();
    TestPipelines.await(result);
    MetricQueryResults metrics = result.metrics().queryMetrics(
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named(ReadCorpus.class, "initialRanges")).build());
    long ranges = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      ranges += c.getAttempted();
    }
    assertEquals(expectedRanges + files.size(), ranges, "initial ranges of both reads (one a file in the whole read)");
  }

  private static long ceil(long bytes, long split) {
    return (bytes + split - 1) / split;
  }

  /** A Parquet file of small row groups (about 1 KiB), a null text every 13th row. */
  private Path parquet(int rows) throws IOException {
    Schema schema = SchemaBuilder.record("R").fields().optionalString("contents").requiredLong("n").endRecord();
    Path f = dir.resolve("g.parquet");
    try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri()))
        .withSchema(schema).withRowGroupSize(1024L).withPageSize(512).withMinRowCountForPageSizeCheck(1)
        .withMaxRowCountForPageSizeCheck(10).build()) {
      for (int i = 0; i < rows; i++) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("contents", i % 13 == 0 ? null : "row " + i + " " + "words ".repeat(i % 5));
        r.put("n", (long) i);
        w.write(r);
      }
    }
    return f;
  }

  /** An Arrow IPC file of {@code batches} record batches of 3, 4, ... rows, row 1 of each null. */
  private Path arrowFile(int batches) throws IOException {
    Path a = dir.resolve("b.arrow");
    try (RootAllocator allocator = new RootAllocator();
        VarCharVector text = new VarCharVector("text", allocator);
        VectorSchemaRoot root = VectorSchemaRoot.of(text);
        var channel = Files.newByteChannel(a, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        ArrowFileWriter w = new ArrowFileWriter(root, null, channel)) {
      w.start();
      for (int batch = 0; batch < batches; batch++) {
        int rows = 3 + batch;
        text.allocateNew();
        for (int i = 0; i < rows; i++) {
          if (i == 1) {
            text.setNull(i);
          } else {
            text.setSafe(i, ("batch " + batch + " row " + i).getBytes(StandardCharsets.UTF_8));
          }
        }
        text.setValueCount(rows);
        root.setRowCount(rows);
        w.writeBatch();
      }
      w.end();
    }
    return a;
  }
}
