package dev.dataselect.transforms.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.dataselect.transforms.DeadLetter.Reason;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.beam.sdk.io.FileIO;
import org.tensorflow.example.Example;
import org.tensorflow.example.Feature;

/**
 * TFRecord files of {@code tf.train.Example} (how TFDS stores C4). The framing is TensorFlow's:
 * little-endian uint64 length, masked CRC-32C of the length, the bytes, masked CRC-32C of the bytes.
 * A bad length checksum or a short read ends the file (its framing can no longer be trusted); a bad
 * data checksum or an unparseable Example rejects that record only.
 */
final class TfRecordRecords implements FormatReader {
  private static final int MASK_DELTA = 0xa282ead8;

  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink)
      throws IOException {
    try (InputStream in = new BufferedInputStream(Channels.newInputStream(file.open()), 1 << 16)) {
      byte[] header = new byte[12];
      while (true) {
        int n = in.readNBytes(header, 0, 12);
        if (n == 0) {
          return;
        }
        if (n < 12) {
          throw new EOFException("file ends inside a record header");
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        long length = h.getLong(0);
        if (h.getInt(8) != masked(header, 0, 8)) {
          throw new IOException("length checksum mismatch: the file is corrupt from here on");
        }
        if (length < 0 || length > settings.maxRecordBytes()) {
          byte[] head = in.readNBytes((int) Math.min(DeadLetterPayload.BYTES, Math.max(0, length)));
          skipFully(in, length - head.length + 4);
          sink.failure(
              Reason.RECORD_TOO_LARGE,
              "record of " + length + " bytes exceeds maxRecordBytes=" + settings.maxRecordBytes(),
              Utf8.lenient(head));
          continue;
        }
        byte[] data = in.readNBytes((int) length);
        byte[] crc = in.readNBytes(4);
        if (data.length < length || crc.length < 4) {
          throw new EOFException("file ends inside a record of " + length + " bytes");
        }
        if (ByteBuffer.wrap(crc).order(ByteOrder.LITTLE_ENDIAN).getInt() != masked(data, 0, data.length)) {
          sink.failure(Reason.MALFORMED_RECORD, "data checksum mismatch", Utf8.lenient(data));
          continue;
        }
        Example example;
        try {
          example = Example.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
          sink.failure(Reason.MALFORMED_RECORD, "not a tf.train.Example: " + e.getMessage(), Utf8.lenient(data));
          continue;
        }
        sink.record(
            name -> value(example.getFeatures().getFeatureMap().get(name)),
            () -> example.toString());
      }
    }
  }

  private static Object value(Feature feature) {
    if (feature == null) {
      return null;
    }
    switch (feature.getKindCase()) {
      case BYTES_LIST:
        List<ByteString> bytes = feature.getBytesList().getValueList();
        return bytes.size() == 1 ? bytes.get(0).toByteArray() : bytes;
      case INT64_LIST:
        List<Long> longs = feature.getInt64List().getValueList();
        return longs.size() == 1 ? longs.get(0) : longs;
      case FLOAT_LIST:
        List<Float> floats = feature.getFloatList().getValueList();
        return floats.size() == 1 ? floats.get(0) : floats;
      default:
        return null;
    }
  }

  static int masked(byte[] bytes, int offset, int length) {
    CRC32C checksum = new CRC32C();
    checksum.update(bytes, offset, length);
    int crc = (int) checksum.getValue();
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  private static void skipFully(InputStream in, long n) throws IOException {
    long left = n;
    while (left > 0) {
      long skipped = in.skip(left);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new EOFException("file ends inside an oversized record");
        }
        skipped = 1;
      }
      left -= skipped;
    }
  }

  /** How much of an oversized record's head is kept for its dead letter. */
  private static final class DeadLetterPayload {
    static final int BYTES = 4 * dev.dataselect.transforms.DeadLetter.MAX_PAYLOAD_CHARS;
  }
}
