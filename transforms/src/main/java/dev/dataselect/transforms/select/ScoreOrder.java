package dev.dataselect.transforms.select;

/**
 * Which end of a score's range is kept first, and the order-preserving 64-bit key of a score under
 * it: a document with a larger key (compared unsigned) is preferred. Keys let a selection walk the
 * score range one 16-bit digit at a time (a radix select), which works for any finite double, signed
 * or not, with no assumption about the score's scale.
 */
public enum ScoreOrder {
  /** Higher scores first (ASK-LLM P(yes), a student's score, density for the densest sampler). */
  HIGHEST_FIRST,
  /** Lower scores first (perplexity, density for the sparsest sampler). */
  LOWEST_FIRST;

  /**
   * The key of a finite score: unsigned order of keys equals this order of the scores. {@code -0.0}
   * and {@code 0.0} get the same key.
   *
   * @throws IllegalArgumentException for NaN and infinities
   */
  public long key(double score) {
    if (!Double.isFinite(score)) {
      throw new IllegalArgumentException("score must be finite, got " + score);
    }
    long bits = Double.doubleToLongBits(score == 0.0 ? 0.0 : score);
    // Negative doubles: flip the magnitude bits so they order backwards; then move the sign bit so
    // signed order becomes unsigned order.
    long signed = bits ^ ((bits >> 63) & Long.MAX_VALUE);
    long ascending = signed ^ Long.MIN_VALUE;
    return this == HIGHEST_FIRST ? ascending : ~ascending;
  }

  /** The score of a key made by {@link #key} (the inverse, for tests and logs). */
  public double score(long key) {
    long ascending = this == HIGHEST_FIRST ? key : ~key;
    long signed = ascending ^ Long.MIN_VALUE;
    long bits = signed ^ ((signed >> 63) & Long.MAX_VALUE);
    return Double.longBitsToDouble(bits);
  }
}
