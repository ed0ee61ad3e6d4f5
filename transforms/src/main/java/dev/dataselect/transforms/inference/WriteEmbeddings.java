package dev.dataselect.transforms.inference;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableSortedMap;
import java.util.ArrayList;
import java.util.List;
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
 * Writes {@link DocumentEmbedding}s as Parquet files {@code
 * <directory>/embeddings-SSSSS-of-NNNNN.parquet} (Avro schema {@code {id: string, embedding:
 * array<float>}}, which pyarrow and pandas read as {@code list<float>}), for {@link ReadEmbeddings}
 * to read back exactly, so a later run does not embed again. {@link #withMetadata} (e.g. {@link
 * Embed#metadata()}) records the model in every file's key-value metadata.
 */
public final class WriteEmbeddings
    extends PTransform<PCollection<DocumentEmbedding>, WriteFilesResult<Void>> {
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

  @Override
  public WriteFilesResult<Void> expand(PCollection<DocumentEmbedding> embeddings) {
    String schema = ParquetFiles.schemaJson(ParquetFiles.EMBEDDING_SCHEMA, metadata);
    PCollection<GenericRecord> records =
        embeddings
            .apply("ToAvro", ParDo.of(new ToRecordFn(schema)))
            .setCoder(AvroCoder.of(new Schema.Parser().parse(schema)));
    FileIO.Write<Void, GenericRecord> write =
        FileIO.<GenericRecord>write()
            .via(ParquetIO.sink(new Schema.Parser().parse(schema)))
            .to(directory)
            .withPrefix(ParquetFiles.EMBEDDINGS_PREFIX)
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

  private static final class ToRecordFn extends DoFn<DocumentEmbedding, GenericRecord> {
    private final String schemaJson;
    private transient Schema schema;
    private transient Schema arraySchema;

    ToRecordFn(String schemaJson) {
      this.schemaJson = schemaJson;
    }

    @Setup
    public void setup() {
      schema = new Schema.Parser().parse(schemaJson);
      arraySchema = schema.getField("embedding").schema();
    }

    @ProcessElement
    public void process(@Element DocumentEmbedding e, OutputReceiver<GenericRecord> out) {
      List<Float> values = new ArrayList<>(e.dimension());
      for (int i = 0; i < e.dimension(); i++) {
        values.add(e.get(i));
      }
      GenericData.Record r = new GenericData.Record(schema);
      r.put("id", e.id());
      r.put("embedding", new GenericData.Array<>(arraySchema, values));
      out.output(r);
    }
  }
}
