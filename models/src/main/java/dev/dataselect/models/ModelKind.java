package dev.dataselect.models;

/** The export layouts this module runs. */
public enum ModelKind {
  /** A sentence encoder: {@code input_ids, attention_mask[, token_type_ids] -> last_hidden_state}. */
  EMBEDDING,
  /**
   * An encoder-decoder as Hugging Face Optimum exports Flan-T5: {@code encoder_model.onnx} plus
   * {@code decoder_model.onnx} or {@code decoder_model_merged.onnx}.
   */
  ENCODER_DECODER,
  /** A decoder-only causal language model {@code model.onnx}: {@code input_ids, ... -> logits}. */
  CAUSAL_LM
}
