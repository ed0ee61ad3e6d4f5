package dev.dataselect.transforms.inference;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSortedMap;
import java.util.Map;
import java.util.SortedMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes {@link DocumentScore}s as Parquet files {@code <directory>/scores-SSSSS-of-NNNNN.parquet}
 * (Avro schema {@code {id: string, score: double}}), for {@link ReadScores} to read back so a later
 * run does not score again. {@link #withMetadata} (e.g. {@link AskLlmScore#metadata()}) records
 * what the scores mean in every file's key-value metadata; {@link ReadScores#metadata} reads it.
 */
public final class WriteScores extends PTransform<PCollection<DocumentScore>, WriteFilesResult<Void>> {
  private final String directory;
  private final SortedMap<String, String> metadata;
  private final int numShards;

  private WriteScores(String directory, SortedMap<String, String> metadata, int numShards) {
    this.directory = directory;
    this.metadata = metadata;
    this.numShards = numShards;
  }

  /** Writes into {@code directory} (local, gs://, any Beam file system). */
  public static WriteScores to(String directory) {
    checkArgument(
        directory != null && !directory.isBlank(),
        "directory must be a non-blank path or URI, got: '%s'",
        directory);
    return new WriteScores(directory, ImmutableSortedMap.of(), 0);
  }

  /** Key-value pairs stored with the scores (stage, model, mode, ...); default none. */
  public WriteScores withMetadata(Map<String, String> metadata) {
    return new WriteScores(
        directory, ImmutableSortedMap.copyOf(ParquetFiles.checkMetadata(metadata)), numShards);
  }

  /** Output files, in [0, 100000]; 0 (the default) lets the runner choose. */
  public WriteScores withNumShards(int numShards) {
    checkArgument(
        numShards >= 0 && numShards <= 100_000,
        "numShards must be in [0, 100000] (0 = runner chooses), got: %s",
        numShards);
    return new WriteScores(directory, metadata, numShards);
  }

  @Override
  public WriteFilesResult<Void> expand(PCollection<DocumentScore> scores) {
    String schema = ParquetFiles.schemaJson(ParquetFiles.SCORE_SCHEMA, metadata);
    PCollection<GenericRecord> records =
        scores
            .apply("ToAvro", ParDo.of(new ToRecordFn(schema)))
            .setCoder(AvroCoder.of(new Schema.Parser().parse(schema)));
    FileIO.Write<Void, GenericRecord> write =
        FileIO.<GenericRecord>write()
            .via(ParquetIO.sink(new Schema.Parser().parse(schema)))
            .to(directory)
            .withPrefix(ParquetFiles.SCORES_PREFIX)
            .withSuffix(ParquetFiles.SUFFIX);
    if (numShards > 0) {
      write = write.withNumShards(numShards);
    }
    return records.apply("WriteParquet", write);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("directory", directory).withLabel("Output directory"))
        .add(DisplayData.item("numShards", numShards).withLabel("Shards (0 = runner chooses)"));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      builder.add(DisplayData.item("metadata." + e.getKey(), e.getValue()));
    }
  }

  private static final class ToRecordFn extends DoFn<DocumentScore, GenericRecord> {
    private final String schemaJson;
    private transient Schema schema;

    ToRecordFn(String schemaJson) {
      this.schemaJson = schemaJson;
    }

    @Setup
    public void setup() {
      schema = new Schema.Parser().parse(schemaJson);
    }

    @ProcessElement
    public void process(@Element DocumentScore s, OutputReceiver<GenericRecord> out) {
      GenericData.Record r = new GenericData.Record(schema);
      r.put("id", s.id());
      r.put("score", s.score());
      out.output(r);
    }
  }
}
