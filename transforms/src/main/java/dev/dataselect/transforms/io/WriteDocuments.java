package dev.dataselect.transforms.io;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import dev.dataselect.transforms.Document;
import java.util.HashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes documents into a folder as gzipped JSON Lines ({@code part-*.jsonl.gz}, one {@link
 * DocumentJson} object per line, the default) or Parquet ({@code part-*.parquet}: {@code id, text,
 * source} strings and a {@code metadata} string map); both are formats {@link ReadCorpus} reads
 * back. Outputs the names of the files written, complete when the write is.
 *
 * <pre>{@code
 * selection.selected().apply(WriteDocuments.to("gs://bucket/run/selected/"));
 * }</pre>
 */
public final class WriteDocuments extends PTransform<PCollection<Document>, PCollection<String>> {
  /** The file formats. */
  public enum Format {
    JSONL,
    PARQUET
  }

  /** The Parquet layout of documents. */
  public static final Schema PARQUET_SCHEMA =
      SchemaBuilder.record("Document").namespace("dev.dataselect").fields()
          .requiredString("id").requiredString("text").requiredString("source")
          .name("metadata").type().map().values().stringType().noDefault()
          .endRecord();

  private final String folder;
  private final Format format;
  private final int shards;

  private WriteDocuments(String folder, Format format, int shards) {
    this.folder = folder;
    this.format = format;
    this.shards = shards;
  }

  /** JSON Lines into {@code folder} (local or {@code gs://}; a missing trailing '/' is added). */
  public static WriteDocuments to(String folder) {
    requireNonNull(folder, "folder");
    checkArgument(!folder.isBlank(), "folder must not be blank");
    return new WriteDocuments(folder.endsWith("/") ? folder : folder + "/", Format.JSONL, 0);
  }

  public WriteDocuments withFormat(Format format) {
    return new WriteDocuments(folder, requireNonNull(format, "format"), shards);
  }

  /** Exactly {@code shards} files (0, the default: as many as the runner's bundles make). */
  public WriteDocuments withShards(int shards) {
    checkArgument(shards >= 0, "shards must be >= 0, got %s", shards);
    return new WriteDocuments(folder, format, shards);
  }

  @Override
  public PCollection<String> expand(PCollection<Document> docs) {
    if (format == Format.PARQUET) {
      return docs.apply("ToAvro", MapElements.into(TypeDescriptor.of(GenericRecord.class)).via(WriteDocuments::toRecord))
          .setCoder(AvroCoder.of(PARQUET_SCHEMA))
          .apply("WriteParquet", FileIO.<GenericRecord>write().via(ParquetIO.sink(PARQUET_SCHEMA)).to(folder).withPrefix("part").withSuffix(".parquet")
              .withNumShards(shards))
          .getPerDestinationOutputFilenames()
          .apply("WrittenParquetFiles", Values.create());
    }
    return docs.apply("ToJson", MapElements.into(TypeDescriptors.strings()).via(DocumentJson::of))
        .apply("WriteJsonl", TextIO.write().to(folder + "part").withSuffix(".jsonl").withCompression(Compression.GZIP)
            .withNumShards(shards).withOutputFilenames())
        .getPerDestinationOutputFilenames()
        .apply("WrittenJsonlFiles", Values.create());
  }

  static GenericRecord toRecord(Document d) {
    GenericData.Record r = new GenericData.Record(PARQUET_SCHEMA);
    r.put("id", d.id());
    r.put("text", d.text());
    r.put("source", d.source());
    r.put("metadata", new HashMap<>(d.metadata()));
    return r;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("folder", folder).withLabel("Output folder"))
        .add(DisplayData.item("format", format.name()).withLabel("Format"));
  }
}
