package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelFolders;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.Pooling;
import dev.dataselect.pipelines.options.Device;
import dev.dataselect.pipelines.options.ModelOptions;
import dev.dataselect.transforms.inference.BeamModelReader;

/**
 * Turns the model options into model configurations. Folders are recognised, and checked at launch
 * for the files their layout needs, by {@link ModelFolders} (listed through Beam's file systems),
 * so a wrong path fails before any worker starts, naming the option.
 */
final class Models {
  private Models() {}

  static ModelConfig embedding(ModelOptions o) {
    String model = o.getEmbeddingModel();
    ModelConfig config;
    if (model.equalsIgnoreCase("minilm")) {
      config = ModelPresets.allMiniLmL6V2();
    } else {
      Pooling pooling = o.getEmbeddingPooling();
      config = naming("--embeddingModel", () -> ModelFolders.embedding(model, pooling, ModelPresets.BERT_MAX_TOKENS, BeamModelReader.folders()))
          .withName(model);
      if (!o.getEmbeddingPrefix().isEmpty()) {
        config = config.withTextPrefix(o.getEmbeddingPrefix());
      }
    }
    return runtime(config, o);
  }

  static ModelConfig askLlm(ModelOptions o) {
    checkArgument(!o.getAskLlmModel().isEmpty(), "--quality=askllm needs --askLlmModel=FOLDER (see README: exporting Flan-T5)");
    ModelConfig config = naming("--askLlmModel", () -> ModelFolders.askLlm(o.getAskLlmModel(), o.getScorerMaxTokens(), BeamModelReader.folders()));
    return runtime(config.withName(o.getAskLlmModel()), o);
  }

  static ModelConfig perplexity(ModelOptions o) {
    checkArgument(!o.getPerplexityModel().isEmpty(), "--quality=perplexity needs --perplexityModel=FOLDER with model.onnx + tokenizer.json");
    ModelConfig config = naming("--perplexityModel", () -> ModelFolders.causalLm(o.getPerplexityModel(), o.getScorerMaxTokens(), BeamModelReader.folders()));
    return runtime(config.withName(o.getPerplexityModel()), o);
  }

  /** {@code folder}'s config; a folder that does not fit the layout fails naming the option. */
  private static ModelConfig naming(String option, java.util.function.Supplier<ModelConfig> folder) {
    try {
      return folder.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  private static ModelConfig runtime(ModelConfig config, ModelOptions o) {
    ModelConfig c = o.getDevice() == Device.CUDA ? config.withCuda(o.getCudaDeviceId()).withCpuFallback(o.getCpuFallback()) : config.withCpu();
    return o.getIntraOpThreads() > 0 ? c.withIntraOpThreads(o.getIntraOpThreads()) : c;
  }

}
