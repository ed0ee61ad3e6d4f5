package dev.dataselect.transforms.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileIO;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

/**
 * Parquet through parquet-avro's reader, row by row, over a Beam seekable channel (so gs:// works).
 * Any schema: the text field is looked up by name in each row.
 */
final class ParquetRecords implements FormatReader {

  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink)
      throws IOException {
    try (SeekableByteChannel channel = file.openSeekable();
        ParquetReader<GenericRecord> reader =
            AvroParquetReader.<GenericRecord>builder(new ChannelInputFile(channel))
                .withDataModel(GenericData.get())
                .build()) {
      GenericRecord row;
      while ((row = reader.read()) != null) {
        GenericRecord r = row;
        sink.record(fields(r), () -> String.valueOf(r));
      }
    }
  }

  /**
   * The Avro schema parquet-avro reads a file's rows under: the one its writer stored in the footer
   * ({@code parquet.avro.schema}, or the older {@code avro.schema}), else the Parquet schema converted.
   */
  static Schema avroSchema(String path) throws IOException {
    org.apache.beam.sdk.io.fs.ResourceId id = org.apache.beam.sdk.io.FileSystems.matchSingleFileSpec(path).resourceId();
    try (SeekableByteChannel channel = (SeekableByteChannel) org.apache.beam.sdk.io.FileSystems.open(id);
        ParquetFileReader reader = ParquetFileReader.open(new ChannelInputFile(channel))) {
      org.apache.parquet.hadoop.metadata.FileMetaData meta = reader.getFooter().getFileMetaData();
      java.util.Map<String, String> kv = meta.getKeyValueMetaData();
      String stored = kv.containsKey("parquet.avro.schema") ? kv.get("parquet.avro.schema") : kv.get("avro.schema");
      return stored != null
          ? new Schema.Parser().parse(stored)
          : new org.apache.parquet.avro.AvroSchemaConverter().convert(meta.getSchema());
    }
  }

  /** The row groups of a Parquet file, from its footer. */
  static List<BlockMetaData> rowGroups(FileIO.ReadableFile file) throws IOException {
    try (SeekableByteChannel channel = file.openSeekable();
        ParquetFileReader reader = ParquetFileReader.open(new ChannelInputFile(channel))) {
      return reader.getFooter().getBlocks();
    }
  }

  /**
   * Reads row group {@code group} alone (parquet-mr keeps the row groups whose midpoint lies in the
   * file range given, here the group's own bytes), numbering its rows from the row count of the
   * groups before it: the same row numbers a read of the whole file gives.
   */
  static void readRowGroup(FileIO.ReadableFile file, List<BlockMetaData> groups, int group, RecordSink sink)
      throws IOException {
    long row = 0;
    for (int g = 0; g < group; g++) {
      row += groups.get(g).getRowCount();
    }
    BlockMetaData block = groups.get(group);
    long start = block.getStartingPos();
    long end = start + block.getCompressedSize();
    long expected = row + block.getRowCount();
    sink.at(row); // where a failure to open the group is reported
    try (SeekableByteChannel channel = file.openSeekable();
        ParquetReader<GenericRecord> reader =
            AvroParquetReader.<GenericRecord>builder(new ChannelInputFile(channel))
                .withDataModel(GenericData.get())
                .withFileRange(start, end)
                .build()) {
      GenericRecord next;
      while ((next = reader.read()) != null) {
        GenericRecord r = next;
        sink.at(row++);
        sink.record(fields(r), () -> String.valueOf(r));
      }
    }
    if (row != expected) {
      throw new IOException("row group " + group + " gave " + (row - expected + block.getRowCount())
          + " rows, its footer says " + block.getRowCount());
    }
  }

  private static Fields fields(GenericRecord row) {
    return new Fields() {
      @Override
      public Object get(String name) {
        return value(row, name);
      }

      @Override
      public byte[] withoutText(String textField) {
        return OriginalRecord.parquetRow(row, textField);
      }
    };
  }

  private static Object value(GenericRecord record, String name) {
    Schema.Field field = record.getSchema().getField(name);
    if (field == null) {
      return null;
    }
    Object v = record.get(field.pos());
    if (v instanceof ByteBuffer) {
      ByteBuffer b = ((ByteBuffer) v).duplicate();
      byte[] bytes = new byte[b.remaining()];
      b.get(bytes);
      return bytes;
    }
    return v; // Utf8 is a CharSequence; numbers and booleans stay as they are
  }

  /** Parquet's {@link InputFile} over a Beam seekable channel. */
  static final class ChannelInputFile implements InputFile {
    private final SeekableByteChannel channel;

    ChannelInputFile(SeekableByteChannel channel) {
      this.channel = channel;
    }

    @Override
    public long getLength() throws IOException {
      return channel.size();
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
