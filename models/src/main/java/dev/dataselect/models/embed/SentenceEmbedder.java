package dev.dataselect.models.embed;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelException;
import dev.dataselect.models.ModelKind;
import dev.dataselect.models.OnnxTensors;
import dev.dataselect.models.Pooling;
import dev.dataselect.models.text.LengthBucketing;
import dev.dataselect.models.text.TokenBatch;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Texts to L2-normalised sentence embeddings with an {@link ModelKind#EMBEDDING} model: the
 * config's text prefix is prepended, texts are truncated to its token budget, each batch is padded
 * to its longest text, and token states are pooled (mean over the attention mask, or CLS). Inputs
 * named {@code token_type_ids} are fed zeros. Thread-safe; cheap to create over a shared model.
 */
public final class SentenceEmbedder {
  private static final Set<String> KNOWN_INPUTS =
      Set.of("input_ids", "attention_mask", "token_type_ids");

  private final LoadedModel model;
  private final ModelConfig config;
  private final boolean tokenTypeIds;
  private final String hiddenOutput;
  private final int dimension;

  public SentenceEmbedder(LoadedModel model) {
    this.model = model;
    this.config = model.config();
    if (config.kind() != ModelKind.EMBEDDING) {
      throw new IllegalArgumentException(
          "SentenceEmbedder needs an EMBEDDING model, got " + config.kind() + " for " + config.name());
    }
    Map<String, NodeInfo> inputs = OnnxTensors.inputs(model.session());
    for (String name : List.of("input_ids", "attention_mask")) {
      if (!inputs.containsKey(name)) {
        throw new ModelException(
            config.name() + " has no input '" + name + "'; its inputs are " + inputs.keySet());
      }
    }
    for (String name : inputs.keySet()) {
      if (!KNOWN_INPUTS.contains(name)) {
        throw new ModelException(
            config.name() + " has an input this embedder cannot feed: '" + name + "'");
      }
    }
    this.tokenTypeIds = inputs.containsKey("token_type_ids");
    Map<String, NodeInfo> outputs = OnnxTensors.outputs(model.session());
    String chosen = null;
    for (String preferred : List.of("last_hidden_state", "token_embeddings")) {
      if (outputs.containsKey(preferred)) {
        chosen = preferred;
        break;
      }
    }
    if (chosen == null) {
      for (Map.Entry<String, NodeInfo> e : outputs.entrySet()) {
        if (e.getValue().getInfo() instanceof TensorInfo
            && ((TensorInfo) e.getValue().getInfo()).getShape().length == 3) {
          chosen = e.getKey();
          break;
        }
      }
    }
    if (chosen == null) {
      throw new ModelException(
          config.name() + " has no [batch, tokens, hidden] output; outputs: " + outputs.keySet());
    }
    this.hiddenOutput = chosen;
    long[] shape = ((TensorInfo) outputs.get(chosen).getInfo()).getShape();
    this.dimension = (int) shape[2];
  }

  /** The embedding size, or -1 if the model declares it symbolically. */
  public int dimension() {
    return dimension;
  }

  public ModelConfig config() {
    return config;
  }

  /** Embeds {@code texts} as one padded batch. */
  public float[][] embed(List<String> texts) {
    return embedEncoded(encode(texts));
  }

  /**
   * Embeds {@code texts} in length-sorted batches of at most {@code maxBatchSize}; results are in
   * input order.
   */
  public float[][] embed(List<String> texts, int maxBatchSize) {
    List<long[]> encoded = encode(texts);
    int[] lengths = encoded.stream().mapToInt(a -> a.length).toArray();
    List<float[]> out =
        LengthBucketing.mapInLengthOrder(
            lengths,
            maxBatchSize,
            chunk -> {
              List<long[]> rows = new ArrayList<>(chunk.length);
              for (int i : chunk) {
                rows.add(encoded.get(i));
              }
              return Arrays.asList(embedEncoded(rows));
            });
    return out.toArray(new float[0][]);
  }

  /**
   * The token ids {@link #embed} feeds for {@code text}: the config's prefix prepended, truncated
   * to its token budget, framed by the special tokens. With {@link #embedIds}, callers that batch
   * by token count tokenize once.
   */
  public long[] encode(String text) {
    return model.tokenizer().encode(config.textPrefix() + text, config.maxTokens()).ids();
  }

  /** Embeds sequences made by {@link #encode} as one padded batch, in input order. */
  public float[][] embedIds(List<long[]> sequences) {
    if (sequences.isEmpty()) {
      throw new IllegalArgumentException("sequences must be non-empty");
    }
    return embedEncoded(sequences);
  }

  /** Token counts (special tokens included) that {@link #embed} uses for each text. */
  public int[] tokenCounts(List<String> texts) {
    return encode(texts).stream().mapToInt(a -> a.length).toArray();
  }

  private List<long[]> encode(List<String> texts) {
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("texts must be non-empty");
    }
    List<long[]> out = new ArrayList<>(texts.size());
    for (String text : texts) {
      out.add(encode(text));
    }
    return out;
  }

  private float[][] embedEncoded(List<long[]> sequences) {
    TokenBatch batch = TokenBatch.pad(sequences, model.tokenizer().padId(), config.paddingSide());
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensors.longs(batch.ids(), batch.shape()));
      inputs.put("attention_mask", OnnxTensors.longs(batch.attentionMask(), batch.shape()));
      if (tokenTypeIds) {
        inputs.put("token_type_ids", OnnxTensors.longs(batch.zeros(), batch.shape()));
      }
      try (OrtSession.Result result = model.session().run(inputs, Set.of(hiddenOutput))) {
        OnnxTensor hidden = OnnxTensors.output(result, hiddenOutput);
        long[] shape = hidden.getInfo().getShape();
        return pool(hidden.getFloatBuffer(), shape, batch, config.pooling());
      }
    } catch (OrtException e) {
      throw new ModelException("Embedding with " + config.name() + " failed: " + e.getMessage(), e);
    } finally {
      OnnxTensors.closeAll(inputs);
    }
  }

  /**
   * Pools {@code [rows, width, dim]} states and L2-normalises each row. MEAN divides by the
   * number of real tokens (at least 1, so an all-masked row gives a zero vector); CLS takes the
   * first real token.
   */
  static float[][] pool(FloatBuffer states, long[] shape, TokenBatch batch, Pooling pooling) {
    int rows = (int) shape[0];
    int width = (int) shape[1];
    int dim = (int) shape[2];
    float[][] out = new float[rows][dim];
    for (int r = 0; r < rows; r++) {
      double[] acc = new double[dim];
      if (pooling == Pooling.CLS) {
        int base = (r * width + batch.offset(r)) * dim;
        for (int d = 0; d < dim; d++) {
          acc[d] = states.get(base + d);
        }
      } else {
        long[] mask = batch.attentionMask();
        int count = 0;
        for (int t = 0; t < width; t++) {
          if (mask[r * width + t] == 0) {
            continue;
          }
          count++;
          int base = (r * width + t) * dim;
          for (int d = 0; d < dim; d++) {
            acc[d] += states.get(base + d);
          }
        }
        int divisor = Math.max(count, 1);
        for (int d = 0; d < dim; d++) {
          acc[d] /= divisor;
        }
      }
      double norm = 0;
      for (double v : acc) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      double scale = norm > 1e-12 ? 1.0 / norm : 0.0;
      for (int d = 0; d < dim; d++) {
        out[r][d] = (float) (acc[d] * scale);
      }
    }
    return out;
  }
}
