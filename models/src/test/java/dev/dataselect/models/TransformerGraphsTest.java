package dev.dataselect.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.dataselect.models.TransformerGraphs.LlamaConfig;
import dev.dataselect.models.TransformerGraphs.T5Config;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The transformer graphs are the architectures they claim: their outputs equal an independent
 * plain-Java computation (double arithmetic, written from the published model definitions) with the
 * same weights.
 */
class TransformerGraphsTest {
  private static final double TOLERANCE = 1e-4;

  // ------------------------------------------------------------------ plain-Java pieces

  /** x [L, k] @ w [k, n]. */
  private static double[][] matmul(double[][] x, float[] w, int k, int n) {
    double[][] out = new double[x.length][n];
    for (int i = 0; i < x.length; i++) {
      for (int a = 0; a < k; a++) {
        double xa = x[i][a];
        int row = a * n;
        for (int b = 0; b < n; b++) {
          out[i][b] += xa * w[row + b];
        }
      }
    }
    return out;
  }

  private static double[][] rmsNorm(double[][] x, float[] w, double eps) {
    double[][] out = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      double ss = 0;
      for (double v : x[i]) {
        ss += v * v;
      }
      double inv = 1 / Math.sqrt(ss / x[i].length + eps);
      out[i] = new double[x[i].length];
      for (int j = 0; j < x[i].length; j++) {
        out[i][j] = x[i][j] * inv * w[j];
      }
    }
    return out;
  }

  private static double[][] add(double[][] a, double[][] b) {
    double[][] out = new double[a.length][a[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        out[i][j] = a[i][j] + b[i][j];
      }
    }
    return out;
  }

  private static double[][] embed(float[] table, long[] ids, int d) {
    double[][] out = new double[ids.length][d];
    for (int i = 0; i < ids.length; i++) {
      for (int j = 0; j < d; j++) {
        out[i][j] = table[(int) ids[i] * d + j];
      }
    }
    return out;
  }

  /** Multi-head attention; bias[h][q][k] added to the scores (null for none); scale on q.k. */
  private static double[][] attention(
      double[][] q,
      double[][] k,
      double[][] v,
      int heads,
      int kvHeads,
      int dk,
      double scale,
      double[][][] bias,
      boolean[] keyMask) {
    int lq = q.length;
    int lk = k.length;
    double[][] out = new double[lq][heads * dk];
    for (int h = 0; h < heads; h++) {
      int kh = h / (heads / kvHeads);
      for (int i = 0; i < lq; i++) {
        double[] s = new double[lk];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < lk; j++) {
          double dot = 0;
          for (int t = 0; t < dk; t++) {
            dot += q[i][h * dk + t] * k[j][kh * dk + t];
          }
          s[j] = dot * scale + (bias == null ? 0 : bias[h][i][j]) + (keyMask[j] ? 0 : -1e9);
          max = Math.max(max, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < lk; j++) {
          s[j] = Math.exp(s[j] - max);
          sum += s[j];
        }
        for (int j = 0; j < lk; j++) {
          for (int t = 0; t < dk; t++) {
            out[i][h * dk + t] += s[j] / sum * v[j][kh * dk + t];
          }
        }
      }
    }
    return out;
  }

  private static double geluNew(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  // ------------------------------------------------------------------ T5

  private static double[][] t5FeedForward(
      Map<String, float[]> w, T5Config c, double[][] x, String p) {
    double[][] h = rmsNorm(x, w.get(p + "ff_norm"), c.eps());
    double[][] gate = matmul(h, w.get(p + "wi_0"), c.dModel(), c.dFf());
    double[][] up = matmul(h, w.get(p + "wi_1"), c.dModel(), c.dFf());
    for (int i = 0; i < gate.length; i++) {
      for (int j = 0; j < c.dFf(); j++) {
        gate[i][j] = geluNew(gate[i][j]) * up[i][j];
      }
    }
    return add(x, matmul(gate, w.get(p + "wo"), c.dFf(), c.dModel()));
  }

  private static double[][][] t5Bias(
      float[] table, int heads, int lq, int lk, boolean bidirectional, T5Config c, boolean causal) {
    double[][][] bias = new double[heads][lq][lk];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < lq; i++) {
        for (int j = 0; j < lk; j++) {
          int bucket =
              TransformerGraphs.t5Bucket(j - i, bidirectional, c.buckets(), c.maxDistance());
          bias[h][i][j] = table[bucket * heads + h] + (causal && j > i ? -1e9 : 0);
        }
      }
    }
    return bias;
  }

  private static double[][] t5Encoder(
      Map<String, float[]> w, T5Config c, long[] ids, boolean[] mask) {
    double[][] x = embed(w.get("shared.weight"), ids, c.dModel());
    double[][][] bias =
        t5Bias(
            w.get("encoder.relative_attention_bias"),
            c.heads(),
            ids.length,
            ids.length,
            true,
            c,
            false);
    int inner = c.heads() * c.dKv();
    for (int l = 0; l < c.layers(); l++) {
      String p = "encoder.block." + l + ".";
      double[][] h = rmsNorm(x, w.get(p + "attn_norm"), c.eps());
      double[][] o =
          attention(
              matmul(h, w.get(p + "q"), c.dModel(), inner),
              matmul(h, w.get(p + "k"), c.dModel(), inner),
              matmul(h, w.get(p + "v"), c.dModel(), inner),
              c.heads(),
              c.heads(),
              c.dKv(),
              1.0,
              bias,
              mask);
      x = add(x, matmul(o, w.get(p + "o"), inner, c.dModel()));
      x = t5FeedForward(w, c, x, p);
    }
    return rmsNorm(x, w.get("encoder.final_norm"), c.eps());
  }

  private static double[][] t5DecoderLogits(
      Map<String, float[]> w, T5Config c, long[] ids, double[][] enc, boolean[] encMask) {
    double[][] x = embed(w.get("decoder.embed_tokens.weight"), ids, c.dModel());
    double[][][] bias =
        t5Bias(
            w.get("decoder.relative_attention_bias"),
            c.heads(),
            ids.length,
            ids.length,
            false,
            c,
            true);
    boolean[] all = new boolean[ids.length];
    java.util.Arrays.fill(all, true);
    int inner = c.heads() * c.dKv();
    for (int l = 0; l < c.decoderLayers(); l++) {
      String p = "decoder.block." + l + ".";
      double[][] h = rmsNorm(x, w.get(p + "self_norm"), c.eps());
      double[][] o =
          attention(
              matmul(h, w.get(p + "self_q"), c.dModel(), inner),
              matmul(h, w.get(p + "self_k"), c.dModel(), inner),
              matmul(h, w.get(p + "self_v"), c.dModel(), inner),
              c.heads(),
              c.heads(),
              c.dKv(),
              1.0,
              bias,
              all);
      x = add(x, matmul(o, w.get(p + "self_o"), inner, c.dModel()));
      h = rmsNorm(x, w.get(p + "cross_norm"), c.eps());
      o =
          attention(
              matmul(h, w.get(p + "cross_q"), c.dModel(), inner),
              matmul(enc, w.get(p + "cross_k"), c.dModel(), inner),
              matmul(enc, w.get(p + "cross_v"), c.dModel(), inner),
              c.heads(),
              c.heads(),
              c.dKv(),
              1.0,
              null,
              encMask);
      x = add(x, matmul(o, w.get(p + "cross_o"), inner, c.dModel()));
      x = t5FeedForward(w, c, x, p);
    }
    return matmul(
        rmsNorm(x, w.get("decoder.final_norm"), c.eps()),
        w.get("lm_head.weight"),
        c.dModel(),
        c.vocab());
  }

  // ------------------------------------------------------------------ running the graphs

  private static float[] run(Path model, Map<String, Object> inputs, String output, long[][] shapes)
      throws Exception {
    try (OrtSession s =
        OnnxSessions.environment()
            .createSession(model.toString(), new OrtSession.SessionOptions())) {
      Map<String, OnnxTensor> feed = new HashMap<>();
      int i = 0;
      for (Map.Entry<String, Object> e : inputs.entrySet()) {
        long[] shape = shapes[i++];
        feed.put(
            e.getKey(),
            e.getValue() instanceof long[] l
                ? OnnxTensors.longs(l, shape)
                : OnnxTensor.createTensor(
                    OnnxSessions.environment(), FloatBuffer.wrap((float[]) e.getValue()), shape));
      }
      try (OrtSession.Result r = s.run(feed)) {
        FloatBuffer b = OnnxTensors.output(r, output).getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
      } finally {
        OnnxTensors.closeAll(feed);
      }
    }
  }

  private static double maxAbs(double[][] a) {
    double m = 0;
    for (double[] r : a) {
      for (double v : r) {
        m = Math.max(m, Math.abs(v));
      }
    }
    return m;
  }

  @Test
  void flanT5SmallGraphEqualsAPlainJavaComputation() throws Exception {
    // Flan-T5-small's published sizes (d_model 512, 6 heads of 64, d_ff 1024, 32,128 entries) with
    // two encoder and two decoder layers.
    T5Config c = T5Config.flanT5("small").withLayers(2, 2);
    TransformerGraphs.Built built =
        TransformerGraphs.writeT5(c, 17, Paths.get("target", "fixtures", "t5-small-2x2"), true);
    Map<String, float[]> w = built.weights();
    long[][] docs = {{37, 1782, 4273, 150, 8, 31999, 1}, {100, 5, 32127, 1}};
    int width = 7;
    long[] ids = new long[2 * width];
    long[] mask = new long[2 * width];
    for (int r = 0; r < 2; r++) {
      for (int i = 0; i < docs[r].length; i++) {
        ids[r * width + i] = docs[r][i];
        mask[r * width + i] = 1;
      }
    }
    Map<String, Object> encIn = new java.util.LinkedHashMap<>();
    encIn.put("input_ids", ids);
    encIn.put("attention_mask", mask);
    float[] hidden =
        run(
            built.file("encoder_model.onnx"),
            encIn,
            "last_hidden_state",
            new long[][] {{2, width}, {2, width}});
    // Two decoder steps (start token, then "yes") so the causal self-attention is exercised.
    long[] dec = {0, 4273, 0, 4273};
    Map<String, Object> decIn = new java.util.LinkedHashMap<>();
    decIn.put("input_ids", dec);
    decIn.put("encoder_attention_mask", mask);
    decIn.put("encoder_hidden_states", hidden);
    float[] logits =
        run(
            built.file("decoder_model.onnx"),
            decIn,
            "logits",
            new long[][] {{2, 2}, {2, width}, {2, width, c.dModel()}});
    double worst = 0;
    for (int r = 0; r < 2; r++) {
      boolean[] m = new boolean[width];
      long[] padded = new long[width];
      for (int i = 0; i < width; i++) {
        m[i] = mask[r * width + i] == 1;
        padded[i] = ids[r * width + i];
      }
      double[][] enc = t5Encoder(w, c, padded, m);
      assertTrue(maxAbs(enc) > 0.1, "the reference's states are not trivially small");
      for (int i = 0; i < docs[r].length; i++) {
        for (int j = 0; j < c.dModel(); j++) {
          double got = hidden[(r * width + i) * c.dModel() + j];
          assertEquals(
              enc[i][j], got, TOLERANCE, "encoder row " + r + " position " + i + " unit " + j);
          worst = Math.max(worst, Math.abs(enc[i][j] - got));
        }
      }
      // The decoder reads the graph's encoder states at pads too (masked out), as the scorer feeds
      // them.
      double[][] encFromGraph = new double[width][c.dModel()];
      for (int i = 0; i < width; i++) {
        for (int j = 0; j < c.dModel(); j++) {
          encFromGraph[i][j] = hidden[(r * width + i) * c.dModel() + j];
        }
      }
      double[][] expected = t5DecoderLogits(w, c, new long[] {0, 4273}, encFromGraph, m);
      assertTrue(maxAbs(expected) > 0.5, "the reference's logits are not trivially small");
      for (int t = 0; t < 2; t++) {
        for (int v = 0; v < c.vocab(); v++) {
          double got = logits[((r * 2) + t) * c.vocab() + v];
          assertEquals(
              expected[t][v], got, TOLERANCE, "logits row " + r + " step " + t + " entry " + v);
          worst = Math.max(worst, Math.abs(expected[t][v] - got));
        }
      }
    }
    assertTrue(worst < TOLERANCE, "worst difference " + worst);
  }

  @Test
  void t5BucketsFollowTheHuggingFaceDefinition() {
    // Bidirectional, 32 buckets, max distance 128: exact for |rel| < 8, logarithmic up to 15,
    // keys after the query in the upper half.
    assertEquals(0, TransformerGraphs.t5Bucket(0, true, 32, 128));
    assertEquals(7, TransformerGraphs.t5Bucket(-7, true, 32, 128));
    assertEquals(16 + 7, TransformerGraphs.t5Bucket(7, true, 32, 128));
    assertEquals(8, TransformerGraphs.t5Bucket(-8, true, 32, 128));
    assertEquals(8 + 2, TransformerGraphs.t5Bucket(-16, true, 32, 128)); // 8 + log2(2)/log2(16) * 8
    assertEquals(15, TransformerGraphs.t5Bucket(-1000, true, 32, 128));
    assertEquals(31, TransformerGraphs.t5Bucket(1000, true, 32, 128));
    // Causal: only keys at or before the query; 16 exact buckets, then logarithmic to 31.
    assertEquals(0, TransformerGraphs.t5Bucket(5, false, 32, 128));
    assertEquals(15, TransformerGraphs.t5Bucket(-15, false, 32, 128));
    assertEquals(16, TransformerGraphs.t5Bucket(-16, false, 32, 128));
    assertEquals(31, TransformerGraphs.t5Bucket(-500, false, 32, 128));
  }

  // ------------------------------------------------------------------ Llama

  private static double[][] rope(double[][] x, long[] positions, int heads, int hd, double theta) {
    double[][] out = new double[x.length][heads * hd];
    for (int i = 0; i < x.length; i++) {
      for (int h = 0; h < heads; h++) {
        for (int t = 0; t < hd / 2; t++) {
          double angle = positions[i] / Math.pow(theta, 2.0 * t / hd);
          double a = x[i][h * hd + t];
          double b = x[i][h * hd + t + hd / 2];
          out[i][h * hd + t] = a * Math.cos(angle) - b * Math.sin(angle);
          out[i][h * hd + t + hd / 2] = b * Math.cos(angle) + a * Math.sin(angle);
        }
      }
    }
    return out;
  }

  private static double[][] llamaLogits(
      Map<String, float[]> w, LlamaConfig c, long[] ids, long[] positions, boolean[] mask) {
    int hd = c.headDim();
    int d = c.hidden();
    double[][] x = embed(w.get("model.embed_tokens.weight"), ids, d);
    double[][][] causal = new double[c.heads()][ids.length][ids.length];
    for (double[][] h : causal) {
      for (int i = 0; i < ids.length; i++) {
        for (int j = i + 1; j < ids.length; j++) {
          h[i][j] = -1e9;
        }
      }
    }
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      double[][] h = rmsNorm(x, w.get(p + "input_layernorm"), c.eps());
      double[][] q =
          rope(
              matmul(h, w.get(p + "q_proj"), d, c.heads() * hd),
              positions,
              c.heads(),
              hd,
              c.ropeTheta());
      double[][] k =
          rope(
              matmul(h, w.get(p + "k_proj"), d, c.kvHeads() * hd),
              positions,
              c.kvHeads(),
              hd,
              c.ropeTheta());
      double[][] v = matmul(h, w.get(p + "v_proj"), d, c.kvHeads() * hd);
      double[][] o =
          attention(q, k, v, c.heads(), c.kvHeads(), hd, 1 / Math.sqrt(hd), causal, mask);
      x = add(x, matmul(o, w.get(p + "o_proj"), c.heads() * hd, d));
      h = rmsNorm(x, w.get(p + "post_attention_layernorm"), c.eps());
      double[][] gate = matmul(h, w.get(p + "gate_proj"), d, c.intermediate());
      double[][] up = matmul(h, w.get(p + "up_proj"), d, c.intermediate());
      for (int i = 0; i < gate.length; i++) {
        for (int j = 0; j < c.intermediate(); j++) {
          double g = gate[i][j];
          gate[i][j] = g / (1 + Math.exp(-g)) * up[i][j];
        }
      }
      x = add(x, matmul(gate, w.get(p + "down_proj"), c.intermediate(), d));
    }
    return matmul(rmsNorm(x, w.get("model.norm"), c.eps()), w.get("lm_head.weight"), d, c.vocab());
  }

  @Test
  void llamaStyleGraphEqualsAPlainJavaComputation() throws Exception {
    // Grouped-query attention (6 query heads over 2 key/value heads), rotary positions, SwiGLU;
    // one row left-padded with Hugging Face's position ids (0.. over the real tokens).
    LlamaConfig c = new LlamaConfig("tiny", 48, 2, 6, 2, 80, 300, 10000, 1e-5f);
    TransformerGraphs.Built built =
        TransformerGraphs.writeLlama(c, 5, Paths.get("target", "fixtures", "llama-tiny"), true);
    long[] ids = {1, 17, 250, 3, 99, 0, 0, 1, 42, 7};
    long[] mask = {1, 1, 1, 1, 1, 0, 0, 1, 1, 1};
    long[] positions = {0, 1, 2, 3, 4, 1, 1, 0, 1, 2};
    Map<String, Object> in = new java.util.LinkedHashMap<>();
    in.put("input_ids", ids);
    in.put("attention_mask", mask);
    in.put("position_ids", positions);
    long[] shape = {2, 5};
    float[] logits =
        run(built.file("model.onnx"), in, "logits", new long[][] {shape, shape, shape});
    for (int r = 0; r < 2; r++) {
      long[] rowIds = java.util.Arrays.copyOfRange(ids, r * 5, r * 5 + 5);
      long[] rowPos = java.util.Arrays.copyOfRange(positions, r * 5, r * 5 + 5);
      boolean[] m = new boolean[5];
      for (int i = 0; i < 5; i++) {
        m[i] = mask[r * 5 + i] == 1;
      }
      double[][] expected = llamaLogits(built.weights(), c, rowIds, rowPos, m);
      assertTrue(maxAbs(expected) > 0.5, "the reference's logits are not trivially small");
      for (int i = 0; i < 5; i++) {
        if (!m[i]) {
          continue;
        }
        for (int v = 0; v < c.vocab(); v++) {
          assertEquals(
              expected[i][v],
              logits[(r * 5 + i) * c.vocab() + v],
              TOLERANCE,
              "row " + r + " position " + i + " entry " + v);
        }
      }
    }
  }
}
