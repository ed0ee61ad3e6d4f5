package dev.dataselect.transforms.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.SeekableReadChannel;
import org.apache.arrow.vector.util.Text;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.beam.sdk.io.FileIO;

/**
 * Arrow IPC files: the streaming format Hugging Face {@code datasets} writes to its cache and
 * {@code save_to_disk} shards, and the random-access file format (magic {@code ARROW1}). Batch by
 * batch, so memory is bounded by one record batch.
 */
final class ArrowRecords implements FormatReader {
  private static final byte[] FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink)
      throws IOException {
    boolean fileFormat;
    try (InputStream probe = Channels.newInputStream(file.open())) {
      fileFormat = Arrays.equals(probe.readNBytes(FILE_MAGIC.length), FILE_MAGIC);
    }
    try (BufferAllocator allocator = new RootAllocator();
        ArrowReader reader = open(file, fileFormat, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      while (reader.loadNextBatch()) {
        int rows = root.getRowCount();
        for (int i = 0; i < rows; i++) {
          int row = i;
          sink.record(
              name -> value(root.getVector(name), row),
              () -> String.valueOf(value(root.getVector(settings.textFields().get(0)), row)));
        }
      }
    }
  }

  /**
   * The byte sizes of the record batches of an Arrow IPC file-format file (from its footer), or
   * null for the stream format, which has no footer and is read whole.
   */
  static long[] batchSizes(FileIO.ReadableFile file) throws IOException {
    try (InputStream probe = Channels.newInputStream(file.open())) {
      if (!Arrays.equals(probe.readNBytes(FILE_MAGIC.length), FILE_MAGIC)) {
        return null;
      }
    }
    try (BufferAllocator allocator = new RootAllocator();
        ArrowFileReader reader = new ArrowFileReader(new SeekableReadChannel(file.openSeekable()), allocator)) {
      return reader.getRecordBlocks().stream().mapToLong(b -> b.getMetadataLength() + b.getBodyLength()).toArray();
    }
  }

  /**
   * Reads record batch {@code batch} of a file-format file, numbering its rows from the row counts
   * of the batches before it (read from their message headers, not their data): the same row
   * numbers a read of the whole file gives.
   */
  static void readBatch(FileIO.ReadableFile file, int batch, RecordSink sink) throws IOException {
    try (BufferAllocator allocator = new RootAllocator();
        java.nio.channels.SeekableByteChannel channel = file.openSeekable();
        ArrowFileReader reader = new ArrowFileReader(new SeekableReadChannel(file.openSeekable()), allocator)) {
      java.util.List<ArrowBlock> blocks = reader.getRecordBlocks();
      long first = 0;
      SeekableReadChannel headers = new SeekableReadChannel(channel);
      for (int b = 0; b < batch; b++) {
        headers.setPosition(blocks.get(b).getOffset());
        MessageMetadataResult message = MessageSerializer.readMessage(headers);
        if (message == null || message.getMessage().headerType() != MessageHeader.RecordBatch) {
          throw new IOException("block " + b + " of the footer does not point at a record batch");
        }
        RecordBatch header = (RecordBatch) message.getMessage().header(new RecordBatch());
        first += header.length();
      }
      if (!reader.loadRecordBatch(blocks.get(batch))) {
        throw new IOException("record batch " + batch + " could not be loaded");
      }
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      int rows = root.getRowCount();
      for (int i = 0; i < rows; i++) {
        int row = i;
        sink.at(first + i);
        sink.record(name -> value(root.getVector(name), row), () -> rowText(root, row));
      }
    }
  }

  private static String rowText(VectorSchemaRoot root, int row) {
    StringBuilder b = new StringBuilder("{");
    for (FieldVector v : root.getFieldVectors()) {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(v.getName()).append('=').append(value(v, row));
    }
    return b.append('}').toString();
  }

  private static ArrowReader open(FileIO.ReadableFile file, boolean fileFormat, BufferAllocator allocator)
      throws IOException {
    if (fileFormat) {
      return new ArrowFileReader(new SeekableReadChannel(file.openSeekable()), allocator);
    }
    return new ArrowStreamReader(new BufferedInputStream(Channels.newInputStream(file.open()), 1 << 16), allocator);
  }

  private static Object value(FieldVector vector, int row) {
    if (vector == null || vector.isNull(row)) {
      return null;
    }
    Object v = vector.getObject(row);
    if (v instanceof Text) {
      return v.toString();
    }
    return v;
  }
}
