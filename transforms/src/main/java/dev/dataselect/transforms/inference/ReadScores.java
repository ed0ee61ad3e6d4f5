package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.DocumentScore;
import static com.google.common.base.Preconditions.checkArgument;

import java.util.SortedMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads scores written by {@link WriteScores} back into the same {@link DocumentScore}s, bit for
 * bit. {@link #metadata(String)} tells, before building the pipeline, what made them.
 *
 * <pre>{@code
 * if (cacheExists && ReadScores.metadata(dir).equals(score.metadata())) {
 *   scores = p.apply(ReadScores.from(dir));
 * }
 * }</pre>
 */
public final class ReadScores extends PTransform<PBegin, PCollection<DocumentScore>> {
  private final String filePattern;

  private ReadScores(String filePattern) {
    this.filePattern = filePattern;
  }

  /**
   * Reads a directory written by {@link WriteScores#to} (its {@code scores-*.parquet}), or the
   * files a glob or {@code .parquet} path names.
   */
  public static ReadScores from(String location) {
    checkArgument(
        location != null && !location.isBlank(),
        "location must be a non-blank directory, glob or file, got: '%s'",
        location);
    return new ReadScores(ParquetFiles.filePattern(location, ParquetFiles.SCORES_PREFIX));
  }

  /** The metadata {@link WriteScores#withMetadata} stored, read from the first file's footer. */
  public static SortedMap<String, String> metadata(String location) {
    return ParquetFiles.metadata(ParquetFiles.filePattern(location, ParquetFiles.SCORES_PREFIX));
  }

  public String filePattern() {
    return filePattern;
  }

  @Override
  public PCollection<DocumentScore> expand(PBegin input) {
    return input.apply(
        "ReadParquet",
        ParquetIO.parseGenericRecords(new ParseScore())
            .from(filePattern)
            .withCoder(DocumentScore.DocumentScoreCoder.of()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("filePattern", filePattern).withLabel("Input files"));
  }

  private static final class ParseScore implements SerializableFunction<GenericRecord, DocumentScore> {
    private static final long serialVersionUID = 1L;

    @Override
    public DocumentScore apply(GenericRecord r) {
      Object id = r.get("id");
      Object score = r.get("score");
      if (id == null || !(score instanceof Double)) {
        throw new IllegalArgumentException(
            "Not a scores file: expected {id: string, score: double}, got schema " + r.getSchema());
      }
      return DocumentScore.of(id.toString(), (Double) score);
    }
  }
}
