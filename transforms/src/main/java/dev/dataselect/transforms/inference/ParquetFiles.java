package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.DocumentScore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

/**
 * The Parquet layout shared by {@link WriteScores}, {@link ReadScores}, {@link WriteEmbeddings},
 * {@link ReadEmbeddings} and {@code signals.WriteSignals} (public for that one: its members are
 * the layout, not an API to build on).
 *
 * <p>Files are {@code <directory>/<kind>-SSSSS-of-NNNNN.parquet} with the Avro schemas below. What
 * made the values (model, mode, ...) is stored as properties {@code dataselect.<key>} of the Avro
 * schema, which parquet-avro writes into every file's key-value metadata (entry {@code
 * parquet.avro.schema}); {@link #metadata} reads them back from a file's footer.
 */
public final class ParquetFiles {
  private ParquetFiles() {}

  static final String PROPERTY_PREFIX = "dataselect.";
  static final String SCORES_PREFIX = "scores";
  static final String EMBEDDINGS_PREFIX = "embeddings";
  static final String SUFFIX = ".parquet";
  private static final String AVRO_SCHEMA_KEY = "parquet.avro.schema";

  /** {@code {id: string, score: double}}. */
  static final Schema SCORE_SCHEMA =
      SchemaBuilder.record("DocumentScore")
          .namespace("dev.dataselect")
          .fields()
          .requiredString("id")
          .requiredDouble("score")
          .endRecord();

  /** {@code {id: string, embedding: array<float>}}. */
  static final Schema EMBEDDING_SCHEMA =
      SchemaBuilder.record("DocumentEmbedding")
          .namespace("dev.dataselect")
          .fields()
          .requiredString("id")
          .name("embedding")
          .type()
          .array()
          .items()
          .floatType()
          .noDefault()
          .endRecord();

  /** {@code base} with {@code metadata} as {@code dataselect.*} properties, as JSON. */
  public static String schemaJson(Schema base, Map<String, String> metadata) {
    Schema schema = new Schema.Parser().parse(base.toString());
    for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
      schema.addProp(PROPERTY_PREFIX + e.getKey(), e.getValue());
    }
    return schema.toString();
  }

  /** Fills an Avro record of the file schema from one element. */
  public interface RecordFiller<T> extends Serializable {
    void fill(T element, GenericData.Record record, Schema schema);
  }

  /**
   * Turns {@code elements} into records of {@code schemaJson} with {@code filler} and writes them
   * as {@code <directory>/<prefix>-SSSSS-of-NNNNN.parquet} ({@code numShards} 0: runner chooses).
   */
  public static <T> WriteFilesResult<Void> write(
      PCollection<T> elements,
      String schemaJson,
      RecordFiller<T> filler,
      String directory,
      String prefix,
      int numShards) {
    Schema schema = new Schema.Parser().parse(schemaJson);
    PCollection<GenericRecord> records =
        elements
            .apply("ToAvro", ParDo.of(new ToRecordFn<>(schemaJson, filler)))
            .setCoder(AvroCoder.of(schema));
    FileIO.Write<Void, GenericRecord> write =
        FileIO.<GenericRecord>write()
            .via(ParquetIO.sink(schema))
            .to(directory)
            .withPrefix(prefix)
            .withSuffix(SUFFIX);
    if (numShards > 0) {
      write = write.withNumShards(numShards);
    }
    return records.apply("WriteParquet", write);
  }

  /** The display data both writers show: directory, shards and every metadata entry. */
  public static void populateDisplayData(
      DisplayData.Builder builder, String directory, int numShards, Map<String, String> metadata) {
    builder
        .add(DisplayData.item("directory", directory).withLabel("Output directory"))
        .add(DisplayData.item("numShards", numShards).withLabel("Shards (0 = runner chooses)"));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      builder.add(DisplayData.item("metadata." + e.getKey(), e.getValue()));
    }
  }

  private static final class ToRecordFn<T> extends DoFn<T, GenericRecord> {
    private final String schemaJson;
    private final RecordFiller<T> filler;
    private transient Schema schema;

    ToRecordFn(String schemaJson, RecordFiller<T> filler) {
      this.schemaJson = schemaJson;
      this.filler = filler;
    }

    @Setup
    public void setup() {
      schema = new Schema.Parser().parse(schemaJson);
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<GenericRecord> out) {
      GenericData.Record r = new GenericData.Record(schema);
      filler.fill(element, r, schema);
      out.output(r);
    }
  }

  /** Validates metadata keys and values for {@code withMetadata}. */
  public static SortedMap<String, String> checkMetadata(Map<String, String> metadata) {
    if (metadata == null) {
      throw new IllegalArgumentException("metadata must be non-null (use an empty map for none)");
    }
    SortedMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || e.getKey().isBlank() || e.getValue() == null) {
        throw new IllegalArgumentException(
            "metadata must map non-blank keys to non-null values, got: "
                + e.getKey() + " -> " + e.getValue());
      }
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  /** A directory written by {@code WriteX.to(dir)} becomes its file glob; a glob stays as is. */
  static String filePattern(String location, String prefix) {
    if (FileSystems.hasGlobWildcard(location) || location.endsWith(SUFFIX)) {
      return location;
    }
    String dir = location.endsWith("/") ? location : location + "/";
    return dir + prefix + "-*" + SUFFIX;
  }

  /**
   * The {@code dataselect.*} properties stored in the first (by name) file matching {@code
   * pattern}.
   */
  static SortedMap<String, String> metadata(String pattern) {
    try {
      MatchResult match = FileSystems.match(pattern, EmptyMatchTreatment.DISALLOW);
      List<MatchResult.Metadata> files = match.metadata();
      if (files.isEmpty()) {
        throw new FileNotFoundException("No files match " + pattern);
      }
      MatchResult.Metadata first =
          files.stream().min(Comparator.comparing(m -> m.resourceId().toString())).get();
      String json;
      try (SeekableByteChannel channel =
              (SeekableByteChannel) FileSystems.open(first.resourceId());
          ParquetFileReader reader =
              ParquetFileReader.open(new ChannelInputFile(channel, first.sizeBytes()))) {
        json = reader.getFooter().getFileMetaData().getKeyValueMetaData().get(AVRO_SCHEMA_KEY);
      }
      if (json == null) {
        throw new IOException(first.resourceId() + " was not written through Avro: no " + AVRO_SCHEMA_KEY);
      }
      Schema schema = new Schema.Parser().parse(json);
      SortedMap<String, String> out = new TreeMap<>();
      for (Map.Entry<String, Object> e : schema.getObjectProps().entrySet()) {
        if (e.getKey().startsWith(PROPERTY_PREFIX)) {
          out.put(e.getKey().substring(PROPERTY_PREFIX.length()), String.valueOf(e.getValue()));
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the metadata of " + pattern + ": " + e.getMessage(), e);
    }
  }

  /** Parquet's {@link InputFile} over a Beam seekable channel (so gs:// works). */
  static final class ChannelInputFile implements InputFile {
    private final SeekableByteChannel channel;
    private final long length;

    ChannelInputFile(SeekableByteChannel channel, long length) {
      this.channel = channel;
      this.length = length;
    }

    @Override
    public long getLength() {
      return length;
    }

    @Override
    public SeekableInputStream newStream() {
      return new DelegatingSeekableInputStream(java.nio.channels.Channels.newInputStream(channel)) {
        @Override
        public long getPos() throws IOException {
          return channel.position();
        }

        @Override
        public void seek(long newPos) throws IOException {
          channel.position(newPos);
        }
      };
    }
  }
}
