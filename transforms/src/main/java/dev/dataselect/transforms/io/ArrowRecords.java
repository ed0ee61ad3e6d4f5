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
