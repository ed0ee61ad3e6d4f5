package dev.dataselect.models;

import static dev.dataselect.models.OnnxGraphBuilder.graphAttr;
import static dev.dataselect.models.OnnxGraphBuilder.in;
import static dev.dataselect.models.OnnxGraphBuilder.intAttr;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * Tiny deterministic ONNX models and a WordLevel tokenizer, with plain-Java reference computations
 * of what each model outputs.
 */
public final class Fixtures {
  private Fixtures() {}

  public static final List<String> VOCAB =
      List.of(
          "<pad>", "</s>", "<unk>", "▁yes", "▁no", "yes", "no", "▁the", "▁cat", "▁sat", "▁on",
          "▁mat", "▁dog", "▁ran", "▁a", "▁big", "▁red", "▁ball", "▁###", "<s>");
  public static final int V = VOCAB.size();
  public static final int D = 8;
  public static final int MAX_POS = 64;
  public static final long PAD = 0;
  public static final long EOS = 1;
  public static final long BOS = 19;

  public static long id(String token) {
    int i = VOCAB.indexOf(token);
    if (i < 0) {
      throw new IllegalArgumentException(token);
    }
    return i;
  }

  /** Deterministic weights in (-1, 1). */
  static float[] weights(int n, int seed) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) Math.sin(seed * 7.31 + i * 0.917);
    }
    return w;
  }

  // Embedding model weights.
  static final float[] E = weights(V * D, 1);
  static final float[] T = weights(2 * D, 2);
  static final float[] W = weights(D * D, 3);
  static final float[] B = weights(D, 4);
  // Encoder-decoder weights.
  static final float[] ENC_E = weights(V * D, 5);
  static final float[] ENC_W = weights(D * D, 6);
  static final float[] DEC_E = weights(V * D, 7);
  static final float[] DEC_W = scaled(weights(D * V, 8), 3f);
  /**
   * The merged decoder's cache branch multiplies the logits by this (plus the sum of the past
   * tensors), which changes the softmax, so taking the branch would show in the scores.
   */
  public static final float CACHE_BRANCH_SCALE = 2f;
  // Causal LM weights.
  static final float[] LM_E = weights(V * D, 9);
  static final float[] LM_P = weights(MAX_POS * D, 10);
  static final float[] LM_C = weights(D, 11);
  static final float[] LM_W = scaled(weights(D * V, 12), 2f);

  private static float[] scaled(float[] w, float s) {
    for (int i = 0; i < w.length; i++) {
      w[i] *= s;
    }
    return w;
  }

  // ------------------------------------------------------------------ reference computations

  /** (x[D]) @ m[D, cols]. */
  private static double[] matVec(double[] x, float[] m, int cols) {
    double[] out = new double[cols];
    for (int c = 0; c < cols; c++) {
      for (int k = 0; k < D; k++) {
        out[c] += x[k] * m[k * cols + c];
      }
    }
    return out;
  }

  private static double[] row(float[] table, long index) {
    double[] r = new double[D];
    for (int k = 0; k < D; k++) {
      r[k] = table[(int) index * D + k];
    }
    return r;
  }

  /** The embedding model's state for token {@code id} at a real (unmasked) position. */
  public static double[] embeddingState(long id) {
    double[] x = row(E, id);
    double[] t = row(T, 0);
    for (int k = 0; k < D; k++) {
      x[k] += t[k];
    }
    double[] y = matVec(x, W, D);
    for (int k = 0; k < D; k++) {
      y[k] = Math.tanh(y[k] + B[k]);
    }
    return y;
  }

  /** Encoder state of token {@code id}. */
  static double[] encoderState(long id) {
    double[] y = matVec(row(ENC_E, id), ENC_W, D);
    for (int k = 0; k < D; k++) {
      y[k] = Math.tanh(y[k]);
    }
    return y;
  }

  /** First-step decoder logits for encoder input {@code ids} and decoder input {@code start}. */
  public static double[] decoderLogits(long[] ids, long start) {
    double[] mean = new double[D];
    for (long id : ids) {
      double[] h = encoderState(id);
      for (int k = 0; k < D; k++) {
        mean[k] += h[k] / ids.length;
      }
    }
    double[] e = row(DEC_E, start);
    for (int k = 0; k < D; k++) {
      mean[k] += e[k];
    }
    return matVec(mean, DEC_W, V);
  }

  /** Causal LM logits at a real position holding {@code id} with position id {@code pos}. */
  public static double[] causalLogits(long id, long pos, boolean positionIds) {
    double[] x = row(LM_E, id);
    double[] p = row(LM_P, pos);
    for (int k = 0; k < D; k++) {
      x[k] += (positionIds ? p[k] : 0) + LM_C[k];
    }
    return matVec(x, LM_W, V);
  }

  public static double logSumExp(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double l : logits) {
      max = Math.max(max, l);
    }
    double s = 0;
    for (double l : logits) {
      s += Math.exp(l - max);
    }
    return max + Math.log(s);
  }

  // ------------------------------------------------------------------ models

  private static String maskColumn(OnnxGraphBuilder g, String mask) {
    String axis2 = g.longs(mask + "_axis2", new long[] {2}, 1);
    String f = g.op("Cast", in(mask), intAttr("to", DataType.FLOAT_VALUE));
    return g.op("Unsqueeze", in(f, axis2));
  }

  /** input_ids, attention_mask[, token_type_ids] -> last_hidden_state [b, L, D]. */
  public static byte[] embeddingModel(boolean tokenTypeIds) {
    OnnxGraphBuilder g = new OnnxGraphBuilder("embed");
    String ids = g.input("input_ids", DataType.INT64, "batch", "seq");
    String mask = g.input("attention_mask", DataType.INT64, "batch", "seq");
    String x = g.op("Gather", in(g.floats("E", E, V, D), ids));
    if (tokenTypeIds) {
      String tt = g.input("token_type_ids", DataType.INT64, "batch", "seq");
      x = g.op("Add", in(x, g.op("Gather", in(g.floats("T", T, 2, D), tt))));
    } else {
      // Without the input the model still adds type 0's row, so both variants agree.
      x = g.op("Add", in(x, g.floats("T0", java.util.Arrays.copyOf(T, D), D)));
    }
    String y = g.op("MatMul", in(x, g.floats("W", W, D, D)));
    y = g.op("Add", in(y, g.op("Mul", in(maskColumn(g, mask), g.floats("B", B, D)))));
    g.opTo("last_hidden_state", "Tanh", in(y));
    g.output("last_hidden_state", DataType.FLOAT, "batch", "seq", D);
    return g.modelBytes();
  }

  /** input_ids, attention_mask -> last_hidden_state (zero at pads). */
  public static byte[] encoderModel() {
    OnnxGraphBuilder g = new OnnxGraphBuilder("encoder");
    String ids = g.input("input_ids", DataType.INT64, "batch", "enc_seq");
    String mask = g.input("attention_mask", DataType.INT64, "batch", "enc_seq");
    String h = g.op("MatMul", in(g.op("Gather", in(g.floats("E", ENC_E, V, D), ids)),
        g.floats("W", ENC_W, D, D)));
    g.opTo("last_hidden_state", "Mul", in(g.op("Tanh", in(h)), maskColumn(g, mask)));
    g.output("last_hidden_state", DataType.FLOAT, "batch", "enc_seq", D);
    return g.modelBytes();
  }

  /** Decoder logits = (masked mean of encoder states + embedding of input_ids) @ W. */
  private static String decoderLogitsNodes(OnnxGraphBuilder g, String out) {
    String ids = g.input("input_ids", DataType.INT64, "batch", 1);
    String hidden = g.input("encoder_hidden_states", DataType.FLOAT, "batch", "enc_seq", D);
    String mask = g.input("encoder_attention_mask", DataType.INT64, "batch", "enc_seq");
    String m = maskColumn(g, mask);
    String axis1 = g.longs("axis1", new long[] {1}, 1);
    String sum = g.op("ReduceSum", in(g.op("Mul", in(hidden, m)), axis1), intAttr("keepdims", 1));
    String count = g.op("ReduceSum", in(m, axis1), intAttr("keepdims", 1));
    count = g.op("Max", in(count, g.floats("one", new float[] {1f})));
    String pooled = g.op("Add", in(g.op("Div", in(sum, count)),
        g.op("Gather", in(g.floats("E", DEC_E, V, D), ids))));
    g.opTo(out, "MatMul", in(pooled, g.floats("W", DEC_W, D, V)));
    return out;
  }

  /** input_ids, encoder_hidden_states, encoder_attention_mask -> logits [b, 1, V]. */
  public static byte[] decoderModel() {
    OnnxGraphBuilder g = new OnnxGraphBuilder("decoder");
    decoderLogitsNodes(g, "logits");
    g.output("logits", DataType.FLOAT, "batch", 1, V);
    return g.modelBytes();
  }

  /** The decoder plus use_cache_branch and past_key_values.0.{decoder,encoder}.{key,value}. */
  public static byte[] mergedDecoderModel() {
    OnnxGraphBuilder g = new OnnxGraphBuilder("merged");
    String base = decoderLogitsNodes(g, "base_logits");
    String useCache = g.input("use_cache_branch", DataType.BOOL, 1);
    OnnxGraphBuilder then = new OnnxGraphBuilder("then");
    String acc = then.floats("scale", new float[] {CACHE_BRANCH_SCALE});
    for (String part : List.of("decoder.key", "decoder.value", "encoder.key", "encoder.value")) {
      String name = "past_key_values.0." + part;
      g.input(name, DataType.FLOAT, "batch", 2, part.startsWith("decoder") ? "past_seq" : "enc_seq", 4);
      acc = then.op("Add", in(acc, then.op("ReduceSum", in(name), intAttr("keepdims", 0))));
    }
    then.opTo("then_logits", "Mul", in(base, acc));
    then.output("then_logits", DataType.FLOAT);
    OnnxGraphBuilder otherwise = new OnnxGraphBuilder("else");
    otherwise.opTo("else_logits", "Identity", in(base));
    otherwise.output("else_logits", DataType.FLOAT);
    g.opTo("logits", "If", in(useCache),
        graphAttr("then_branch", then.graph.build()),
        graphAttr("else_branch", otherwise.graph.build()));
    g.output("logits", DataType.FLOAT, "batch", 1, V);
    return g.modelBytes();
  }

  /** input_ids, attention_mask[, position_ids][, past_key_values.0.{key,value}] -> logits. */
  public static byte[] causalModel(boolean positionIds, boolean past) {
    OnnxGraphBuilder g = new OnnxGraphBuilder("causal");
    String ids = g.input("input_ids", DataType.INT64, "batch", "seq");
    String mask = g.input("attention_mask", DataType.INT64, "batch", "seq");
    String x = g.op("Gather", in(g.floats("E", LM_E, V, D), ids));
    if (positionIds) {
      String pos = g.input("position_ids", DataType.INT64, "batch", "seq");
      x = g.op("Add", in(x, g.op("Gather", in(g.floats("P", LM_P, MAX_POS, D), pos))));
    }
    x = g.op("Add", in(x, g.op("Mul", in(maskColumn(g, mask), g.floats("C", LM_C, D)))));
    String logits = g.op("MatMul", in(x, g.floats("W", LM_W, D, V)));
    if (past) {
      for (String part : List.of("key", "value")) {
        String name = g.input("past_key_values.0." + part, DataType.FLOAT, "batch", 2, "past_seq", 4);
        logits = g.op("Add", in(logits, g.op("ReduceSum", in(name), intAttr("keepdims", 0))));
      }
    }
    g.opTo("logits", "Identity", in(logits));
    g.output("logits", DataType.FLOAT, "batch", "seq", V);
    return g.modelBytes();
  }

  // ------------------------------------------------------------------ tokenizer

  /** Post-processor framing: T5 appends {@code </s>}, BERT-like wraps, causal prepends BOS. */
  public enum Frame {
    T5(List.of(), List.of("</s>")),
    WRAPPED(List.of("<s>"), List.of("</s>")),
    BOS(List.of("<s>"), List.of()),
    NONE(List.of(), List.of());

    final List<String> before;
    final List<String> after;

    Frame(List<String> before, List<String> after) {
      this.before = before;
      this.after = after;
    }
  }

  /** A WordLevel tokenizer.json: WhitespaceSplit + Metaspace pre-tokenizer, {@code <pad>} = 0, {@code frame}. */
  public static byte[] tokenizerJson(Frame frame) {
    return tokenizerJson(frame, VOCAB);
  }

  /** As {@link #tokenizerJson(Frame)} over {@code vocab}, which holds the special tokens. */
  public static byte[] tokenizerJson(Frame frame, List<String> vocab) {
    JsonObject root = new JsonObject();
    root.addProperty("version", "1.0");
    root.add("truncation", null);
    JsonObject padding = new JsonObject();
    JsonObject strategy = new JsonObject();
    padding.addProperty("strategy", "BatchLongest");
    padding.addProperty("direction", "Right");
    padding.add("pad_to_multiple_of", null);
    padding.addProperty("pad_id", 0);
    padding.addProperty("pad_type_id", 0);
    padding.addProperty("pad_token", "<pad>");
    root.add("padding", padding);
    JsonArray added = new JsonArray();
    for (String s : List.of("<pad>", "</s>", "<unk>", "<s>")) {
      JsonObject t = new JsonObject();
      t.addProperty("id", vocab.indexOf(s));
      t.addProperty("content", s);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
    }
    root.add("added_tokens", added);
    root.add("normalizer", null);
    JsonObject meta = new JsonObject();
    meta.addProperty("type", "Metaspace");
    meta.addProperty("replacement", "▁");
    meta.addProperty("prepend_scheme", "always");
    meta.addProperty("split", true);
    // As T5's tokenizer.json: split on whitespace (dropping it), then Metaspace.
    JsonObject split = new JsonObject();
    split.addProperty("type", "WhitespaceSplit");
    JsonArray steps = new JsonArray();
    steps.add(split);
    steps.add(meta);
    JsonObject pre = new JsonObject();
    pre.addProperty("type", "Sequence");
    pre.add("pretokenizers", steps);
    root.add("pre_tokenizer", pre);
    JsonObject post = new JsonObject();
    post.addProperty("type", "TemplateProcessing");
    JsonArray single = new JsonArray();
    JsonArray pair = new JsonArray();
    JsonObject specials = new JsonObject();
    for (String s : frame.before) {
      single.add(special(s));
      pair.add(special(s));
    }
    single.add(sequence("A"));
    pair.add(sequence("A"));
    for (String s : frame.after) {
      single.add(special(s));
      pair.add(special(s));
    }
    pair.add(sequence("B"));
    for (String s : List.of("<s>", "</s>")) {
      if (frame.before.contains(s) || frame.after.contains(s)) {
        JsonObject sp = new JsonObject();
        sp.addProperty("id", s);
        JsonArray ids = new JsonArray();
        ids.add(vocab.indexOf(s));
        sp.add("ids", ids);
        JsonArray tokens = new JsonArray();
        tokens.add(s);
        sp.add("tokens", tokens);
        specials.add(s, sp);
      }
    }
    post.add("single", single);
    post.add("pair", pair);
    post.add("special_tokens", specials);
    root.add("post_processor", post);
    root.add("decoder", meta.deepCopy());
    JsonObject model = new JsonObject();
    model.addProperty("type", "WordLevel");
    JsonObject entries = new JsonObject();
    for (int i = 0; i < vocab.size(); i++) {
      entries.addProperty(vocab.get(i), i);
    }
    model.add("vocab", entries);
    model.addProperty("unk_token", "<unk>");
    root.add("model", model);
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject special(String s) {
    JsonObject inner = new JsonObject();
    inner.addProperty("id", s);
    inner.addProperty("type_id", 0);
    JsonObject o = new JsonObject();
    o.add("SpecialToken", inner);
    return o;
  }

  private static JsonObject sequence(String which) {
    JsonObject inner = new JsonObject();
    inner.addProperty("id", which);
    inner.addProperty("type_id", 0);
    JsonObject o = new JsonObject();
    o.add("Sequence", inner);
    return o;
  }

  // ------------------------------------------------------------------ files

  /** Writes {@code bytes} to {@code target/fixtures/name} and returns the path. */
  public static Path write(String name, byte[] bytes) {
    try {
      Path dir = Paths.get("target", "fixtures");
      Files.createDirectories(dir);
      Path p = dir.resolve(name);
      Files.write(p, bytes);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ModelLocation tokenizer(Frame frame) {
    return ModelLocation.ofBytes("tokenizer-" + frame + ".json", tokenizerJson(frame));
  }
}
