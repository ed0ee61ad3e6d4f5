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

  /** Reads the file in one range and in ranges of {@code splitBytes}; returns the split read's range count. */
  private long assertSplitEqualsWhole(ReadCorpus read, long splitBytes, String expectedCounts) {
    Pipeline p = TestPipelines.create();
    PCollectionTuple whole = p.apply("Whole", read.withSplitBytes(1L << 40));
    PCollectionTuple split = p.apply("Split", read.withSplitBytes(splitBytes));
    PAssert.that(SplitReads.differences("Diff", whole, split)).empty();
    PAssert.that(SplitReads.counts("WholeCounts", whole)).containsInAnyOrder(expectedCounts.split(" "));
    PipelineResult result = p.run();
    TestPipelines.await(result);
    MetricQueryResults metrics = result.metrics().queryMetrics(
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named(ReadCorpus.class, "initialRanges")).build());
    long ranges = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      ranges += c.getAttempted();
    }
    return ranges - 1; // the whole read's one range
  }

  @Test
  void jsonLinesSplitAnywhereReadAsWhole() {
    String content = lines(60);
    Path f = Fixtures.write(dir.resolve("s.jsonl"), content);
    int bytes = content.getBytes(StandardCharsets.UTF_8).length;
    // 60 lines: 9 of each of the 5 kinds with a record + 1 final; blank lines are not records
    long ranges = assertSplitEqualsWhole(
        ReadCorpus.from(f.toString()).withMaxRecordBytes(1024).withMetadataFields(List.of("n")), 37,
        "documents=34 deadLetters=18 records=52");
    assertTrue(ranges >= bytes / 37, "ranges " + ranges + " for " + bytes + " bytes");
  }

  @Test
  void textLinesAndUnquotedTsvSplitAnywhereReadAsWhole() {
    StringBuilder tsv = new StringBuilder("id\ttext\tlang\n");
    for (int i = 0; i < 40; i++) {
      tsv.append(i % 9 == 4 ? "only\ttwo\n" : "t" + i + "\ttext \"" + i + "\" \u00e9\tfr\r\n").append(i % 5 == 0 ? "\n" : "");
    }
    Path t = Fixtures.write(dir.resolve("s.tsv"), tsv.toString());
    assertSplitEqualsWhole(
        ReadCorpus.from(t.toString()).withCsvQuoting(false).withMetadataFields(List.of("lang")), 11,
        "documents=36 deadLetters=4 records=40");
    Path l = Fixtures.write(dir.resolve("s.txt"), tsv.toString());
    assertSplitEqualsWhole(ReadCorpus.from(l.toString()), 5, "documents=41 deadLetters=0 records=41");
  }

  @Test
  void parquetRowGroupsAndArrowBatchesReadAsWhole() throws IOException {
    Schema schema = SchemaBuilder.record("R").fields().optionalString("text").requiredLong("n").endRecord();
    Path f = dir.resolve("g.parquet");
    try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri()))
        .withSchema(schema).withRowGroupSize(1024L).withPageSize(512).withMinRowCountForPageSizeCheck(1)
        .withMaxRowCountForPageSizeCheck(10).build()) {
      for (int i = 0; i < 150; i++) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("text", i % 13 == 0 ? null : "row " + i + " " + "words ".repeat(i % 5));
        r.put("n", (long) i);
        w.write(r);
      }
    }
    int groups;
    try (var channel = Files.newByteChannel(f);
        ParquetFileReader r = ParquetFileReader.open(new ParquetRecords.ChannelInputFile(channel))) {
      groups = r.getRowGroups().size();
    }
    assertTrue(groups >= 4, "row groups: " + groups);
    long ranges = assertSplitEqualsWhole(ReadCorpus.from(f.toString()).withIdField(""), 1, "documents=138 deadLetters=12 records=150");
    assertEquals(groups, ranges); // each group (of about 2 KiB) its own range at splitBytes=1

    Path a = dir.resolve("b.arrow");
    try (RootAllocator allocator = new RootAllocator();
        VarCharVector text = new VarCharVector("text", allocator);
        VectorSchemaRoot root = VectorSchemaRoot.of(text);
        var channel = Files.newByteChannel(a, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        ArrowFileWriter w = new ArrowFileWriter(root, null, channel)) {
      w.start();
      for (int batch = 0; batch < 5; batch++) {
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
    assertEquals(5, assertSplitEqualsWhole(ReadCorpus.from(a.toString()), 1, "documents=20 deadLetters=5 records=25"));
  }

  @Test
  void compressedAndQuotedFilesAreReadWholeInOneRange() {
    List<String> rows = new ArrayList<>();
    rows.add("id,text");
    for (int i = 0; i < 20; i++) {
      rows.add("c" + i + ",\"two\nlines " + i + "\"");
    }
    Path csv = Fixtures.write(dir.resolve("q.csv"), String.join("\n", rows) + "\n");
    assertEquals(1, assertSplitEqualsWhole(ReadCorpus.from(csv.toString()), 1, "documents=20 deadLetters=0 records=20"));
    Path gz = Fixtures.write(dir.resolve("g.jsonl.gz"), lines(10));
    assertEquals(1, assertSplitEqualsWhole(ReadCorpus.from(gz.toString()), 1, "documents=7 deadLetters=2 records=9"));
  }
}
