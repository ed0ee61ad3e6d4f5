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
      long layout = OriginalRecord.arrowLayout(root.getSchema());
      while (reader.loadNextBatch()) {
        int rows = root.getRowCount();
        for (int i = 0; i < rows; i++) {
          int row = i;
          sink.record(
              fields(root, row, layout),
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
      long layout = OriginalRecord.arrowLayout(root.getSchema());
      int rows = root.getRowCount();
      for (int i = 0; i < rows; i++) {
        int row = i;
        sink.at(first + i);
        sink.record(fields(root, row, layout), () -> rowText(root, row));
      }
    }
  }

  /** A row's fields; written back by copying the row from its file (see {@link OriginalRecord#arrowRow}). */
  private static Fields fields(VectorSchemaRoot root, int row, long layout) {
    return new Fields() {
      @Override
      public Object get(String name) {
        return value(root.getVector(name), row);
      }

      @Override
      public byte[] withoutText(String textField) {
        return OriginalRecord.arrowRow(layout);
      }
    };
  }

  /** Whether a file (decompressed) starts with the Arrow file format's magic, else it is a stream. */
  static boolean isFileFormat(InputStream head) throws IOException {
    return Arrays.equals(head.readNBytes(FILE_MAGIC.length), FILE_MAGIC);
  }

  /**
   * Writes the rows {@code keep} (ascending row numbers of {@code in}, a whole decompressed Arrow
   * file) to {@code out} in the input's format, schema and dictionaries: a batch per input batch that
   * has kept rows. Memory is one input batch and one output batch.
   */
  static void copyRows(java.nio.channels.ReadableByteChannel in, long[] keep, java.io.OutputStream out) throws IOException {
    java.io.BufferedInputStream buffered = new java.io.BufferedInputStream(Channels.newInputStream(in), 1 << 16);
    buffered.mark(FILE_MAGIC.length);
    boolean fileFormat = isFileFormat(buffered);
    buffered.reset();
    if (fileFormat && in instanceof java.nio.channels.SeekableByteChannel) {
      ((java.nio.channels.SeekableByteChannel) in).position(0);
    }
    try (BufferAllocator allocator = new RootAllocator()) {
      // The file format's reader seeks: a compressed file-format input is first copied to a temporary file.
      java.nio.file.Path temp = null;
      try {
        ArrowReader reader;
        if (fileFormat && in instanceof java.nio.channels.SeekableByteChannel) {
          reader = new ArrowFileReader(new SeekableReadChannel((java.nio.channels.SeekableByteChannel) in), allocator);
        } else if (fileFormat) {
          temp = java.nio.file.Files.createTempFile("dataselect-arrow", ".arrow");
          java.nio.file.Files.copy(buffered, temp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          reader = new ArrowFileReader(new SeekableReadChannel(java.nio.file.Files.newByteChannel(temp)), allocator);
        } else {
          reader = new ArrowStreamReader(buffered, allocator);
        }
        VectorSchemaRoot source = reader.getVectorSchemaRoot();
        try (reader;
            VectorSchemaRoot target = VectorSchemaRoot.create(source.getSchema(), allocator);
            org.apache.arrow.vector.ipc.ArrowWriter writer = fileFormat
                ? new org.apache.arrow.vector.ipc.ArrowFileWriter(target, reader, Channels.newChannel(out))
                : new org.apache.arrow.vector.ipc.ArrowStreamWriter(target, reader, out)) {
          writer.start();
          long first = 0;
          int next = 0;
          while (reader.loadNextBatch()) {
            int rows = source.getRowCount();
            target.allocateNew();
            int written = 0;
            for (; next < keep.length && keep[next] < first + rows; next++) {
              int from = (int) (keep[next] - first);
              for (int c = 0; c < source.getFieldVectors().size(); c++) {
                target.getVector(c).copyFromSafe(from, written, source.getVector(c));
              }
              written++;
            }
            if (written > 0) {
              target.setRowCount(written);
              writer.writeBatch();
            }
            target.clear();
            first += rows;
          }
          if (next < keep.length) {
            throw new IOException("row " + keep[next] + " is beyond the file's " + first + " rows: was it rewritten while the job ran?");
          }
          writer.end();
        }
      } finally {
        if (temp != null) {
          java.nio.file.Files.deleteIfExists(temp);
        }
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
