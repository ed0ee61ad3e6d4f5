package dev.dataselect.transforms.inference;

import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import java.io.Serializable;
import java.util.List;

/**
 * What one inference stage computes, separated from how {@link BatchInference} batches, shares the
 * model and isolates failures: the extension point for a new model-based scorer (a classifier head,
 * another LLM layout). Implement it and apply {@link ScoreWithModel#of}: batching by tokens, the
 * per-JVM shared ONNX Runtime session, the inference threads, the metrics and the dead letters come
 * with it, as they do for {@link Embed}, {@link AskLlmScore} and {@link PerplexityScore}, which are
 * built on it. Serializable (it travels inside the DoFn); {@link #open} runs once per DoFn instance
 * in {@code @Setup}, over the JVM's shared model.
 *
 * @param <P> a tokenized input, made once per document
 * @param <R> the result per document
 */
public interface InferenceTask<P, R> extends Serializable {

  /** The model this task runs; the key of the per-JVM model cache. */
  ModelConfig model();

  /**
   * Checks the model fits the task (input names, kind) and returns a runner over it.
   *
   * @throws RuntimeException naming the model and what is wrong, which fails the pipeline at start
   */
  Runner<P, R> open(LoadedModel model);

  /**
   * Runs the task over a loaded model. {@link #prepare} and {@link #tokens} are called from the
   * DoFn's thread; {@link #run} from the JVM's inference threads, several batches at once: it
   * must be thread-safe (ONNX Runtime sessions are).
   */
  interface Runner<P, R> {
    /** Tokenizes a document's text (truncated as the model needs). */
    P prepare(String text);

    /** The tokens fed to the model for {@code input} (prompt and special tokens included). */
    int tokens(P input);

    /**
     * Runs the model on {@code inputs} as one padded batch.
     *
     * @param ids the documents' ids, in the same order
     * @return one result per input, in input order
     * @throws RuntimeException when the model fails on the batch
     */
    List<R> run(List<P> inputs, List<String> ids);

    /** Null when {@code result} is usable, else why it must go to the dead letters. */
    default String problem(R result) {
      return null;
    }
  }
}
