package dev.dataselect.models;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Recognises a model folder's layout and returns its {@link ModelConfig}, checking that the folder
 * holds every file the layout needs (a wrong folder fails at launch, naming the missing file and
 * what the folder holds):
 *
 * <ul>
 *   <li>{@link #askLlm}: an Optimum seq2seq export ({@code encoder_model.onnx}, {@code
 *       decoder_model.onnx} or {@code decoder_model_merged.onnx}, {@code tokenizer.json}: Flan-T5)
 *       or a decoder-only export ({@code model.onnx}, {@code tokenizer.json});
 *   <li>{@link #causalLm}: a decoder-only export, for perplexity;
 *   <li>{@link #embedding}: a sentence encoder ({@code model.onnx}, {@code tokenizer.json}).
 * </ul>
 *
 * <p>Folders are listed by a {@link Lister}: {@link #localLister()} for local paths; the Beam layer
 * supplies one over its file systems for {@code gs://} and the rest. {@code classpath:} folders
 * cannot be listed: they are taken as they are named and fail when the model loads.
 */
public final class ModelFolders {
  private ModelFolders() {}

  /** The file names directly in a folder (empty or missing: an exception that says so). */
  @FunctionalInterface
  public interface Lister {
    Set<String> list(String folder) throws IOException;
  }

  /** Lists local folders (plain paths and {@code file:} URIs). */
  public static Lister localLister() {
    return folder -> {
      Path dir = ModelReader.localPath(folder);
      try (Stream<Path> files = Files.list(dir)) {
        return files.map(f -> f.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
      }
    };
  }

  /** An ASK-LLM scorer: Flan-T5 (Optimum seq2seq) or a decoder-only model, by the files present. */
  public static ModelConfig askLlm(String folder, int maxTokens, Lister lister) {
    String dir = slash(folder);
    Set<String> files = list(dir, lister);
    if (files.contains("model.onnx")) {
      require(dir, files, List.of("model.onnx", "tokenizer.json"));
      return ModelPresets.causalLm(ModelLocation.of(dir + "model.onnx"), ModelLocation.of(dir + "tokenizer.json"), maxTokens);
    }
    String decoder = files.contains("decoder_model.onnx") ? "decoder_model.onnx" : "decoder_model_merged.onnx";
    require(dir, files, List.of("encoder_model.onnx", decoder, "tokenizer.json"));
    return ModelPresets.flanT5(ModelLocation.of(dir + "encoder_model.onnx"), ModelLocation.of(dir + decoder), ModelLocation.of(dir + "tokenizer.json"))
        .withMaxTokens(maxTokens);
  }

  /** A decoder-only language model ({@code model.onnx}, {@code tokenizer.json}), e.g. for perplexity. */
  public static ModelConfig causalLm(String folder, int maxTokens, Lister lister) {
    String dir = slash(folder);
    require(dir, list(dir, lister), List.of("model.onnx", "tokenizer.json"));
    return ModelPresets.causalLm(ModelLocation.of(dir + "model.onnx"), ModelLocation.of(dir + "tokenizer.json"), maxTokens);
  }

  /** A sentence encoder ({@code model.onnx}, {@code tokenizer.json}) pooled by {@code pooling}. */
  public static ModelConfig embedding(String folder, Pooling pooling, int maxTokens, Lister lister) {
    String dir = slash(folder);
    require(dir, list(dir, lister), List.of("model.onnx", "tokenizer.json"));
    return ModelPresets.embedding(ModelLocation.of(dir + "model.onnx"), ModelLocation.of(dir + "tokenizer.json"), pooling, maxTokens);
  }

  private static String slash(String folder) {
    checkArgument(folder != null && !folder.isBlank(), "a model folder must be named");
    return folder.endsWith("/") ? folder : folder + "/";
  }

  /** The folder's files; empty for a {@code classpath:} folder, which cannot be listed. */
  private static Set<String> list(String dir, Lister lister) {
    if (dir.startsWith(ModelLocation.CLASSPATH_PREFIX)) {
      return Set.of();
    }
    Set<String> names;
    try {
      names = lister.list(dir);
    } catch (IOException | UncheckedIOException e) {
      throw new IllegalArgumentException(dir + " cannot be listed: " + e.getMessage(), e);
    }
    checkArgument(!names.isEmpty(), "%s is empty or does not exist", dir);
    return names;
  }

  private static void require(String dir, Set<String> files, List<String> names) {
    if (dir.startsWith(ModelLocation.CLASSPATH_PREFIX)) {
      return; // resolved when the model loads; the error then names the resource
    }
    for (String name : names) {
      checkArgument(files.contains(name), "%s has no %s (it holds %s)", dir, name, new TreeSet<>(files));
    }
  }
}
