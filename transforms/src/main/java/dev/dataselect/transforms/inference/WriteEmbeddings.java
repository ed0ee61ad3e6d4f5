package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.Embedding;
import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSortedMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes {@link Embedding}s as Parquet files {@code
 * <directory>/embeddings-SSSSS-of-NNNNN.parquet} (Avro schema {@code {id: string, embedding:
 * array<float>}}, which pyarrow and pandas read as {@code list<float>}), for {@link ReadEmbeddings}
 * to read back exactly, so a later run does not embed again. {@link #withMetadata} (e.g. {@link
 * Embed#metadata()}) records the model in every file's key-value metadata.
 */
public final class WriteEmbeddings
    extends PTransform<PCollection<Embedding>, WriteFilesResult<Void>> {
  private final String directory;
  private final SortedMap<String, String> metadata;
  private final int numShards;

  private WriteEmbeddings(String directory, SortedMap<String, String> metadata, int numShards) {
    this.directory = directory;
    this.metadata = metadata;
    this.numShards = numShards;
  }

  /** Writes into {@code directory} (local, gs://, any Beam file system). */
  public static WriteEmbeddings to(String directory) {
    checkArgument(
        directory != null && !directory.isBlank(),
        "directory must be a non-blank path or URI, got: '%s'",
        directory);
    return new WriteEmbeddings(directory, ImmutableSortedMap.of(), 0);
  }

  /** Key-value pairs stored with the embeddings (model, pooling, ...); default none. */
  public WriteEmbeddings withMetadata(Map<String, String> metadata) {
    return new WriteEmbeddings(
        directory, ImmutableSortedMap.copyOf(ParquetFiles.checkMetadata(metadata)), numShards);
  }

  /** Output files, in [0, 100000]; 0 (the default) lets the runner choose. */
  public WriteEmbeddings withNumShards(int numShards) {
    checkArgument(
        numShards >= 0 && numShards <= 100_000,
        "numShards must be in [0, 100000] (0 = runner chooses), got: %s",
        numShards);
    return new WriteEmbeddings(directory, metadata, numShards);
  }

  /**
   * The Avro schema of the files this transform writes with {@code metadata}: for tools that write
   * an embeddings cache outside Beam (one file per writer, named {@code
   * embeddings-SSSSS-of-NNNNN.parquet}), which {@link ReadEmbeddings} then reads like its own.
   */
  public static Schema fileSchema(Map<String, String> metadata) {
    return new Schema.Parser()
        .parse(ParquetFiles.schemaJson(ParquetFiles.EMBEDDING_SCHEMA, ParquetFiles.checkMetadata(metadata)));
  }

  @Override
  public WriteFilesResult<Void> expand(PCollection<Embedding> embeddings) {
    return ParquetFiles.write(
        embeddings,
        ParquetFiles.schemaJson(ParquetFiles.EMBEDDING_SCHEMA, metadata),
        (e, r, schema) -> {
          List<Float> values = new ArrayList<>(e.dimension());
          for (int i = 0; i < e.dimension(); i++) {
            values.add(e.get(i));
          }
          r.put("id", e.id());
          r.put("embedding", new GenericData.Array<>(schema.getField("embedding").schema(), values));
        },
        directory,
        ParquetFiles.EMBEDDINGS_PREFIX,
        numShards);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    ParquetFiles.populateDisplayData(builder, directory, numShards, metadata);
  }
}
