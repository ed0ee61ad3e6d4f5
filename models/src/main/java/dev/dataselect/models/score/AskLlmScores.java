package dev.dataselect.models.score;

import java.io.Serializable;

/**
 * ASK-LLM scores of a list of documents, in input order, with how they were computed.
 *
 * @param scores P("yes") per document
 * @param mode the softmax used
 * @param tokens the yes/no vocabulary entries used
 * @param inputTokens prompt plus document tokens fed to the model, per document
 * @param documentTokens document tokens kept, per document
 * @param truncated whether the document was cut to fit the context
 */
public record AskLlmScores(
    double[] scores,
    ScoreMode mode,
    YesNoTokens tokens,
    int[] inputTokens,
    int[] documentTokens,
    boolean[] truncated)
    implements Serializable {

  public int size() {
    return scores.length;
  }
}
