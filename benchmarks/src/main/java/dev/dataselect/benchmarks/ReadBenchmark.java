package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.io.ReadCorpus;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;

/**
 * {@code bin/bench read}: ReadCorpus on one large file per format, on Flink local at parallelism 1
 * and 2: documents/s and MB/s (file bytes) for each, and the 2-worker / 1-worker ratio. The files
 * are the shared real web texts (about 1,550 documents) repeated, each copy with its copy number
 * prepended (so texts differ), until the JSONL file reaches {@code --mb} (default 256); the other
 * formats hold the same documents. Splittable: JSONL, TSV (unquoted), Parquet (row groups of
 * {@code --row-group-mb}, default 4); the text files are cut in {@code --splits} byte ranges
 * (default 64: Flink runs a bounded splittable DoFn restriction by restriction, each on the worker
 * its key hashes to, so a few ranges balance badly). Read whole, for reference: JSONL.gz. Wall time per run
 * includes Flink's start (a few seconds: the run of a one-line file, after a warm-up run, at each
 * parallelism); the {@code net_} figures subtract it. The machine may be shared: the load average
 * is printed before and after.
 *
 * <p>{@code --formats=jsonl,tsv,parquet,jsonl.gz} picks formats; {@code --dir} where the files go
 * (default {@code target/read-bench}, reused when present with the same size).
 */
public final class ReadBenchmark {
  private ReadBenchmark() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = BenchSupport.args(argv);
    long targetBytes = (long) BenchSupport.intArg(args, "mb", 256) << 20;
    int rowGroupMb = BenchSupport.intArg(args, "row-group-mb", 4);
    splits = BenchSupport.intArg(args, "splits", 64);
    Path dir = Path.of(args.getOrDefault("dir", "target/read-bench"));
    List<String> formats = List.of(args.getOrDefault("formats", "jsonl,tsv,parquet,jsonl.gz").split(","));
    Files.createDirectories(dir);
    List<Document> web = WebDocuments.load(BenchSupport.sharedData(), Integer.MAX_VALUE);
    long docs = writeFiles(dir, web, targetBytes, rowGroupMb, formats);
    BenchSupport.print("read.documents_per_file", docs);
    BenchSupport.print("read.source", web.size() + " shared web documents repeated to " + (targetBytes >> 20) + " MB of JSONL");
    BenchSupport.print("read.load_average_before", BenchSupport.loadAverage());
    Path empty = dir.resolve("empty.jsonl");
    Files.writeString(empty, "{\"text\": \"one\"}\n");
    run(dir.resolve("bench." + formats.get(0)), 2); // warm-up: class loading and JIT, not measured
    double[] start = {0, run(empty, 1)[1], run(empty, 2)[1]};
    BenchSupport.print("read.flink_start_s.workers1", start[1]);
    BenchSupport.print("read.flink_start_s.workers2", start[2]);
    for (String format : formats) {
      Path f = dir.resolve("bench." + format);
      double mb = Files.size(f) / 1e6;
      double[] one = run(f, 1);
      double[] two = run(f, 2);
      BenchSupport.print("read." + format + ".mb", mb);
      for (int w = 1; w <= 2; w++) {
        double[] r = w == 1 ? one : two;
        double net = Math.max(1e-3, r[1] - start[w]);
        BenchSupport.print("read." + format + ".workers" + w + ".documents", (long) r[0]);
        BenchSupport.print("read." + format + ".workers" + w + ".seconds", r[1]);
        BenchSupport.print("read." + format + ".workers" + w + ".documents_per_s", r[0] / r[1]);
        BenchSupport.print("read." + format + ".workers" + w + ".mb_per_s", mb / r[1]);
        BenchSupport.print("read." + format + ".workers" + w + ".net_mb_per_s", mb / net);
      }
      BenchSupport.print("read." + format + ".speedup_2_over_1", one[1] / two[1]);
      BenchSupport.print("read." + format + ".net_speedup_2_over_1", (one[1] - start[1]) / Math.max(1e-3, two[1] - start[2]));
    }
    BenchSupport.print("read.load_average_after", BenchSupport.loadAverage());
  }

  /** Reads {@code f} on Flink local at {@code workers}: {documents, seconds}. */
  /** Byte ranges per splittable text file ({@code --splits}). */
  private static int splits = 64;

  private static double[] run(Path f, int workers) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + workers).create());
    long size = f.toFile().length();
    p.apply("Read", ReadCorpus.from(f.toString()).withTextFields(List.of("text", "contents"))
        .withCsvQuoting(false).withSplitBytes(Math.max(1 << 20, size / splits)));
    long start = System.nanoTime();
    PipelineResult result = p.run();
    result.waitUntilFinish();
    double seconds = BenchSupport.seconds(start);
    long documents = BenchSupport.counter(result, ReadCorpus.class, "documents");
    return new double[] {documents, seconds};
  }

  private static long writeFiles(Path dir, List<Document> web, long targetBytes, int rowGroupMb, List<String> formats)
      throws IOException {
    Path jsonl = dir.resolve("bench.jsonl");
    Path marker = dir.resolve("bench." + targetBytes + "." + rowGroupMb + ".done");
    List<String> texts = new ArrayList<>();
    for (Document d : web) {
      // one line of text for TSV without quoting: tabs and newlines become spaces in every format
      texts.add(d.text().replaceAll("[\\t\\r\\n]+", " "));
    }
    long count = 0;
    long bytes = 0;
    for (int copy = 0; bytes < targetBytes; copy++) {
      for (String t : texts) {
        String line = "{\"id\":\"c" + copy + "-" + count + "\",\"text\":" + quote(copy + " " + t) + "}\n";
        bytes += line.getBytes(StandardCharsets.UTF_8).length;
        count++;
      }
    }
    if (Files.exists(marker)) {
      return count;
    }
    Schema schema = SchemaBuilder.record("R").fields().requiredString("id").requiredString("contents").endRecord();
    try (BufferedWriter j = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8);
        BufferedWriter tsv = Files.newBufferedWriter(dir.resolve("bench.tsv"), StandardCharsets.UTF_8);
        OutputStream gz = new GZIPOutputStream(Files.newOutputStream(dir.resolve("bench.jsonl.gz")), 1 << 16);
        ParquetWriter<GenericRecord> parquet = AvroParquetWriter.<GenericRecord>builder(
                new org.apache.hadoop.fs.Path(dir.resolve("bench.parquet").toUri()))
            .withSchema(schema).withRowGroupSize((long) rowGroupMb << 20)
            .withWriteMode(org.apache.parquet.hadoop.ParquetFileWriter.Mode.OVERWRITE).build()) {
      tsv.write("id\ttext\n");
      long n = 0;
      for (int copy = 0; n < count; copy++) {
        for (String t : texts) {
          String id = "c" + copy + "-" + n;
          String text = copy + " " + t;
          String line = "{\"id\":\"" + id + "\",\"text\":" + quote(text) + "}\n";
          j.write(line);
          gz.write(line.getBytes(StandardCharsets.UTF_8));
          tsv.write(id + "\t" + text + "\n");
          GenericData.Record r = new GenericData.Record(schema);
          r.put("id", id);
          r.put("contents", text);
          parquet.write(r);
          n++;
        }
      }
    }
    Files.deleteIfExists(dir.resolve(".bench.parquet.crc"));
    Files.writeString(marker, "");
    return count;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
