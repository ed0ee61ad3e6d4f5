package dev.dataselect.transforms.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.inference.ReadScores;
import dev.dataselect.transforms.testing.TestPipelines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signals written as Parquet read back as the same values, one column per signal, with the metadata. */
class WriteSignalsTest {
  @TempDir Path dir;

  @Test
  void everySignalIsAColumnAndReadsBackExactly() {
    List<Document> docs = List.of(
        Document.of("a", FilterByRulesTest.PROSE, "s"),
        Document.of("b", "Short.\nShort.\n\n• a list item…", "s"),
        Document.of("c", "", "s"));
    String out = dir.resolve("signals").toString() + "/";
    Pipeline write = TestPipelines.create();
    write.apply(Create.of(docs)).apply(WriteSignals.to(out).withMetadata(Map.of("stage", "signals")).withNumShards(2));
    TestPipelines.run(write);

    List<String> expected = new ArrayList<>();
    for (Document d : docs) {
      expected.add(row(d.id(), TextSignals.of(d.text()).values()));
    }
    Pipeline read = TestPipelines.create();
    PAssert.that(read.apply(ParquetIO.parseGenericRecords((SerializableFunction<GenericRecord, String>) r -> {
          double[] v = new double[Signal.values().length];
          for (Signal s : Signal.values()) {
            v[s.ordinal()] = (Double) r.get(s.column());
          }
          return row(r.get("id").toString(), v);
        }).from(out + "signals-*.parquet").withCoder(StringUtf8Coder.of())))
        .containsInAnyOrder(expected);
    TestPipelines.run(read);
    assertEquals("signals", ReadScores.metadata(out + "signals-*.parquet").get("stage"));
    assertEquals(Signal.values().length + 1, WriteSignals.SCHEMA.getFields().size());
  }

  private static String row(String id, double[] values) {
    StringBuilder b = new StringBuilder(id);
    for (double v : values) {
      b.append('|').append(v);
    }
    return b.toString();
  }
}
