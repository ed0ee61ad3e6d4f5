package dev.dataselect.pipelines.options;

import java.util.Locale;

/** The quality scorers of {@code --quality} (case-insensitive on the command line). */
public enum Quality {
  NONE,
  /** ASK-LLM: P("yes") of an instruction-tuned model (--askLlmModel). */
  ASKLLM,
  /** Perplexity of a decoder-only model (--perplexityModel); lower is better. */
  PERPLEXITY,
  /** A student head on the embeddings (--studentModel, written by --job=train-student). */
  STUDENT;

  /** How the scorer is written, and the name of its scores' folder: lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
