package dev.dataselect.models.score;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.LogitPositions;
import dev.dataselect.models.ModelException;
import dev.dataselect.models.ModelKind;
import dev.dataselect.models.OnnxSessions;
import dev.dataselect.models.OnnxTensors;
import dev.dataselect.models.text.TokenBatch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Runs the language-model layouts on a padded batch and returns logits: the first decoder step of
 * an encoder-decoder, or every position of a causal LM.
 */
final class LmRunner {
  private static final String PAST_PREFIX = "past_key_values.";
  private static final String USE_CACHE = "use_cache_branch";

  private final LoadedModel model;
  private final Map<String, NodeInfo> mainInputs;
  private final Map<String, NodeInfo> decoderInputs;
  /** The causal LM's static vocabulary dimension of {@code logits}, or -1 when symbolic. */
  private final long vocabulary;

  LmRunner(LoadedModel model) {
    this.model = model;
    String name = model.config().name();
    this.mainInputs = OnnxTensors.inputs(model.session());
    if (model.config().kind() == ModelKind.ENCODER_DECODER) {
      require(name + " encoder", mainInputs, "input_ids", "attention_mask");
      allowOnly(name + " encoder", mainInputs, Set.of("input_ids", "attention_mask"));
      this.decoderInputs = OnnxTensors.inputs(model.decoderSession());
      this.vocabulary = -1;
      require(name + " decoder", decoderInputs, "input_ids", "encoder_hidden_states");
      allowOnly(
          name + " decoder",
          decoderInputs,
          Set.of("input_ids", "encoder_hidden_states", "encoder_attention_mask", USE_CACHE));
      if (hasPast(decoderInputs) && !decoderInputs.containsKey(USE_CACHE)) {
        throw new ModelException(
            name + " decoder takes past_key_values without use_cache_branch (a decoder_with_past"
                + " export); use decoder_model.onnx or decoder_model_merged.onnx");
      }
    } else if (model.config().kind() == ModelKind.CAUSAL_LM) {
      this.decoderInputs = Map.of();
      NodeInfo logits = OnnxTensors.outputs(model.session()).get("logits");
      this.vocabulary =
          logits != null
                  && logits.getInfo() instanceof TensorInfo t
                  && t.getShape().length == 3
                  && t.getShape()[2] > 0
              ? t.getShape()[2]
              : -1;
      require(name, mainInputs, "input_ids");
      allowOnly(
          name,
          mainInputs,
          Set.of("input_ids", "attention_mask", "position_ids", USE_CACHE, LogitPositions.INPUT));
    } else {
      this.vocabulary = -1;
      throw new IllegalArgumentException(
          "A language-model scorer needs an ENCODER_DECODER or CAUSAL_LM model, got "
              + model.config().kind() + " for " + name);
    }
  }

  /** Whether the decoder is a merged export (takes use_cache_branch). */
  boolean mergedDecoder() {
    return decoderInputs.containsKey(USE_CACHE);
  }

  /** Encoder pass plus one decoder step from the start token: logits {@code [rows, 1, vocab]}. */
  Logits firstDecoderStep(TokenBatch batch) {
    Map<String, OnnxTensor> encoderInputs = new HashMap<>();
    Map<String, OnnxTensor> decoderFeed = new HashMap<>();
    try {
      OnnxTensor mask = OnnxTensors.longs(batch.attentionMask(), batch.shape());
      encoderInputs.put("input_ids", OnnxTensors.longs(batch.ids(), batch.shape()));
      encoderInputs.put("attention_mask", mask);
      try (OrtSession.Result encoded =
          model.session().run(encoderInputs, Set.of("last_hidden_state"))) {
        OnnxTensor hidden = OnnxTensors.output(encoded, "last_hidden_state");
        long[] start = new long[batch.rows()];
        java.util.Arrays.fill(start, model.config().decoderStartTokenId());
        decoderFeed.put("input_ids", OnnxTensors.longs(start, batch.rows(), 1));
        if (decoderInputs.containsKey(USE_CACHE)) {
          decoderFeed.put(USE_CACHE, OnnxTensors.scalarBool(false));
        }
        addEmptyPast(decoderInputs, decoderFeed, batch.rows());
        Map<String, OnnxTensor> feed = new HashMap<>(decoderFeed);
        feed.put("encoder_hidden_states", hidden);
        if (decoderInputs.containsKey("encoder_attention_mask")) {
          feed.put("encoder_attention_mask", mask);
        }
        try (OrtSession.Result decoded = model.decoderSession().run(feed, Set.of("logits"))) {
          OnnxTensor logits = OnnxTensors.output(decoded, "logits");
          return new Logits(logits.getFloatBuffer(), logits.getInfo().getShape());
        }
      }
    } catch (OrtException e) {
      throw new ModelException(
          "Scoring with " + model.config().name() + " failed: " + e.getMessage(), e);
    } finally {
      OnnxTensors.closeAll(encoderInputs);
      OnnxTensors.closeAll(decoderFeed);
    }
  }

  /**
   * Whether the causal LM computes logits at named positions only ({@link LogitPositions}); else
   * {@link #causal(TokenBatch, long[], int)} returns every position.
   */
  boolean logitPositions() {
    return mainInputs.containsKey(LogitPositions.INPUT);
  }

  /** A causal LM over the whole batch: logits {@code [rows, width, vocab]}. */
  Logits causal(TokenBatch batch) {
    long[] all = new long[batch.rows() * batch.width()];
    for (int r = 0; r < batch.rows(); r++) {
      for (int c = 0; c < batch.width(); c++) {
        all[r * batch.width() + c] = c;
      }
    }
    return causal(batch, all, batch.width());
  }

  /**
   * A causal LM over the whole batch, logits at {@code perRow} columns of each row ({@code
   * positions}, row-major {@code [rows, perRow]}): {@code [rows, perRow, vocab]} when the model
   * takes {@link LogitPositions#INPUT}, else every position, {@code [rows, width, vocab]}.
   */
  Logits causal(TokenBatch batch, long[] positions, int perRow) {
    Map<String, OnnxTensor> feed = new HashMap<>();
    try {
      if (logitPositions()) {
        feed.put(LogitPositions.INPUT, OnnxTensors.longs(positions, batch.rows(), perRow));
      }
      feed.put("input_ids", OnnxTensors.longs(batch.ids(), batch.shape()));
      if (mainInputs.containsKey("attention_mask")) {
        feed.put("attention_mask", OnnxTensors.longs(batch.attentionMask(), batch.shape()));
      }
      if (mainInputs.containsKey("position_ids")) {
        feed.put("position_ids", OnnxTensors.longs(batch.positionIds(), batch.shape()));
      }
      if (mainInputs.containsKey(USE_CACHE)) {
        feed.put(USE_CACHE, OnnxTensors.scalarBool(false));
      }
      addEmptyPast(mainInputs, feed, batch.rows());
      long[] shape = {batch.rows(), logitPositions() ? perRow : batch.width(), vocabulary};
      long bytes = 4L * shape[0] * shape[1] * shape[2];
      if (vocabulary > 0 && bytes <= Integer.MAX_VALUE) {
        // ONNX Runtime writes the logits straight into this off-heap buffer, read in place row by
        // row: no second copy (getFloatBuffer would copy them onto the Java heap).
        FloatBuffer values =
            ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
        try (OnnxTensor pinned = OnnxTensor.createTensor(OnnxSessions.environment(), values, shape);
            OrtSession.Result out =
                model.session().run(feed, Set.of(), Map.of("logits", pinned))) {
          return new Logits(values, shape);
        }
      }
      try (OrtSession.Result out = model.session().run(feed, Set.of("logits"))) {
        OnnxTensor logits = OnnxTensors.output(out, "logits");
        return new Logits(logits.getFloatBuffer(), logits.getInfo().getShape());
      }
    } catch (OrtException e) {
      throw new ModelException(
          "Scoring with " + model.config().name() + " failed: " + e.getMessage(), e);
    } finally {
      OnnxTensors.closeAll(feed);
    }
  }

  private static void addEmptyPast(
      Map<String, NodeInfo> inputs, Map<String, OnnxTensor> feed, int rows) throws OrtException {
    for (Map.Entry<String, NodeInfo> e : inputs.entrySet()) {
      if (e.getKey().startsWith(PAST_PREFIX)) {
        feed.put(e.getKey(), OnnxTensors.emptyPast(e.getKey(), e.getValue(), rows));
      }
    }
  }

  private static boolean hasPast(Map<String, NodeInfo> inputs) {
    return inputs.keySet().stream().anyMatch(n -> n.startsWith(PAST_PREFIX));
  }

  private static void require(String what, Map<String, NodeInfo> inputs, String... names) {
    for (String n : names) {
      if (!inputs.containsKey(n)) {
        throw new ModelException(what + " has no input '" + n + "'; inputs: " + inputs.keySet());
      }
    }
  }

  private static void allowOnly(String what, Map<String, NodeInfo> inputs, Set<String> allowed) {
    for (String n : inputs.keySet()) {
      if (!allowed.contains(n) && !n.startsWith(PAST_PREFIX)) {
        throw new ModelException(what + " has an input this scorer cannot feed: '" + n + "'");
      }
    }
  }
}
