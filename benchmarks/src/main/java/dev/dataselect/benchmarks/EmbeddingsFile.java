package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A file of embeddings: a float32 matrix and the ids of its rows, all little-endian.
 *
 * <pre>
 * offset 0   8 bytes  magic "DSEMBF32" (ASCII)
 * offset 8   int32    format version, 1
 * offset 12  int32    n, the number of rows
 * offset 16  int32    d, the dimension
 * offset 20  12 bytes reserved, zero
 * offset 32  n x d float32, row-major
 * then       n ids, each an int32 byte length followed by that many bytes of UTF-8
 * </pre>
 *
 * <p>From numpy: {@code np.fromfile(path, dtype='<f4', count=n*d, offset=32).reshape(n, d)};
 * writing one: the header with {@code struct.pack('<8siii12x', b'DSEMBF32', 1, n, d)}, then {@code
 * matrix.astype('<f4').tobytes()}, then for each id {@code struct.pack('<i', len(b)) + b} with
 * {@code b = id.encode()}.
 */
public final class EmbeddingsFile {
  static final byte[] MAGIC = "DSEMBF32".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int HEADER_BYTES = 32;

  private EmbeddingsFile() {}

  public static List<Embedding> read(Path path) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 20)) {
      DataInputStream in = new DataInputStream(raw);
      byte[] header = new byte[HEADER_BYTES];
      in.readFully(header);
      ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      if (!Arrays.equals(Arrays.copyOf(header, 8), MAGIC)) {
        throw new IOException(path + " is not an embeddings file (no DSEMBF32 magic)");
      }
      int version = h.getInt(8);
      int n = h.getInt(12);
      int d = h.getInt(16);
      if (version != VERSION || n < 0 || d <= 0) {
        throw new IOException(
            path + ": unsupported version " + version + " or bad shape " + n + " x " + d);
      }
      byte[] matrix = new byte[Math.multiplyExact(4, Math.multiplyExact(n, d))];
      in.readFully(matrix);
      ByteBuffer floats = ByteBuffer.wrap(matrix).order(ByteOrder.LITTLE_ENDIAN);
      List<Embedding> out = new ArrayList<>(n);
      float[][] rows = new float[n][d];
      for (int i = 0; i < n; i++) {
        floats.asFloatBuffer().position(i * d).get(rows[i]);
      }
      byte[] lengthBytes = new byte[4];
      for (int i = 0; i < n; i++) {
        in.readFully(lengthBytes);
        int len = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (len < 0) {
          throw new IOException(path + ": negative id length at row " + i);
        }
        byte[] id = new byte[len];
        in.readFully(id);
        out.add(Embedding.of(new String(id, StandardCharsets.UTF_8), rows[i]));
      }
      return out;
    }
  }

  public static void write(Path path, List<Embedding> embeddings) throws IOException {
    int n = embeddings.size();
    int d = n == 0 ? 1 : embeddings.get(0).dimension();
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
      ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      h.put(MAGIC).putInt(VERSION).putInt(n).putInt(d);
      out.write(h.array());
      ByteBuffer row = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
      for (Embedding e : embeddings) {
        if (e.dimension() != d) {
          throw new IllegalArgumentException(
              "embedding " + e.id() + " has dimension " + e.dimension() + ", expected " + d);
        }
        row.clear();
        row.asFloatBuffer().put(e.vector());
        out.write(row.array());
      }
      for (Embedding e : embeddings) {
        byte[] id = e.id().getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(id.length).array());
        out.write(id);
      }
    }
  }
}
