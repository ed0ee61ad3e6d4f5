package dev.dataselect.transforms.testing;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.GZIPOutputStream;

/** Writes small corpus files for tests. */
public final class Fixtures {
  private Fixtures() {}

  /** Writes text, compressed as the file name says (.gz, .zst). */
  public static Path write(Path file, String content) {
    return write(file, content.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes bytes exactly as given. */
  public static Path writeRaw(Path file, byte[] content) {
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, content);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes bytes, compressed as the file name says (.gz, .zst). */
  public static Path write(Path file, byte[] content) {
    try {
      Files.createDirectories(file.getParent());
      String name = file.getFileName().toString();
      try (OutputStream out = compressed(name, Files.newOutputStream(file))) {
        out.write(content);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static OutputStream compressed(String name, OutputStream raw) throws IOException {
    if (name.endsWith(".gz")) {
      return new GZIPOutputStream(raw);
    }
    if (name.endsWith(".zst")) {
      return new ZstdOutputStream(raw);
    }
    return raw;
  }

  /** Gzip with a sync flush every {@code flushEvery} bytes, so a prefix of the result is decodable. */
  public static byte[] gzip(byte[] content, int flushEvery) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(bytes, 512, true)) {
        for (int off = 0; off < content.length; off += flushEvery) {
          out.write(content, off, Math.min(flushEvery, content.length - off));
          out.flush();
        }
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** TFRecord framing around each record, with TensorFlow's masked CRC-32C checksums. */
  public static byte[] tfRecords(List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] r : records) {
      byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(r.length).array();
      out.writeBytes(len);
      out.writeBytes(le32(masked(len)));
      out.writeBytes(r);
      out.writeBytes(le32(masked(r)));
    }
    return out.toByteArray();
  }

  private static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  private static int masked(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b);
    int crc = (int) c.getValue();
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }
}
