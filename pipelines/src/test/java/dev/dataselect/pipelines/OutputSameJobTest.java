package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.options.OutputFormat;
import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The main job's {@code --outputFormat=same} (the default for one writable input format): with
 * {@code --rate=1.0} the selected folder holds records equal to the input's, field for field and
 * schema for schema; with {@code --rate=0.2}, exactly the selected ids' records.
 */
class OutputSameJobTest {
  private static final int N = 60;
  private static final String[] WORDS = {"river", "bridge", "music", "film", "bread", "tide", "moon", "garden", "library", "harbour"};
  @TempDir Path dir;

  private static String text(int i) {
    StringBuilder s = new StringBuilder("Document " + i + ":");
    for (int w = 0; w < 12; w++) {
      s.append(' ').append(WORDS[(i * 7 + w * 3) % WORDS.length]).append(i + w);
    }
    return s.append('.').toString();
  }

  /** Record (by id, as a comparable string) of every file under {@code out/selected}, read as {@code reader} reads one file. */
  private interface Records {
    TreeMap<String, String> read(Path file) throws IOException;
  }

  private void roundTrip(Path input, Records reader, String... extra) throws IOException {
    TreeMap<String, String> in = reader.read(input);
    assertEquals(N, in.size());

    Path all = dir.resolve(input.getFileName() + "-all");
    JsonNode s = JobRuns.run(args(input, all, "1.0", extra));
    assertEquals(N, s.get("selected").asLong(), s.toString());
    assertEquals(List.of(input.getFileName().toString()), names(all.resolve("selected")), "one file, named like the input");
    assertEquals(in, reader.read(all.resolve("selected").resolve(input.getFileName())));

    Path some = dir.resolve(input.getFileName() + "-some");
    JsonNode s2 = JobRuns.run(args(input, some, "0.2", extra));
    Set<String> ids = new TreeSet<>(Arrays.asList(JobRuns.selectedIds(some).split("\n")));
    assertEquals(s2.get("selected").asLong(), ids.size());
    assertTrue(ids.size() > 3 && ids.size() < N / 2, "a fifth or so: " + ids);
    TreeMap<String, String> kept = reader.read(some.resolve("selected").resolve(input.getFileName()));
    assertEquals(ids, kept.keySet(), "exactly the selected ids");
    kept.forEach((id, record) -> assertEquals(in.get(id), record, id));
  }

  private static String[] args(Path input, Path out, String rate, String... extra) {
    List<String> a = new ArrayList<>(List.of("--input=" + input, "--output=" + out, "--rate=" + rate,
        "--sampler=random", "--seed=3", "--progressSeconds=0"));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void jsonLines() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      lines.add("{\"url\":\"https://example.org/" + i + "\",\"text\":" + json.writeValueAsString(text(i))
          + ",\"id\":\"j" + i + "\",\"quality\":" + (i / 8.0) + ",\"meta\":{\"lang\":\"en\",\"tags\":[" + i + ",\"x\"]}}");
    }
    Path f = dir.resolve("web.jsonl");
    Files.write(f, lines, StandardCharsets.UTF_8);
    roundTrip(f, file -> {
      TreeMap<String, String> m = new TreeMap<>();
      for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        JsonNode n = json.readTree(l);
        m.put(n.get("id").asText(), l); // the line as it was, byte for byte
      }
      return m;
    });
  }

  @Test
  void parquet() throws IOException {
    Schema schema = SchemaBuilder.record("Page").namespace("hf").fields()
        .requiredString("id").requiredString("text").optionalString("url").requiredDouble("score")
        .requiredLong("tokens").name("langs").type().array().items().stringType().noDefault()
        .requiredBytes("digest").endRecord();
    Path f = dir.resolve("train-00000-of-00001.parquet");
    try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(f.toUri()))
        .withSchema(schema).build()) {
      for (int i = 0; i < N; i++) {
        GenericData.Record r = new GenericData.Record(schema);
        r.put("id", "p" + i);
        r.put("text", text(i));
        r.put("url", i % 4 == 0 ? null : "https://example.org/" + i);
        r.put("score", i * 0.25);
        r.put("tokens", 100L + i);
        r.put("langs", List.of("en"));
        r.put("digest", ByteBuffer.wrap(new byte[] {(byte) i, 7}));
        w.write(r);
      }
    }
    roundTrip(f, file -> {
      TreeMap<String, String> m = new TreeMap<>();
      try (ParquetReader<GenericRecord> r = AvroParquetReader.<GenericRecord>builder(new org.apache.hadoop.fs.Path(file.toUri()))
          .withDataModel(GenericData.get()).build()) {
        for (GenericRecord row = r.read(); row != null; row = r.read()) {
          assertEquals(schema, row.getSchema(), "schema for schema");
          m.put(row.get("id").toString(), GenericData.get().toString(row));
        }
      }
      return m;
    });
  }

  @Test
  void csv() throws IOException {
    StringBuilder s = new StringBuilder("id,title,text,year\n");
    for (int i = 0; i < N; i++) {
      s.append("c").append(i).append(",\"Title, ").append(i).append("\",\"").append(text(i))
          .append(i % 5 == 0 ? "\nA second line with \"\"quotes\"\"." : "").append("\",").append(1990 + i).append('\n');
    }
    Path f = dir.resolve("pages.csv");
    Files.writeString(f, s, StandardCharsets.UTF_8);
    roundTrip(f, file -> rows(file, ',', true));
  }

  @Test
  void tsv() throws IOException {
    StringBuilder s = new StringBuilder("id\tsource\ttext\n");
    for (int i = 0; i < N; i++) {
      s.append("t").append(i).append("\tcrawl-").append(i % 3).append('\t').append(text(i)).append('\n');
    }
    Path f = dir.resolve("lines.tsv");
    Files.writeString(f, s, StandardCharsets.UTF_8);
    roundTrip(f, file -> rows(file, '\t', false), "--csvQuoting=false");
  }

  /** Rows by their first column, with the header (which must come first) in each. */
  private static TreeMap<String, String> rows(Path file, char delimiter, boolean quoted) throws IOException {
    CSVFormat.Builder format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter);
    format = quoted ? format.setQuote('"') : format.setQuote(null);
    TreeMap<String, String> m = new TreeMap<>();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser p = format.get().parse(in)) {
      List<CSVRecord> all = p.getRecords();
      String header = all.get(0).toList().toString();
      for (CSVRecord r : all.subList(1, all.size())) {
        m.put(r.get(0), header + " " + r.toList());
      }
    }
    return m;
  }

  @Test
  void theDefaultIsSameForOneWritableFormatAndJsonlOtherwise() throws IOException {
    Path jsonl = Files.writeString(dir.resolve("a.jsonl"), "{\"text\":\"x\"}\n");
    Path csv = Files.writeString(dir.resolve("b.csv"), "text\nx\n");
    Path tfrecord = Files.writeString(dir.resolve("c.tfrecord"), "not really");
    assertEquals(OutputFormat.SAME, SelectPlan.of(JobRuns.selectOptions("--input=" + jsonl, "--sampler=random")).outputFormat);
    assertEquals(OutputFormat.JSONL, SelectPlan.of(JobRuns.selectOptions("--input=" + jsonl + "," + csv, "--sampler=random")).outputFormat);
    assertEquals(OutputFormat.JSONL, SelectPlan.of(JobRuns.selectOptions("--input=" + tfrecord, "--sampler=random")).outputFormat);
    assertEquals(OutputFormat.JSONL, SelectPlan.of(JobRuns.selectOptions(
        "--input=" + jsonl, "--job=pick-for-labelling", "--count=1")).outputFormat, "pick-for-labelling's output is joined back by id");
    Path marker = Files.writeString(dir.resolve("_SUCCESS"), "");
    assertEquals(OutputFormat.SAME, SelectPlan.of(JobRuns.selectOptions("--input=" + jsonl + "," + marker, "--sampler=random")).outputFormat,
        "a file of no known format is a dead letter, not a format");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SelectPlan.of(
        JobRuns.selectOptions("--input=" + jsonl + "," + csv, "--sampler=random", "--outputFormat=same")));
    assertTrue(e.getMessage().contains("--outputFormat=same") && e.getMessage().contains("jsonl and csv"), e.getMessage());
    IllegalArgumentException pick = assertThrows(IllegalArgumentException.class, () -> SelectPlan.of(
        JobRuns.selectOptions("--input=" + jsonl, "--job=pick-for-labelling", "--count=1", "--outputFormat=same")));
    assertTrue(pick.getMessage().contains("joined back by id"), pick.getMessage());
  }

  @Test
  void nothingSelectedWritesNoRecordFile() throws IOException {
    Path f = Files.writeString(dir.resolve("few.jsonl"), "{\"id\":\"a\",\"text\":\"one text\"}\n{\"id\":\"b\",\"text\":\"another\"}\n");
    Path out = dir.resolve("none");
    JsonNode s = JobRuns.run("--input=" + f, "--output=" + out, "--rate=0", "--sampler=random", "--progressSeconds=0");
    assertEquals(0, s.get("selected").asLong(), s.toString());
    assertEquals(List.of(), Files.exists(out.resolve("selected")) ? names(out.resolve("selected")) : List.of());
  }
}
