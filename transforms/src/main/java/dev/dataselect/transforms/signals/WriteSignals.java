package dev.dataselect.transforms.signals;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSortedMap;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.inference.ParquetFiles;
import java.util.Map;
import java.util.SortedMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;

/**
 * Persists each document's {@link TextSignals} like any other score: Parquet files {@code
 * <directory>/signals-SSSSS-of-NNNNN.parquet} with an {@code id} column and one {@code double}
 * column per {@link Signal} ({@link Signal#column}: {@code words}, {@code mean_word_length}, ...),
 * and the given metadata in every file's footer (as {@code WriteScores} does).
 *
 * <p>One row is 35 doubles and an id, about 300 bytes before Parquet's compression: 300 GB for
 * 10⁹ documents, written once and read by any later step (a student, a report, a notebook).
 */
public final class WriteSignals extends PTransform<PCollection<Document>, WriteFilesResult<Void>> {
  /** The files' name prefix. */
  public static final String PREFIX = "signals";

  /** {@code {id: string, <signal column>: double, ...}}, in {@link Signal} order. */
  public static final Schema SCHEMA = schema();

  private final String directory;
  private final SortedMap<String, String> metadata;
  private final int numShards;

  private WriteSignals(String directory, SortedMap<String, String> metadata, int numShards) {
    this.directory = directory;
    this.metadata = metadata;
    this.numShards = numShards;
  }

  /** Writes into {@code directory} (local, gs://, any Beam file system). */
  public static WriteSignals to(String directory) {
    checkArgument(directory != null && !directory.isBlank(), "directory must be a non-blank path or URI, got: '%s'", directory);
    return new WriteSignals(directory, ImmutableSortedMap.of(), 0);
  }

  /** Key-value pairs stored with the signals; default none. */
  public WriteSignals withMetadata(Map<String, String> metadata) {
    return new WriteSignals(directory, ImmutableSortedMap.copyOf(ParquetFiles.checkMetadata(metadata)), numShards);
  }

  /** Output files, in [0, 100000]; 0 (the default) lets the runner choose. */
  public WriteSignals withNumShards(int numShards) {
    checkArgument(numShards >= 0 && numShards <= 100_000, "numShards must be in [0, 100000] (0 = runner chooses), got: %s", numShards);
    return new WriteSignals(directory, metadata, numShards);
  }

  @Override
  public WriteFilesResult<Void> expand(PCollection<Document> docs) {
    return ParquetFiles.write(
        docs,
        ParquetFiles.schemaJson(SCHEMA, metadata),
        (d, r, schema) -> {
          r.put("id", d.id());
          double[] values = TextSignals.of(d.text()).values();
          for (Signal s : Signal.values()) {
            r.put(s.column(), values[s.ordinal()]);
          }
        },
        directory,
        PREFIX,
        numShards);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    ParquetFiles.populateDisplayData(builder, directory, numShards, metadata);
  }

  private static Schema schema() {
    SchemaBuilder.FieldAssembler<Schema> fields =
        SchemaBuilder.record("DocumentSignals").namespace("dev.dataselect").fields().requiredString("id");
    for (Signal s : Signal.values()) {
      fields = fields.requiredDouble(s.column());
    }
    return fields.endRecord();
  }
}
