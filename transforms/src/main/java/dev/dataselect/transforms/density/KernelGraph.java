package dev.dataselect.transforms.density;

import dev.dataselect.transforms.onnx.OnnxGraphs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The ONNX model of one reference sample's kernel step, written as protobuf bytes by {@link
 * OnnxGraphs}.
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

  private static final int FLOAT = OnnxGraphs.FLOAT;
  private static final int INT64 = OnnxGraphs.INT64;

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

    dev.dataselect.models.ProtoWire.Writer graph = new dev.dataselect.models.ProtoWire.Writer();
    graph.string(2, "kde_kernel_" + kernel.name().toLowerCase(java.util.Locale.ROOT));
    graph.message(1, OnnxGraphs.node("Gemm", "G", new String[] {"Q", "RT", "RN"}, OnnxGraphs.attrFloat("alpha", -2f)));
    graph.message(1, OnnxGraphs.node("Add", "G2", new String[] {"G", "QN"}));
    graph.message(
        1,
        OnnxGraphs.node("ScatterElements", "D2raw", new String[] {"G2", "EX", "BIG"}, OnnxGraphs.attrInt("axis", 1)));
    graph.message(1, OnnxGraphs.node("Relu", "D2", new String[] {"D2raw"}));
    String arg = "D2";
    if (kernel == Kernel.LAPLACIAN) {
      graph.message(1, OnnxGraphs.node("Sqrt", "D", new String[] {"D2"}));
      arg = "D";
    }
    graph.message(1, OnnxGraphs.node("Mul", "E", new String[] {arg, "SCALE"}));
    graph.message(1, OnnxGraphs.node("Exp", "K", new String[] {"E"}));
    graph.message(
        1,
        OnnxGraphs.node(
            "ReduceSum",
            "S",
            new String[] {"K", "AXES"},
            OnnxGraphs.attrInt("keepdims", 0)));
    graph.message(5, OnnxGraphs.tensor("RT", FLOAT, new long[] {d, mp}, rt.array()));
    graph.message(5, OnnxGraphs.tensor("RN", FLOAT, new long[] {1, mp}, norms.array()));
    graph.message(5, OnnxGraphs.tensor("SCALE", FLOAT, new long[] {}, OnnxGraphs.floatBytes(scale)));
    graph.message(
        5,
        OnnxGraphs.tensor(
            "AXES",
            INT64,
            new long[] {1},
            ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1).array()));
    graph.message(11, OnnxGraphs.valueInfo("Q", FLOAT, "n", d));
    graph.message(11, OnnxGraphs.valueInfo("QN", FLOAT, "n", 1));
    graph.message(11, OnnxGraphs.valueInfo("EX", INT64, "n", 1));
    graph.message(11, OnnxGraphs.valueInfo("BIG", FLOAT, "n", 1));
    graph.message(12, OnnxGraphs.valueInfo("S", FLOAT, "n"));

    return OnnxGraphs.model(graph, 13);
  }

}
