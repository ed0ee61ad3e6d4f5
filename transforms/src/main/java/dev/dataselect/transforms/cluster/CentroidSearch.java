package dev.dataselect.transforms.cluster;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.dataselect.models.OnnxSessions;
import dev.dataselect.transforms.onnx.OnnxGraphs;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * The k-means assignment in ONNX Runtime: for a batch of unit vectors, the centroid of largest
 * cosine similarity and that similarity. The {@code 2 n k d} FLOP run in MLAS's FP32 GEMM (the
 * machine's peak, where the scalar {@link DotKernel} reaches about 5 % of it), the arg-max and max
 * in ONNX Runtime's reductions:
 *
 * <pre>
 *   S = Gemm(Q [n, d], CT [d, kp], B [1, kp])     similarities; padding columns get -1e30
 *   I = ArgMax(S, axis 1)    (the first of equal maxima)
 *   M = ReduceMax(S, axis 1)
 * </pre>
 *
 * <p>{@code kp} is k rounded up to a multiple of 16 floats, so every row of S starts on the same
 * alignment whatever n is: as for the KDE kernel ({@code KernelSums}), the GEMM splits work by rows
 * and columns, never along d, so a query's similarities, and its centroid, are the same in any batch
 * and at any position in it (on one CPU type). One session per {@link Centroids} instance, one
 * intra-op thread (each DoFn thread runs its own batches), closed when the centroids are collected.
 */
final class CentroidSearch {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final float PADDING = -1e30f;

  private final OrtSession session;
  private final int d;

  private CentroidSearch(OrtSession session, int d) {
    this.session = session;
    this.d = d;
  }

  /** A search over {@code centroids}' rows, its session released when {@code owner} is collected. */
  static CentroidSearch over(Object owner, float[] centroids, int k, int d) {
    OrtSession session = open(model(centroids, k, d));
    CLEANER.register(owner, () -> {
      try {
        session.close();
      } catch (OrtException e) {
        // nothing holds the session any more; a failed close leaks native memory only
      }
    });
    return new CentroidSearch(session, d);
  }

  static int paddedColumns(int k) {
    return (k + 15) / 16 * 16;
  }

  static byte[] model(float[] centroids, int k, int d) {
    int kp = paddedColumns(k);
    ByteBuffer ct = ByteBuffer.allocate(4 * d * kp).order(ByteOrder.LITTLE_ENDIAN);
    for (int t = 0; t < d; t++) {
      for (int j = 0; j < kp; j++) {
        ct.putFloat(j < k ? centroids[j * d + t] : 0f);
      }
    }
    ByteBuffer bias = ByteBuffer.allocate(4 * kp).order(ByteOrder.LITTLE_ENDIAN);
    for (int j = 0; j < kp; j++) {
      bias.putFloat(j < k ? 0f : PADDING);
    }
    dev.dataselect.models.ProtoWire.Writer graph = new dev.dataselect.models.ProtoWire.Writer();
    graph.string(2, "kmeans_assign");
    graph.message(1, OnnxGraphs.node("Gemm", "S", new String[] {"Q", "CT", "B"}));
    graph.message(1, OnnxGraphs.node("ArgMax", "I", new String[] {"S"}, OnnxGraphs.attrInt("axis", 1), OnnxGraphs.attrInt("keepdims", 0)));
    graph.message(1, OnnxGraphs.node("ReduceMax", "M", new String[] {"S"}, OnnxGraphs.attrInts("axes", 1), OnnxGraphs.attrInt("keepdims", 0)));
    graph.message(5, OnnxGraphs.tensor("CT", OnnxGraphs.FLOAT, new long[] {d, kp}, ct.array()));
    graph.message(5, OnnxGraphs.tensor("B", OnnxGraphs.FLOAT, new long[] {1, kp}, bias.array()));
    graph.message(11, OnnxGraphs.valueInfo("Q", OnnxGraphs.FLOAT, "n", d));
    graph.message(12, OnnxGraphs.valueInfo("I", OnnxGraphs.INT64, "n"));
    graph.message(12, OnnxGraphs.valueInfo("M", OnnxGraphs.FLOAT, "n"));
    return OnnxGraphs.model(graph, 13);
  }

  private static OrtSession open(byte[] model) {
    OrtEnvironment env = OnnxSessions.environment();
    try (SessionOptions options = new SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
      return env.createSession(model, options);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not load the k-means assignment graph", e);
    }
  }

  /** For the {@code q} rows of {@code queries}: the nearest centroid into {@code best}, its similarity into {@code similarity}. */
  void nearest(float[] queries, int q, int[] best, float[] similarity) {
    OrtEnvironment env = OnnxSessions.environment();
    FloatBuffer qs = ByteBuffer.allocateDirect(4 * q * d).order(ByteOrder.nativeOrder()).asFloatBuffer();
    qs.put(queries, 0, q * d).rewind();
    try (OnnxTensor tq = OnnxTensor.createTensor(env, qs, new long[] {q, d});
        OrtSession.Result result = session.run(Map.of("Q", tq))) {
      LongBuffer index = ((OnnxTensor) result.get("I").get()).getLongBuffer();
      FloatBuffer max = ((OnnxTensor) result.get("M").get()).getFloatBuffer();
      for (int i = 0; i < q; i++) {
        best[i] = (int) index.get(i);
        similarity[i] = max.get(i);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed on the k-means assignment", e);
    }
  }
}
