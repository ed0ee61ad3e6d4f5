package dev.dataselect.models;

import static dev.dataselect.models.OnnxGraphBuilder.in;
import static dev.dataselect.models.OnnxGraphBuilder.intAttr;
import static dev.dataselect.models.OnnxGraphBuilder.intsAttr;

import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Architecture-faithful transformer graphs with seeded random weights, in Hugging Face Optimum's
 * export layout (its file, input and output names), for tests and benchmarks: the cost of a
 * transformer does not depend on its weights, so a graph with Flan-T5-XL's exact architecture does
 * the work Flan-T5-XL does.
 *
 * <ul>
 *   <li>T5 v1.1 / Flan-T5 ({@link T5Config}): {@code encoder_model.onnx} (input_ids, attention_mask
 *       -> last_hidden_state) and {@code decoder_model.onnx} (input_ids, encoder_attention_mask,
 *       encoder_hidden_states -> logits): RMS layer norm (no mean, no bias), bucketed
 *       relative-position bias computed in the first layer and shared by the others (bidirectional
 *       in the encoder, causal in the decoder, none in cross-attention), unscaled dot-product
 *       attention, gated-GELU feed-forward (gelu_new), untied LM head.
 *   <li>Llama-style decoder-only ({@link LlamaConfig}): {@code model.onnx} (input_ids,
 *       attention_mask, position_ids -> logits): RMS norm, rotary positions (rotate-half), SwiGLU,
 *       grouped-query attention, causal and padding masks.
 * </ul>
 *
 * <p>Weights are uniform with the variance of each layer's usual initialisation (1 / fan-in for
 * projections), so activations stay finite at every size; each tensor's values depend only on the
 * seed and its name. Tensors go inline, or, past {@link #INLINE_LIMIT_BYTES} in all, to one
 * external-data file beside the model (ONNX's 2 GB protobuf limit). The FLOPs are counted as each
 * MatMul is added ({@link Cost}).
 */
public final class TransformerGraphs {
  /** Relative positions |key - query| below this are covered by the bucket tables. */
  public static final int MAX_POSITIONS = 2048;

  /** Above this many weight bytes, tensors go to an external-data file. */
  public static final long INLINE_LIMIT_BYTES = 512L << 20;

  private static final float MASKED = -1e9f;

  private TransformerGraphs() {}

  // ------------------------------------------------------------------ configurations

  /** A T5 v1.1 / Flan-T5 configuration (the published config.json fields). */
  public record T5Config(
      String name,
      int dModel,
      int dKv,
      int dFf,
      int layers,
      int decoderLayers,
      int heads,
      int vocab,
      int buckets,
      int maxDistance,
      float eps) {

    /** Flan-T5 at {@code size} = small, base, large or xl, as published. */
    public static T5Config flanT5(String size) {
      return switch (size) {
        case "small" ->
            new T5Config("flan-t5-small", 512, 64, 1024, 8, 8, 6, 32128, 32, 128, 1e-6f);
        case "base" ->
            new T5Config("flan-t5-base", 768, 64, 2048, 12, 12, 12, 32128, 32, 128, 1e-6f);
        case "large" ->
            new T5Config("flan-t5-large", 1024, 64, 2816, 24, 24, 16, 32128, 32, 128, 1e-6f);
        case "xl" -> new T5Config("flan-t5-xl", 2048, 64, 5120, 24, 24, 32, 32128, 32, 128, 1e-6f);
        default ->
            throw new IllegalArgumentException(
                "size must be small, base, large or xl, got: " + size);
      };
    }

    /** The same sizes with fewer layers (for tests). */
    public T5Config withLayers(int encoder, int decoder) {
      return new T5Config(
          name + "-" + encoder + "x" + decoder,
          dModel,
          dKv,
          dFf,
          encoder,
          decoder,
          heads,
          vocab,
          buckets,
          maxDistance,
          eps);
    }

    int inner() {
      return heads * dKv;
    }

    /** Parameters (weights) of the model, as built. */
    public long parameters() {
      long attn = 4L * dModel * inner();
      long ff = 3L * dModel * dFf;
      long enc = layers * (attn + ff + 2L * dModel) + dModel + (long) buckets * heads;
      long dec = decoderLayers * (2 * attn + ff + 3L * dModel) + dModel + (long) buckets * heads;
      return enc + dec + 2L * vocab * dModel;
    }
  }

  /** A Llama-style decoder-only configuration. */
  public record LlamaConfig(
      String name,
      int hidden,
      int layers,
      int heads,
      int kvHeads,
      int intermediate,
      int vocab,
      double ropeTheta,
      float eps) {

    /** SmolLM2-135M's published config (Llama architecture). */
    public static LlamaConfig smolLm2_135m() {
      return new LlamaConfig("smollm2-135m", 576, 30, 9, 3, 1536, 49152, 100000, 1e-5f);
    }

    /** SmolLM2-360M's published config (Llama architecture). */
    public static LlamaConfig smolLm2_360m() {
      return new LlamaConfig("smollm2-360m", 960, 32, 15, 5, 2560, 49152, 100000, 1e-5f);
    }

    public LlamaConfig withVocab(int v) {
      return new LlamaConfig(
          name + "-v" + v, hidden, layers, heads, kvHeads, intermediate, v, ropeTheta, eps);
    }

    public LlamaConfig withLayers(int n) {
      return new LlamaConfig(
          name + "-" + n + "l", hidden, n, heads, kvHeads, intermediate, vocab, ropeTheta, eps);
    }

    public int headDim() {
      return hidden / heads;
    }

    public long parameters() {
      long attn = (long) hidden * headDim() * (2L * heads + 2L * kvHeads);
      long ff = 3L * hidden * intermediate;
      return layers * (attn + ff + 2L * hidden) + hidden + 2L * vocab * hidden;
    }
  }

  /**
   * FLOPs (2 per multiply-add) of the MatMuls in a built graph: per token of the input (encoder, or
   * the causal LM), per decoder step, per encoder token inside the decoder (cross-attention keys
   * and values), the attention products' coefficients of {@code Lq x Lk}, and the LM head per
   * position.
   */
  public static final class Cost {
    long perToken;
    long perStep;
    long perEncoderTokenInDecoder;
    long selfAttention;
    long decoderSelfAttention;
    long crossAttention;
    long headPerPosition;

    /** An encoder-decoder document of {@code tokens} input tokens, one decoder step. */
    public double encoderDecoderFlops(int tokens) {
      return (double) perToken * tokens
          + (double) selfAttention * tokens * tokens
          + perStep
          + (double) perEncoderTokenInDecoder * tokens
          + decoderSelfAttention
          + (double) crossAttention * tokens
          + headPerPosition;
    }

    /**
     * A causal LM document of {@code tokens} tokens, the head at {@code headPositions} positions.
     */
    public double causalFlops(int tokens, int headPositions) {
      return (double) perToken * tokens
          + (double) selfAttention * tokens * tokens
          + (double) headPerPosition * headPositions;
    }

    /** Weight FLOPs per input token (no attention products, no head). */
    public long perToken() {
      return perToken;
    }

    public long headPerPosition() {
      return headPerPosition;
    }
  }

  /** A built model: its folder, files and cost; the weights when asked to keep them. */
  public record Built(Path folder, Cost cost, Map<String, float[]> weights) {
    public Path file(String name) {
      return folder.resolve(name);
    }
  }

  // ------------------------------------------------------------------ weights

  /** Adds seeded weights to graphs, inline or in one external-data file. */
  private static final class WeightWriter implements AutoCloseable {
    private final long seed;
    private final boolean dry;
    private final Map<String, float[]> kept;
    private final Path externalFile;
    private final OutputStream external;
    private long offset;

    /** Names the weights without making them: for counting a graph's FLOPs only. */
    static WeightWriter dry() {
      return new WeightWriter(0, false, null, true);
    }

    WeightWriter(long seed, boolean keep, Path externalFile) {
      this(seed, keep, externalFile, false);
    }

    private WeightWriter(long seed, boolean keep, Path externalFile, boolean dry) {
      this.seed = seed;
      this.dry = dry;
      this.kept = keep ? new HashMap<>() : null;
      this.externalFile = externalFile;
      try {
        this.external =
            externalFile == null
                ? null
                : new java.io.BufferedOutputStream(Files.newOutputStream(externalFile), 1 << 20);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Uniform values of standard deviation {@code std} around {@code mean}. */
    String add(OnnxGraphBuilder g, String name, float mean, double std, long... dims) {
      if (dry) {
        return name;
      }
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
      double half = std * Math.sqrt(3.0);
      float[] values = new float[Math.toIntExact(n)];
      for (int i = 0; i < values.length; i++) {
        values[i] = mean + (float) ((random.nextDouble() * 2 - 1) * half);
      }
      return put(g, name, values, dims);
    }

    String put(OnnxGraphBuilder g, String name, float[] values, long... dims) {
      if (kept != null) {
        kept.put(name, values);
      }
      ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(values);
      TensorProto.Builder t =
          TensorProto.newBuilder().setName(name).setDataType(DataType.FLOAT_VALUE);
      for (long d : dims) {
        t.addDims(d);
      }
      if (external == null) {
        t.setRawData(ByteString.copyFrom(bytes.array()));
      } else {
        try {
          external.write(bytes.array());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        t.setDataLocation(TensorProto.DataLocation.EXTERNAL);
        t.addExternalData(entry("location", externalFile.getFileName().toString()));
        t.addExternalData(entry("offset", Long.toString(offset)));
        t.addExternalData(entry("length", Long.toString(bytes.capacity())));
        offset += bytes.capacity();
      }
      g.graph.addInitializer(t);
      return name;
    }

    private static StringStringEntryProto entry(String key, String value) {
      return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    @Override
    public void close() {
      if (external != null) {
        try {
          external.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  // ------------------------------------------------------------------ graph pieces

  /** One graph under construction with its weights and cost. */
  private static final class Net {
    final OnnxGraphBuilder g;
    final WeightWriter w;
    final Cost cost;
    int constants;

    Net(String name, WeightWriter w, Cost cost) {
      this.g = new OnnxGraphBuilder(name);
      this.w = w;
      this.cost = cost;
    }

    String longs(long... values) {
      return g.longs("const_i" + (constants++), values, values.length);
    }

    String scalar(float value) {
      return g.floats("const_f" + (constants++), new float[] {value});
    }

    String op(String type, String... inputs) {
      return g.op(type, inputs);
    }

    /** x @ W for a fresh weight {@code name} of [k, n]. */
    String linear(String x, String name, int k, int n) {
      return op("MatMul", x, w.add(g, name, 0f, 1.0 / Math.sqrt(k), k, n));
    }

    /** RMS norm over the last axis, times a weight (near 1). */
    String rmsNorm(String x, String name, int d, float eps) {
      String variance =
          g.op("ReduceMean", in(op("Mul", x, x)), intsAttr("axes", -1), intAttr("keepdims", 1));
      String inv = op("Reciprocal", op("Sqrt", op("Add", variance, scalar(eps))));
      return op("Mul", op("Mul", x, inv), w.add(g, name, 1f, 0.2, d));
    }

    /** [b, L, heads * dk] -> [b, heads, L, dk]. */
    String splitHeads(String x, int heads, int dk) {
      String r = op("Reshape", x, longs(0, 0, heads, dk));
      return g.op("Transpose", in(r), intsAttr("perm", 0, 2, 1, 3));
    }

    /** [b, heads, L, dk] -> [b, L, heads * dk]. */
    String mergeHeads(String x, int heads, int dk) {
      String t = g.op("Transpose", in(x), intsAttr("perm", 0, 2, 1, 3));
      return op("Reshape", t, longs(0, 0, (long) heads * dk));
    }

    /** softmax(q k^T + bias) v over [b, H, Lq, dk] x [b, H, Lk, dk]. */
    String attend(String q, String k, String v, String... biases) {
      String kt = g.op("Transpose", in(k), intsAttr("perm", 0, 1, 3, 2));
      String scores = op("MatMul", q, kt);
      for (String b : biases) {
        scores = op("Add", scores, b);
      }
      String p = g.op("Softmax", in(scores), intAttr("axis", -1));
      return op("MatMul", p, v);
    }

    /** (1 - mask) * MASKED as [b, 1, 1, L]. */
    String paddingBias(String mask) {
      String f = g.op("Cast", in(mask), intAttr("to", DataType.FLOAT_VALUE));
      String bias = op("Mul", op("Sub", scalar(1f), f), scalar(MASKED));
      return op("Unsqueeze", bias, longs(1, 2));
    }

    /** The length of axis 1 of {@code ids} as a scalar. */
    String length(String ids) {
      return op("Gather", op("Shape", ids), g.longs("const_i" + (constants++), new long[] {1}));
    }

    /** [Lq, Lk] of key - query + (MAX_POSITIONS - 1): an index into relative-position tables. */
    String relativeIndex(String ids) {
      String zero = g.longs("const_i" + (constants++), new long[] {0});
      String one = g.longs("const_i" + (constants++), new long[] {1});
      String range = op("Range", zero, length(ids), one);
      String keys = op("Unsqueeze", range, longs(0));
      String queries = op("Unsqueeze", range, longs(1));
      return op("Add", op("Sub", keys, queries), longs(MAX_POSITIONS - 1));
    }

    /** A [2 * MAX_POSITIONS - 1] int64 table of T5 buckets by key - query. */
    String bucketTable(String name, boolean bidirectional, int buckets, int maxDistance) {
      long[] table = new long[2 * MAX_POSITIONS - 1];
      for (int i = 0; i < table.length; i++) {
        table[i] = t5Bucket(i - (MAX_POSITIONS - 1), bidirectional, buckets, maxDistance);
      }
      return g.longs(name, table, table.length);
    }

    /** A [2 * MAX_POSITIONS - 1] float table: 0 where key <= query, MASKED after. */
    String causalTable() {
      float[] table = new float[2 * MAX_POSITIONS - 1];
      for (int i = 0; i < table.length; i++) {
        table[i] = i - (MAX_POSITIONS - 1) > 0 ? MASKED : 0f;
      }
      return g.floats("causal_mask_table", table, table.length);
    }
  }

  /**
   * T5's relative-position bucket of {@code relative = key - query} (Hugging Face's {@code
   * _relative_position_bucket}): half the buckets for each direction when bidirectional, exact
   * below half the (direction's) buckets, logarithmic up to {@code maxDistance}.
   */
  public static int t5Bucket(int relative, boolean bidirectional, int buckets, int maxDistance) {
    int bucket = 0;
    int n;
    if (bidirectional) {
      buckets /= 2;
      if (relative > 0) {
        bucket += buckets;
      }
      n = Math.abs(relative);
    } else {
      n = Math.max(-relative, 0);
    }
    int maxExact = buckets / 2;
    if (n < maxExact) {
      return bucket + n;
    }
    int large =
        maxExact
            + (int)
                (Math.log((double) n / maxExact)
                    / Math.log((double) maxDistance / maxExact)
                    * (buckets - maxExact));
    return bucket + Math.min(large, buckets - 1);
  }

  /** gelu_new: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
  private static String geluNew(Net n, String x) {
    String cube = n.op("Mul", n.op("Mul", x, x), x);
    String inner =
        n.op(
            "Mul",
            n.op("Add", x, n.op("Mul", cube, n.scalar(0.044715f))),
            n.scalar((float) Math.sqrt(2 / Math.PI)));
    return n.op(
        "Mul", n.op("Mul", x, n.scalar(0.5f)), n.op("Add", n.scalar(1f), n.op("Tanh", inner)));
  }

  private static String t5FeedForward(Net n, T5Config c, String x, String p, boolean decoder) {
    String h = n.rmsNorm(x, p + "ff_norm", c.dModel(), c.eps());
    String gate = geluNew(n, n.linear(h, p + "wi_0", c.dModel(), c.dFf()));
    String up = n.linear(h, p + "wi_1", c.dModel(), c.dFf());
    String out = n.linear(n.op("Mul", gate, up), p + "wo", c.dFf(), c.dModel());
    long flops = 2L * 3 * c.dModel() * c.dFf();
    if (decoder) {
      n.cost.perStep += flops;
    } else {
      n.cost.perToken += flops;
    }
    return n.op("Add", x, out);
  }

  // ------------------------------------------------------------------ T5

  /**
   * Writes {@code encoder_model.onnx} and {@code decoder_model.onnx} of {@code c} into {@code
   * folder}, weights seeded by {@code seed}; {@code keepWeights} returns them (for references).
   */
  public static Built writeT5(T5Config c, long seed, Path folder, boolean keepWeights) {
    Cost cost = new Cost();
    long bytes = c.parameters() * 4;
    try {
      Files.createDirectories(folder);
      try (WeightWriter encoderWeights =
              writer(seed, keepWeights, folder, "encoder_model.onnx", bytes);
          WeightWriter decoderWeights =
              writer(seed, keepWeights, folder, "decoder_model.onnx", bytes)) {
        Files.write(folder.resolve("encoder_model.onnx"), t5Encoder(c, encoderWeights, cost));
        Files.write(folder.resolve("decoder_model.onnx"), t5Decoder(c, decoderWeights, cost));
        Map<String, float[]> kept = null;
        if (keepWeights) {
          kept = new HashMap<>(encoderWeights.kept);
          kept.putAll(decoderWeights.kept);
        }
        return new Built(folder, cost, kept);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The FLOP counts of {@code c}'s graphs, without making weights or files. */
  public static Cost t5Cost(T5Config c) {
    Cost cost = new Cost();
    t5Encoder(c, WeightWriter.dry(), cost);
    t5Decoder(c, WeightWriter.dry(), cost);
    return cost;
  }

  /** The FLOP counts of {@code c}'s graph, without making weights or files. */
  public static Cost llamaCost(LlamaConfig c) {
    Cost cost = new Cost();
    llama(c, WeightWriter.dry(), cost);
    return cost;
  }

  private static WeightWriter writer(
      long seed, boolean keep, Path folder, String model, long bytes) {
    return new WeightWriter(
        seed, keep, bytes > INLINE_LIMIT_BYTES ? folder.resolve(model + "_data") : null);
  }

  private static byte[] t5Encoder(T5Config c, WeightWriter w, Cost cost) {
    Net n = new Net("encoder", w, cost);
    String ids = n.g.input("input_ids", DataType.INT64, "batch_size", "encoder_sequence_length");
    String mask =
        n.g.input("attention_mask", DataType.INT64, "batch_size", "encoder_sequence_length");
    String x = n.op("Gather", w.add(n.g, "shared.weight", 0f, 1.0, c.vocab(), c.dModel()), ids);
    String bucket =
        n.op(
            "Gather",
            n.bucketTable("encoder.buckets", true, c.buckets(), c.maxDistance()),
            n.relativeIndex(ids));
    String bias = relativeBias(n, "encoder.relative_attention_bias", bucket, c);
    String pad = n.paddingBias(mask);
    for (int l = 0; l < c.layers(); l++) {
      String p = "encoder.block." + l + ".";
      String h = n.rmsNorm(x, p + "attn_norm", c.dModel(), c.eps());
      String q = n.splitHeads(n.linear(h, p + "q", c.dModel(), c.inner()), c.heads(), c.dKv());
      String k = n.splitHeads(n.linear(h, p + "k", c.dModel(), c.inner()), c.heads(), c.dKv());
      String v = n.splitHeads(n.linear(h, p + "v", c.dModel(), c.inner()), c.heads(), c.dKv());
      String o = n.mergeHeads(n.attend(q, k, v, bias, pad), c.heads(), c.dKv());
      x = n.op("Add", x, n.linear(o, p + "o", c.inner(), c.dModel()));
      cost.perToken += 2L * 4 * c.dModel() * c.inner();
      cost.selfAttention += 4L * c.inner();
      x = t5FeedForward(n, c, x, p, false);
    }
    n.g.opTo(
        "last_hidden_state",
        "Identity",
        in(n.rmsNorm(x, "encoder.final_norm", c.dModel(), c.eps())));
    n.g.output(
        "last_hidden_state", DataType.FLOAT, "batch_size", "encoder_sequence_length", c.dModel());
    return n.g.modelBytes();
  }

  /** [1, H, Lq, Lk] from a [Lq, Lk] bucket index and a [buckets, H] table. */
  private static String relativeBias(Net n, String name, String bucket, T5Config c) {
    String table = n.w.add(n.g, name, 0f, 0.5, c.buckets(), c.heads());
    String b = n.op("Gather", table, bucket);
    String t = n.g.op("Transpose", in(b), intsAttr("perm", 2, 0, 1));
    return n.op("Unsqueeze", t, n.longs(0));
  }

  private static byte[] t5Decoder(T5Config c, WeightWriter w, Cost cost) {
    Net n = new Net("decoder", w, cost);
    String ids = n.g.input("input_ids", DataType.INT64, "batch_size", "decoder_sequence_length");
    String encMask =
        n.g.input(
            "encoder_attention_mask", DataType.INT64, "batch_size", "encoder_sequence_length");
    String enc =
        n.g.input(
            "encoder_hidden_states",
            DataType.FLOAT,
            "batch_size",
            "encoder_sequence_length",
            c.dModel());
    String x =
        n.op(
            "Gather",
            w.add(n.g, "decoder.embed_tokens.weight", 0f, 1.0, c.vocab(), c.dModel()),
            ids);
    String rel = n.relativeIndex(ids);
    String bucket =
        n.op("Gather", n.bucketTable("decoder.buckets", false, c.buckets(), c.maxDistance()), rel);
    String selfBias =
        n.op(
            "Add",
            relativeBias(n, "decoder.relative_attention_bias", bucket, c),
            n.op("Gather", n.causalTable(), rel));
    String pad = n.paddingBias(encMask);
    for (int l = 0; l < c.decoderLayers(); l++) {
      String p = "decoder.block." + l + ".";
      String h = n.rmsNorm(x, p + "self_norm", c.dModel(), c.eps());
      String q = n.splitHeads(n.linear(h, p + "self_q", c.dModel(), c.inner()), c.heads(), c.dKv());
      String k = n.splitHeads(n.linear(h, p + "self_k", c.dModel(), c.inner()), c.heads(), c.dKv());
      String v = n.splitHeads(n.linear(h, p + "self_v", c.dModel(), c.inner()), c.heads(), c.dKv());
      String o = n.mergeHeads(n.attend(q, k, v, selfBias), c.heads(), c.dKv());
      x = n.op("Add", x, n.linear(o, p + "self_o", c.inner(), c.dModel()));
      h = n.rmsNorm(x, p + "cross_norm", c.dModel(), c.eps());
      q = n.splitHeads(n.linear(h, p + "cross_q", c.dModel(), c.inner()), c.heads(), c.dKv());
      k = n.splitHeads(n.linear(enc, p + "cross_k", c.dModel(), c.inner()), c.heads(), c.dKv());
      v = n.splitHeads(n.linear(enc, p + "cross_v", c.dModel(), c.inner()), c.heads(), c.dKv());
      o = n.mergeHeads(n.attend(q, k, v, pad), c.heads(), c.dKv());
      x = n.op("Add", x, n.linear(o, p + "cross_o", c.inner(), c.dModel()));
      cost.perStep += 2L * 6 * c.dModel() * c.inner();
      cost.perEncoderTokenInDecoder += 2L * 2 * c.dModel() * c.inner();
      cost.decoderSelfAttention += 4L * c.inner();
      cost.crossAttention += 4L * c.inner();
      x = t5FeedForward(n, c, x, p, true);
    }
    String h = n.rmsNorm(x, "decoder.final_norm", c.dModel(), c.eps());
    n.g.opTo(
        "logits",
        "MatMul",
        in(
            h,
            w.add(n.g, "lm_head.weight", 0f, 1.0 / Math.sqrt(c.dModel()), c.dModel(), c.vocab())));
    cost.headPerPosition = 2L * c.dModel() * c.vocab();
    n.g.output("logits", DataType.FLOAT, "batch_size", "decoder_sequence_length", c.vocab());
    return n.g.modelBytes();
  }

  // ------------------------------------------------------------------ Llama

  /** Writes {@code model.onnx} of {@code c} into {@code folder}. */
  public static Built writeLlama(LlamaConfig c, long seed, Path folder, boolean keepWeights) {
    return writeLlama(c, seed, folder, keepWeights, c.parameters() * 4 > INLINE_LIMIT_BYTES);
  }

  /**
   * As {@link #writeLlama(LlamaConfig, long, Path, boolean)}, weights in {@code model.onnx_data} or
   * not.
   */
  public static Built writeLlama(
      LlamaConfig c, long seed, Path folder, boolean keepWeights, boolean externalData) {
    Cost cost = new Cost();
    try {
      Files.createDirectories(folder);
      try (WeightWriter w =
          new WeightWriter(
              seed, keepWeights, externalData ? folder.resolve("model.onnx_data") : null)) {
        Files.write(folder.resolve("model.onnx"), llama(c, w, cost));
        return new Built(folder, cost, w.kept);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] llama(LlamaConfig c, WeightWriter w, Cost cost) {
    Net n = new Net("llama", w, cost);
    int hd = c.headDim();
    String ids = n.g.input("input_ids", DataType.INT64, "batch_size", "sequence_length");
    String mask = n.g.input("attention_mask", DataType.INT64, "batch_size", "sequence_length");
    String positions = n.g.input("position_ids", DataType.INT64, "batch_size", "sequence_length");
    String x =
        n.op(
            "Gather", w.add(n.g, "model.embed_tokens.weight", 0f, 1.0, c.vocab(), c.hidden()), ids);
    // Rotary angles [b, 1, L, hd]: position * theta^(-2i / hd), the half repeated (rotate-half
    // form).
    float[] inv = new float[hd / 2];
    for (int i = 0; i < inv.length; i++) {
      inv[i] = (float) (1.0 / Math.pow(c.ropeTheta(), 2.0 * i / hd));
    }
    String pos =
        n.op(
            "Unsqueeze",
            n.g.op("Cast", in(positions), intAttr("to", DataType.FLOAT_VALUE)),
            n.longs(2));
    String freqs = n.op("Mul", pos, n.g.floats("rope.inv_freq", inv, inv.length));
    String angles =
        n.op("Unsqueeze", n.g.op("Concat", in(freqs, freqs), intAttr("axis", -1)), n.longs(1));
    String cos = n.op("Cos", angles);
    String sin = n.op("Sin", angles);
    String causal = n.op("Gather", n.causalTable(), n.relativeIndex(ids));
    String pad = n.paddingBias(mask);
    String scale = n.scalar((float) (1.0 / Math.sqrt(hd)));
    int rep = c.heads() / c.kvHeads();
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      String h = n.rmsNorm(x, p + "input_layernorm", c.hidden(), c.eps());
      String q = n.splitHeads(n.linear(h, p + "q_proj", c.hidden(), c.heads() * hd), c.heads(), hd);
      String k =
          n.splitHeads(n.linear(h, p + "k_proj", c.hidden(), c.kvHeads() * hd), c.kvHeads(), hd);
      String v =
          n.splitHeads(n.linear(h, p + "v_proj", c.hidden(), c.kvHeads() * hd), c.kvHeads(), hd);
      q = n.op("Mul", rotary(n, q, cos, sin, hd), scale);
      k = rotary(n, k, cos, sin, hd);
      // Grouped-query attention: each key/value head serves `rep` query heads.
      String shape = n.op("Shape", q);
      k = repeatKv(n, k, rep, shape);
      v = repeatKv(n, v, rep, shape);
      String o = n.mergeHeads(n.attend(q, k, v, causal, pad), c.heads(), hd);
      x = n.op("Add", x, n.linear(o, p + "o_proj", c.heads() * hd, c.hidden()));
      h = n.rmsNorm(x, p + "post_attention_layernorm", c.hidden(), c.eps());
      String gate = n.linear(h, p + "gate_proj", c.hidden(), c.intermediate());
      String silu = n.op("Mul", gate, n.op("Sigmoid", gate));
      String up = n.linear(h, p + "up_proj", c.hidden(), c.intermediate());
      x =
          n.op(
              "Add",
              x,
              n.linear(n.op("Mul", silu, up), p + "down_proj", c.intermediate(), c.hidden()));
      cost.perToken +=
          2L * c.hidden() * hd * (2L * c.heads() + 2L * c.kvHeads())
              + 2L * 3 * c.hidden() * c.intermediate();
      cost.selfAttention += 4L * c.heads() * hd;
    }
    String h = n.rmsNorm(x, "model.norm", c.hidden(), c.eps());
    n.g.opTo(
        "logits",
        "MatMul",
        in(
            h,
            w.add(n.g, "lm_head.weight", 0f, 1.0 / Math.sqrt(c.hidden()), c.hidden(), c.vocab())));
    cost.headPerPosition = 2L * c.hidden() * c.vocab();
    n.g.output("logits", DataType.FLOAT, "batch_size", "sequence_length", c.vocab());
    return n.g.modelBytes();
  }

  /** x * cos + rotate_half(x) * sin, rotate_half(x) = [-x2, x1]. */
  private static String rotary(Net n, String x, String cos, String sin, int hd) {
    String x1 = n.op("Slice", x, n.longs(0), n.longs(hd / 2), n.longs(3));
    String x2 = n.op("Slice", x, n.longs(hd / 2), n.longs(hd), n.longs(3));
    String rotated = n.g.op("Concat", in(n.op("Neg", x2), x1), intAttr("axis", 3));
    return n.op("Add", n.op("Mul", x, cos), n.op("Mul", rotated, sin));
  }

  /** [b, kv, L, hd] -> [b, kv * rep, L, hd], each head repeated {@code rep} times in place. */
  private static String repeatKv(Net n, String x, int rep, String targetShape) {
    if (rep == 1) {
      return x;
    }
    String e = n.op("Expand", n.op("Unsqueeze", x, n.longs(2)), n.longs(1, 1, rep, 1, 1));
    return n.op("Reshape", e, targetShape);
  }
}
