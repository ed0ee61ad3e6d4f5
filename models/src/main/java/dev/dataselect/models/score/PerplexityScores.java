package dev.dataselect.models.score;

import java.io.Serializable;

/**
 * Perplexity-filter scores, in input order.
 *
 * @param meanNll mean negative log-likelihood (nats) per predicted token; NaN for a document with
 *     fewer than two tokens (nothing to predict)
 * @param predictedTokens tokens whose likelihood was averaged
 * @param truncated whether the document was cut to the token budget
 */
public record PerplexityScores(double[] meanNll, int[] predictedTokens, boolean[] truncated)
    implements Serializable {

  public int size() {
    return meanNll.length;
  }

  /** {@code exp(meanNll)}. */
  public double perplexity(int i) {
    return Math.exp(meanNll[i]);
  }
}
