package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.Pooling;
import dev.dataselect.pipelines.options.ModelOptions;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * Turns the model options into model configurations, checking at launch that each model folder
 * holds the files its layout needs (so a wrong path fails before any worker starts).
 */
final class Models {
  private Models() {}

  static ModelConfig embedding(ModelOptions o) {
    String model = o.getEmbeddingModel();
    ModelConfig config;
    if (model.equalsIgnoreCase("minilm")) {
      config = ModelPresets.allMiniLmL6V2();
    } else {
      String dir = folder(model);
      require(dir, "--embeddingModel", List.of("model.onnx", "tokenizer.json"));
      Pooling pooling = parse(Pooling.class, o.getEmbeddingPooling(), "--embeddingPooling");
      config = ModelPresets.embedding(ModelLocation.of(dir + "model.onnx"), ModelLocation.of(dir + "tokenizer.json"),
              pooling, ModelPresets.BERT_MAX_TOKENS)
          .withName(model);
      if (!o.getEmbeddingPrefix().isEmpty()) {
        config = config.withTextPrefix(o.getEmbeddingPrefix());
      }
    }
    return runtime(config, o);
  }

  static ModelConfig askLlm(ModelOptions o) {
    checkArgument(!o.getAskLlmModel().isEmpty(), "--quality=askllm needs --askLlmModel=FOLDER (see README: exporting Flan-T5)");
    String dir = folder(o.getAskLlmModel());
    Set<String> files = list(dir, "--askLlmModel");
    ModelConfig config;
    if (files.contains("model.onnx")) {
      require(dir, "--askLlmModel", List.of("tokenizer.json"));
      config = ModelPresets.causalLm(ModelLocation.of(dir + "model.onnx"), ModelLocation.of(dir + "tokenizer.json"), o.getScorerMaxTokens());
    } else {
      String decoder = files.contains("decoder_model.onnx") ? "decoder_model.onnx" : "decoder_model_merged.onnx";
      require(dir, "--askLlmModel", List.of("encoder_model.onnx", decoder, "tokenizer.json"));
      config = ModelPresets.flanT5(ModelLocation.of(dir + "encoder_model.onnx"), ModelLocation.of(dir + decoder), ModelLocation.of(dir + "tokenizer.json"))
          .withMaxTokens(o.getScorerMaxTokens());
    }
    return runtime(config.withName(o.getAskLlmModel()), o);
  }

  static ModelConfig perplexity(ModelOptions o) {
    checkArgument(!o.getPerplexityModel().isEmpty(), "--quality=perplexity needs --perplexityModel=FOLDER with model.onnx + tokenizer.json");
    String dir = folder(o.getPerplexityModel());
    require(dir, "--perplexityModel", List.of("model.onnx", "tokenizer.json"));
    return runtime(
        ModelPresets.causalLm(ModelLocation.of(dir + "model.onnx"), ModelLocation.of(dir + "tokenizer.json"), o.getScorerMaxTokens())
            .withName(o.getPerplexityModel()),
        o);
  }

  private static ModelConfig runtime(ModelConfig config, ModelOptions o) {
    String device = o.getDevice().toLowerCase(Locale.ROOT);
    checkArgument(device.equals("cpu") || device.equals("cuda"), "--device must be cpu or cuda, got '%s'", o.getDevice());
    ModelConfig c = device.equals("cuda") ? config.withCuda(o.getCudaDeviceId()).withCpuFallback(o.getCpuFallback()) : config.withCpu();
    return o.getIntraOpThreads() > 0 ? c.withIntraOpThreads(o.getIntraOpThreads()) : c;
  }

  static <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        option + " must be one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT) + ", got '" + value + "'");
  }

  private static String folder(String location) {
    return location.endsWith("/") ? location : location + "/";
  }

  private static void require(String dir, String option, List<String> names) {
    if (dir.startsWith(ModelLocation.CLASSPATH_PREFIX)) {
      return; // resolved when the model loads; the error then names the resource
    }
    Set<String> files = list(dir, option);
    for (String name : names) {
      checkArgument(files.contains(name), "%s=%s has no %s (it holds %s)", option, dir, name, files);
    }
  }

  private static Set<String> list(String dir, String option) {
    if (dir.startsWith(ModelLocation.CLASSPATH_PREFIX)) {
      return Set.of();
    }
    try {
      MatchResult r = FileSystems.match(dir + "*", EmptyMatchTreatment.ALLOW);
      Set<String> names = new HashSet<>();
      for (MatchResult.Metadata m : r.metadata()) {
        names.add(m.resourceId().getFilename());
      }
      checkArgument(!names.isEmpty(), "%s=%s is empty or does not exist", option, dir);
      return names;
    } catch (IOException e) {
      throw new IllegalArgumentException(option + "=" + dir + " cannot be listed: " + e.getMessage(), e);
    }
  }
}
