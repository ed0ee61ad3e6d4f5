package dev.dataselect.transforms.density;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The ONNX model of one reference sample's kernel step, written as protobuf bytes by hand (a few
 * dozen lines of the wire format) so that main code needs no ONNX protobuf classes: the only ones on
 * the classpath come from a test dependency, and their protobuf runtime must match Beam's.
 *
 * <p>Inputs: {@code Q [n, d]} queries, {@code QN [n, 1]} their squared norms, {@code EX [n, 1]}
 * int64 the column each query must not count, {@code BIG [n, 1]} all {@link #FAR}. Initializers:
 * {@code RT [d, mp]} the references transposed and {@code RN [1, mp]} their squared norms, padded
 * to {@code mp} columns ({@link #paddedColumns}); padding columns are zero vectors with squared
 * norm {@link #FAR}, so their kernel value is exactly 0, and a query that excludes nothing excludes
 * column {@code m}, a padding column. Output {@code S [n]}:
 *
 * <pre>
 *   D2 = Relu(ScatterElements(Gemm(Q, RT, RN, alpha=-2) + QN, EX, BIG, axis=1))
 *   S  = ReduceSum(Exp(D2 * (-1 / (2 h^2))), axis 1)     gaussian
 *   S  = ReduceSum(Exp(Sqrt(D2) * (-1 / h)), axis 1)     laplacian
 * </pre>
 *
 * <p>{@code mp} is a multiple of 16 floats (64 bytes), so every row of every [n, mp] tensor starts
 * on the same alignment whatever n is, and the vectorised element-wise and reduction kernels treat
 * a query's row the same way in any batch.
 */
final class KernelGraph {
  /** Squared distance standing for "never counts": its kernel value is exactly 0 in float. */
  static final float FAR = 1e30f;

  private static final int FLOAT = 1;
  private static final int INT64 = 7;
  private static final int ATTR_FLOAT = 1;
  private static final int ATTR_INT = 2;

  private KernelGraph() {}

  /** Columns of the padded reference matrix: at least m + 1, a multiple of 16. */
  static int paddedColumns(int m) {
    return (m + 1 + 15) / 16 * 16;
  }

  /**
   * The model bytes for references {@code r} (row-major {@code [m, d]}) with squared norms {@code
   * rn}, bandwidth {@code h}, kernel {@code kernel}.
   *
   * @throws IllegalArgumentException if the kernel's scale {@code 1 / (2 h^2)} or {@code 1 / h} is
   *     not a finite, non-zero float
   */
  static byte[] model(float[] r, double[] rn, int m, int d, double h, Kernel kernel) {
    int mp = paddedColumns(m);
    float scale = (float) (kernel == Kernel.GAUSSIAN ? -1 / (2 * h * h) : -1 / h);
    if (!Float.isFinite(scale) || scale == 0) {
      throw new IllegalArgumentException(
          "bandwidth " + h + " gives a kernel scale outside float range: " + scale);
    }
    ByteBuffer rt = ByteBuffer.allocate(4 * d * mp).order(ByteOrder.LITTLE_ENDIAN);
    for (int k = 0; k < d; k++) {
      for (int j = 0; j < mp; j++) {
        rt.putFloat(j < m ? r[j * d + k] : 0f);
      }
    }
    ByteBuffer norms = ByteBuffer.allocate(4 * mp).order(ByteOrder.LITTLE_ENDIAN);
    for (int j = 0; j < mp; j++) {
      norms.putFloat(j < m ? (float) rn[j] : FAR);
    }

    Proto graph = new Proto();
    graph.string(2, "kde_kernel_" + kernel.name().toLowerCase(java.util.Locale.ROOT));
    graph.message(1, node("Gemm", "G", new String[] {"Q", "RT", "RN"}, attrFloat("alpha", -2f)));
    graph.message(1, node("Add", "G2", new String[] {"G", "QN"}));
    graph.message(
        1,
        node("ScatterElements", "D2raw", new String[] {"G2", "EX", "BIG"}, attrInt("axis", 1)));
    graph.message(1, node("Relu", "D2", new String[] {"D2raw"}));
    String arg = "D2";
    if (kernel == Kernel.LAPLACIAN) {
      graph.message(1, node("Sqrt", "D", new String[] {"D2"}));
      arg = "D";
    }
    graph.message(1, node("Mul", "E", new String[] {arg, "SCALE"}));
    graph.message(1, node("Exp", "K", new String[] {"E"}));
    graph.message(
        1,
        node(
            "ReduceSum",
            "S",
            new String[] {"K", "AXES"},
            attrInt("keepdims", 0)));
    graph.message(5, tensor("RT", FLOAT, new long[] {d, mp}, rt.array()));
    graph.message(5, tensor("RN", FLOAT, new long[] {1, mp}, norms.array()));
    graph.message(5, tensor("SCALE", FLOAT, new long[] {}, floatBytes(scale)));
    graph.message(
        5,
        tensor(
            "AXES",
            INT64,
            new long[] {1},
            ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1).array()));
    graph.message(11, valueInfo("Q", FLOAT, "n", d));
    graph.message(11, valueInfo("QN", FLOAT, "n", 1));
    graph.message(11, valueInfo("EX", INT64, "n", 1));
    graph.message(11, valueInfo("BIG", FLOAT, "n", 1));
    graph.message(12, valueInfo("S", FLOAT, "n"));

    Proto opset = new Proto();
    opset.string(1, "");
    opset.varint(2, 13);
    Proto model = new Proto();
    model.varint(1, 8); // IR version 8
    model.string(2, "dataselect");
    model.message(7, graph);
    model.message(8, opset);
    return model.bytes();
  }

  private static byte[] floatBytes(float f) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(f).array();
  }

  private static Proto node(String op, String output, String[] inputs, Proto... attributes) {
    Proto n = new Proto();
    for (String i : inputs) {
      n.string(1, i);
    }
    n.string(2, output);
    n.string(3, output + "_node");
    n.string(4, op);
    for (Proto a : attributes) {
      n.message(5, a);
    }
    return n;
  }

  private static Proto attrFloat(String name, float value) {
    Proto a = new Proto();
    a.string(1, name);
    a.fixed32(2, Float.floatToRawIntBits(value));
    a.varint(20, ATTR_FLOAT);
    return a;
  }

  private static Proto attrInt(String name, long value) {
    Proto a = new Proto();
    a.string(1, name);
    a.varint(3, value);
    a.varint(20, ATTR_INT);
    return a;
  }

  private static Proto tensor(String name, int type, long[] dims, byte[] raw) {
    Proto t = new Proto();
    for (long dim : dims) {
      t.varint(1, dim);
    }
    t.varint(2, type);
    t.string(8, name);
    t.bytes(9, raw);
    return t;
  }

  /** A value of {@code type} with dimensions that are Integers (fixed) or Strings (symbolic). */
  private static Proto valueInfo(String name, int type, Object... dims) {
    Proto shape = new Proto();
    for (Object dim : dims) {
      Proto d = new Proto();
      if (dim instanceof Integer) {
        d.varint(1, (Integer) dim);
      } else {
        d.string(2, (String) dim);
      }
      shape.message(1, d);
    }
    Proto tensorType = new Proto();
    tensorType.varint(1, type);
    tensorType.message(2, shape);
    Proto typeProto = new Proto();
    typeProto.message(1, tensorType);
    Proto v = new Proto();
    v.string(1, name);
    v.message(2, typeProto);
    return v;
  }

  /** The protobuf wire format, the four field kinds the ONNX model needs. */
  static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    void varint(int field, long value) {
      tag(field, 0);
      raw(value);
    }

    void fixed32(int field, int value) {
      tag(field, 5);
      for (int i = 0; i < 4; i++) {
        out.write(value >>> (8 * i));
      }
    }

    void bytes(int field, byte[] value) {
      tag(field, 2);
      raw(value.length);
      out.write(value, 0, value.length);
    }

    void string(int field, String value) {
      bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    void message(int field, Proto value) {
      bytes(field, value.bytes());
    }

    byte[] bytes() {
      return out.toByteArray();
    }

    private void tag(int field, int wireType) {
      raw(((long) field << 3) | wireType);
    }

    private void raw(long value) {
      while ((value & ~0x7FL) != 0) {
        out.write((int) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      out.write((int) value);
    }
  }
}
