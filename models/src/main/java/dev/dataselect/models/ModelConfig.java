package dev.dataselect.models;

import java.io.Serializable;
import java.util.Objects;

/**
 * Everything that identifies a loaded model: kind, file locations, pooling, text prefix, token
 * budget and the ONNX Runtime settings. Immutable and serializable, with value equality, so the
 * Beam layer can ship it inside a DoFn and key a per-JVM cache ({@link SharedModels}) by it.
 *
 * <p>Start from {@link #embedding}, {@link #encoderDecoder} or {@link #causalLm} (or a preset in
 * {@link ModelPresets}) and refine with the order-independent {@code withX} methods.
 */
public final class ModelConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Default token budget (the BERT and T5 context). */
  public static final int DEFAULT_MAX_TOKENS = 512;

  /** Largest accepted token budget. */
  public static final int MAX_TOKENS_LIMIT = 1 << 20;

  private final String name;
  private final ModelKind kind;
  private final ModelLocation model;
  private final ModelLocation decoder;
  private final ModelLocation tokenizer;
  private final Pooling pooling;
  private final String textPrefix;
  private final int maxTokens;
  private final PaddingSide paddingSide;
  private final long decoderStartTokenId;
  private final long padTokenId;
  private final ExecutionProvider provider;
  private final int cudaDeviceId;
  private final boolean cpuFallback;
  private final int intraOpThreads;
  private final OptimizationLevel optimizationLevel;

  private ModelConfig(Builder b) {
    this.name = b.name;
    this.kind = b.kind;
    this.model = b.model;
    this.decoder = b.decoder;
    this.tokenizer = b.tokenizer;
    this.pooling = b.pooling;
    this.textPrefix = b.textPrefix;
    this.maxTokens = b.maxTokens;
    this.paddingSide = b.paddingSide;
    this.decoderStartTokenId = b.decoderStartTokenId;
    this.padTokenId = b.padTokenId;
    this.provider = b.provider;
    this.cudaDeviceId = b.cudaDeviceId;
    this.cpuFallback = b.cpuFallback;
    this.intraOpThreads = b.intraOpThreads;
    this.optimizationLevel = b.optimizationLevel;
  }

  /** A sentence embedding model ({@code model.onnx} + {@code tokenizer.json}), mean pooling. */
  public static ModelConfig embedding(ModelLocation model, ModelLocation tokenizer) {
    Builder b = new Builder(ModelKind.EMBEDDING, model, null, tokenizer);
    b.paddingSide = PaddingSide.RIGHT;
    return new ModelConfig(b);
  }

  /**
   * An encoder-decoder (Optimum's Flan-T5 export): {@code encoder_model.onnx} and either {@code
   * decoder_model.onnx} or {@code decoder_model_merged.onnx} (told apart by its inputs).
   */
  public static ModelConfig encoderDecoder(
      ModelLocation encoder, ModelLocation decoder, ModelLocation tokenizer) {
    Objects.requireNonNull(decoder, "decoder");
    Builder b = new Builder(ModelKind.ENCODER_DECODER, encoder, decoder, tokenizer);
    b.paddingSide = PaddingSide.RIGHT;
    return new ModelConfig(b);
  }

  /** A decoder-only causal LM ({@code model.onnx}); batches are left-padded by default. */
  public static ModelConfig causalLm(ModelLocation model, ModelLocation tokenizer) {
    Builder b = new Builder(ModelKind.CAUSAL_LM, model, null, tokenizer);
    b.paddingSide = PaddingSide.LEFT;
    return new ModelConfig(b);
  }

  // ---------------------------------------------------------------- withX

  /** A label for logs and metrics (default: the model file name). */
  public ModelConfig withName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name must be non-empty, got: " + name);
    }
    return copy(b -> b.name = name);
  }

  /** Pooling of token states (embedding models only; default MEAN). */
  public ModelConfig withPooling(Pooling pooling) {
    Objects.requireNonNull(pooling, "pooling must be MEAN or CLS, got: null");
    return copy(b -> b.pooling = pooling);
  }

  /** Text prepended to every input before tokenization, e.g. {@code "passage: "} for e5. */
  public ModelConfig withTextPrefix(String textPrefix) {
    Objects.requireNonNull(textPrefix, "textPrefix must be non-null (use \"\" for none)");
    return copy(b -> b.textPrefix = textPrefix);
  }

  /** Token budget per input, special tokens included; longer inputs are truncated. */
  public ModelConfig withMaxTokens(int maxTokens) {
    if (maxTokens < 2 || maxTokens > MAX_TOKENS_LIMIT) {
      throw new IllegalArgumentException(
          "maxTokens must be in [2, " + MAX_TOKENS_LIMIT + "], got: " + maxTokens);
    }
    return copy(b -> b.maxTokens = maxTokens);
  }

  /** Which side pad tokens go to within a batch. */
  public ModelConfig withPaddingSide(PaddingSide paddingSide) {
    Objects.requireNonNull(paddingSide, "paddingSide must be LEFT or RIGHT, got: null");
    return copy(b -> b.paddingSide = paddingSide);
  }

  /** First decoder input of an encoder-decoder (T5: the pad id, 0). */
  public ModelConfig withDecoderStartTokenId(long id) {
    if (id < 0) {
      throw new IllegalArgumentException("decoderStartTokenId must be >= 0, got: " + id);
    }
    return copy(b -> b.decoderStartTokenId = id);
  }

  /** Pad token id; by default the tokenizer's ({@code padding.pad_id}, else 0). */
  public ModelConfig withPadTokenId(long id) {
    if (id < 0) {
      throw new IllegalArgumentException("padTokenId must be >= 0, got: " + id);
    }
    return copy(b -> b.padTokenId = id);
  }

  /** Run on the CPU (the default). */
  public ModelConfig withCpu() {
    return copy(b -> b.provider = ExecutionProvider.CPU);
  }

  /**
   * Run on CUDA device {@code deviceId}. Loading fails if CUDA is unavailable, unless {@link
   * #withCpuFallback(boolean)} opts in to running on the CPU instead.
   */
  public ModelConfig withCuda(int deviceId) {
    if (deviceId < 0 || deviceId > 1024) {
      throw new IllegalArgumentException("cudaDeviceId must be in [0, 1024], got: " + deviceId);
    }
    return copy(
        b -> {
          b.provider = ExecutionProvider.CUDA;
          b.cudaDeviceId = deviceId;
        });
  }

  /** Whether a CUDA request may fall back to the CPU (default false: fail at load). */
  public ModelConfig withCpuFallback(boolean cpuFallback) {
    return copy(b -> b.cpuFallback = cpuFallback);
  }

  /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per physical core). */
  public ModelConfig withIntraOpThreads(int threads) {
    if (threads < 0 || threads > 1024) {
      throw new IllegalArgumentException("intraOpThreads must be in [0, 1024], got: " + threads);
    }
    return copy(b -> b.intraOpThreads = threads);
  }

  /** ONNX Runtime graph optimisation level (default ALL). */
  public ModelConfig withOptimizationLevel(OptimizationLevel level) {
    Objects.requireNonNull(level, "optimizationLevel must be one of NONE, BASIC, EXTENDED, ALL");
    return copy(b -> b.optimizationLevel = level);
  }

  // ---------------------------------------------------------------- getters

  public String name() {
    return name;
  }

  public ModelKind kind() {
    return kind;
  }

  /** The model file ({@code encoder_model.onnx} for an encoder-decoder). */
  public ModelLocation model() {
    return model;
  }

  /** The decoder file of an encoder-decoder, else null. */
  public ModelLocation decoder() {
    return decoder;
  }

  public ModelLocation tokenizer() {
    return tokenizer;
  }

  public Pooling pooling() {
    return pooling;
  }

  public String textPrefix() {
    return textPrefix;
  }

  public int maxTokens() {
    return maxTokens;
  }

  public PaddingSide paddingSide() {
    return paddingSide;
  }

  public long decoderStartTokenId() {
    return decoderStartTokenId;
  }

  /** The pad id set by {@link #withPadTokenId}, or -1 to take the tokenizer's. */
  public long padTokenId() {
    return padTokenId;
  }

  public ExecutionProvider provider() {
    return provider;
  }

  public int cudaDeviceId() {
    return cudaDeviceId;
  }

  public boolean cpuFallback() {
    return cpuFallback;
  }

  public int intraOpThreads() {
    return intraOpThreads;
  }

  public OptimizationLevel optimizationLevel() {
    return optimizationLevel;
  }

  // ---------------------------------------------------------------- value semantics

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ModelConfig)) {
      return false;
    }
    ModelConfig c = (ModelConfig) o;
    return name.equals(c.name)
        && kind == c.kind
        && model.equals(c.model)
        && Objects.equals(decoder, c.decoder)
        && tokenizer.equals(c.tokenizer)
        && pooling == c.pooling
        && textPrefix.equals(c.textPrefix)
        && maxTokens == c.maxTokens
        && paddingSide == c.paddingSide
        && decoderStartTokenId == c.decoderStartTokenId
        && padTokenId == c.padTokenId
        && provider == c.provider
        && cudaDeviceId == c.cudaDeviceId
        && cpuFallback == c.cpuFallback
        && intraOpThreads == c.intraOpThreads
        && optimizationLevel == c.optimizationLevel;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        name,
        kind,
        model,
        decoder,
        tokenizer,
        pooling,
        textPrefix,
        maxTokens,
        paddingSide,
        decoderStartTokenId,
        padTokenId,
        provider,
        cudaDeviceId,
        cpuFallback,
        intraOpThreads,
        optimizationLevel);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("ModelConfig{").append(name).append(", ").append(kind);
    s.append(", model=").append(model);
    if (decoder != null) {
      s.append(", decoder=").append(decoder);
    }
    s.append(", tokenizer=").append(tokenizer);
    if (kind == ModelKind.EMBEDDING) {
      s.append(", pooling=").append(pooling);
    }
    if (!textPrefix.isEmpty()) {
      s.append(", prefix='").append(textPrefix).append('\'');
    }
    s.append(", maxTokens=").append(maxTokens).append(", padding=").append(paddingSide);
    s.append(", provider=").append(provider);
    if (provider == ExecutionProvider.CUDA) {
      s.append(':').append(cudaDeviceId).append(cpuFallback ? " (cpu fallback)" : "");
    }
    s.append(", threads=").append(intraOpThreads == 0 ? "auto" : intraOpThreads);
    s.append(", opt=").append(optimizationLevel).append('}');
    return s.toString();
  }

  // ---------------------------------------------------------------- internals

  private ModelConfig copy(java.util.function.Consumer<Builder> change) {
    Builder b = new Builder(this);
    change.accept(b);
    return new ModelConfig(b);
  }

  private static final class Builder {
    String name;
    ModelKind kind;
    ModelLocation model;
    ModelLocation decoder;
    ModelLocation tokenizer;
    Pooling pooling = Pooling.MEAN;
    String textPrefix = "";
    int maxTokens = DEFAULT_MAX_TOKENS;
    PaddingSide paddingSide = PaddingSide.RIGHT;
    long decoderStartTokenId = 0;
    long padTokenId = -1;
    ExecutionProvider provider = ExecutionProvider.CPU;
    int cudaDeviceId = 0;
    boolean cpuFallback = false;
    int intraOpThreads = 0;
    OptimizationLevel optimizationLevel = OptimizationLevel.ALL;

    Builder(ModelKind kind, ModelLocation model, ModelLocation decoder, ModelLocation tokenizer) {
      this.kind = kind;
      this.model = Objects.requireNonNull(model, "model location");
      this.decoder = decoder;
      this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer location");
      this.name = model.fileName();
    }

    Builder(ModelConfig c) {
      name = c.name;
      kind = c.kind;
      model = c.model;
      decoder = c.decoder;
      tokenizer = c.tokenizer;
      pooling = c.pooling;
      textPrefix = c.textPrefix;
      maxTokens = c.maxTokens;
      paddingSide = c.paddingSide;
      decoderStartTokenId = c.decoderStartTokenId;
      padTokenId = c.padTokenId;
      provider = c.provider;
      cudaDeviceId = c.cudaDeviceId;
      cpuFallback = c.cpuFallback;
      intraOpThreads = c.intraOpThreads;
      optimizationLevel = c.optimizationLevel;
    }
  }
}
