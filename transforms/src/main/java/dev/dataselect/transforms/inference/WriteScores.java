package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.DocumentScore;
import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSortedMap;
import java.util.Map;
import java.util.SortedMap;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.PTransform;
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
    return ParquetFiles.write(
        scores,
        ParquetFiles.schemaJson(ParquetFiles.SCORE_SCHEMA, metadata),
        (s, r, schema) -> {
          r.put("id", s.id());
          r.put("score", s.score());
        },
        directory,
        ParquetFiles.SCORES_PREFIX,
        numShards);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    ParquetFiles.populateDisplayData(builder, directory, numShards, metadata);
  }
}
