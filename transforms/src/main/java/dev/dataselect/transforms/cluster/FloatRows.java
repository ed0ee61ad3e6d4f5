package dev.dataselect.transforms.cluster;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Float arrays in the package's coders: little-endian, in bulk (not a call per float). */
final class FloatRows {
  private FloatRows() {}

  static void write(DataOutputStream out, float[] v) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    out.write(b.array());
  }

  static float[] read(DataInputStream in, int n) throws IOException {
    byte[] raw = new byte[4 * n];
    in.readFully(raw);
    float[] v = new float[n];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }
}
