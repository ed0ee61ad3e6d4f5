package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.Embedding;
import static com.google.common.base.Preconditions.checkArgument;

import java.util.List;
import java.util.SortedMap;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads embeddings written by {@link WriteEmbeddings} back into the same {@link
 * Embedding}s, bit for bit. {@link #metadata(String)} tells, before building the pipeline,
 * which model made them, so a run can use the cache only when it matches its {@link Embed}.
 */
public final class ReadEmbeddings extends PTransform<PBegin, PCollection<Embedding>> {
  private final String filePattern;

  private ReadEmbeddings(String filePattern) {
    this.filePattern = filePattern;
  }

  /**
   * Reads a directory written by {@link WriteEmbeddings#to} (its {@code embeddings-*.parquet}), or
   * the files a glob or {@code .parquet} path names.
   */
  public static ReadEmbeddings from(String location) {
    checkArgument(
        location != null && !location.isBlank(),
        "location must be a non-blank directory, glob or file, got: '%s'",
        location);
    return new ReadEmbeddings(ParquetFiles.filePattern(location, ParquetFiles.EMBEDDINGS_PREFIX));
  }

  /** The metadata {@link WriteEmbeddings#withMetadata} stored, read from the first file's footer. */
  public static SortedMap<String, String> metadata(String location) {
    return ParquetFiles.metadata(ParquetFiles.filePattern(location, ParquetFiles.EMBEDDINGS_PREFIX));
  }

  public String filePattern() {
    return filePattern;
  }

  @Override
  public PCollection<Embedding> expand(PBegin input) {
    return input.apply(
        "ReadParquet",
        ParquetIO.parseGenericRecords(new ParseEmbedding())
            .from(filePattern)
            .withCoder(Embedding.EmbeddingCoder.of()));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("filePattern", filePattern).withLabel("Input files"));
  }

  private static final class ParseEmbedding
      implements SerializableFunction<GenericRecord, Embedding> {
    private static final long serialVersionUID = 1L;

    @Override
    public Embedding apply(GenericRecord r) {
      Object id = r.get("id");
      Object values = r.get("embedding");
      if (id == null || !(values instanceof List)) {
        throw new IllegalArgumentException(
            "Not an embeddings file: expected {id: string, embedding: array<float>}, got schema "
                + r.getSchema());
      }
      List<?> list = (List<?>) values;
      float[] v = new float[list.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = ((Number) list.get(i)).floatValue();
      }
      return Embedding.of(id.toString(), v);
    }
  }
}
