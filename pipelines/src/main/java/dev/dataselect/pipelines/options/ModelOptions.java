package dev.dataselect.pipelines.options;

import dev.dataselect.models.score.ScoreMode;
import dev.dataselect.models.Pooling;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** Which models score and embed, and where they run. */
public interface ModelOptions extends QualityOption {
  @Description(
      "ASK-LLM model folder (local, gs:// or classpath:): encoder_model.onnx + decoder_model.onnx (or "
          + "decoder_model_merged.onnx) + tokenizer.json as Optimum exports Flan-T5, or model.onnx + "
          + "tokenizer.json for a decoder-only model.")
  @Default.String("")
  String getAskLlmModel();

  void setAskLlmModel(String value);

  @Description("ASK-LLM softmax: full_vocabulary (the default, the paper's reading) or yes_no (over {yes, no} only).")
  @Default.Enum("FULL_VOCABULARY")
  ScoreMode getAskLlmMode();

  void setAskLlmMode(ScoreMode value);

  @Description("ASK-LLM prompt template with a {document} placeholder; empty uses the paper's prompt.")
  @Default.String("")
  String getAskLlmTemplate();

  void setAskLlmTemplate(String value);

  @Description("Perplexity model folder: model.onnx + tokenizer.json of a causal LM (local, gs:// or classpath:).")
  @Default.String("")
  String getPerplexityModel();

  void setPerplexityModel(String value);

  @Description("Token budget (context) of the ASK-LLM and perplexity models; documents are cut to fit, the prompt never.")
  @Default.Integer(512)
  Integer getScorerMaxTokens();

  void setScorerMaxTokens(Integer value);

  @Description(
      "Sentence embedding model: minilm (all-MiniLM-L6-v2, bundled, mean pooling, 256 tokens), or a folder "
          + "with model.onnx + tokenizer.json (see --embeddingPooling, --embeddingPrefix).")
  @Default.String("minilm")
  String getEmbeddingModel();

  void setEmbeddingModel(String value);

  @Description(
      "Embeddings cache folder (local or gs://). Empty: embeddings are computed and not kept. If the folder holds "
          + "embeddings of the same model (from an earlier run over the same input, limit and dedup settings), they "
          + "are read instead of computed; otherwise this run computes them and writes them there.")
  @Default.String("")
  String getEmbeddingsCache();

  void setEmbeddingsCache(String value);

  @Description("Pooling of a user embedding model: mean (MiniLM, e5) or cls (bge).")
  @Default.Enum("MEAN")
  Pooling getEmbeddingPooling();

  void setEmbeddingPooling(Pooling value);

  @Description("Text prefix of a user embedding model (e5: \"passage: \").")
  @Default.String("")
  String getEmbeddingPrefix();

  void setEmbeddingPrefix(String value);

  @Description("Execution provider: cpu, or cuda (needs the build with -Pgpu and CUDA 12 + cuDNN on the worker).")
  @Default.Enum("CPU")
  Device getDevice();

  void setDevice(Device value);

  @Description("CUDA device id when --device=cuda.")
  @Default.Integer(0)
  Integer getCudaDeviceId();

  void setCudaDeviceId(Integer value);

  @Description("With --device=cuda: run on CPU (with a warning) instead of failing when CUDA is unavailable.")
  @Default.Boolean(false)
  Boolean getCpuFallback();

  void setCpuFallback(Boolean value);

  @Description("ONNX Runtime intra-op threads per model session; 0 lets ONNX Runtime choose.")
  @Default.Integer(0)
  Integer getIntraOpThreads();

  void setIntraOpThreads(Integer value);

  @Description("Largest batch of documents per model call (padding is per batch, never to a global maximum).")
  @Default.Integer(16)
  Integer getBatchSize();

  void setBatchSize(Integer value);

  @Description(
      "Score store (local folder or gs:// prefix): every model stage (embed, askllm, perplexity) looks up each document's "
          + "text there first and scores only the misses, writing fresh results as it goes, so a killed run resumes and a "
          + "grown corpus scores only its new documents. Keyed by a fingerprint of the model and its settings and a hash "
          + "of the text. Empty: no store.")
  @Default.String("")
  String getScoreStore();

  void setScoreStore(String value);

  @Description("Score store: fresh entries per file, at most (a file is also written at the end of each bundle).")
  @Default.Integer(1024)
  Integer getScoreStoreFlushEntries();

  void setScoreStoreFlushEntries(Integer value);
}
