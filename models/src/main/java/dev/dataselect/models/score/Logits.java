package dev.dataselect.models.score;

import java.nio.FloatBuffer;

/** A {@code [rows, positions, vocab]} block of logits copied out of ONNX Runtime. */
final class Logits {
  private final FloatBuffer values;
  final int rows;
  final int positions;
  final int vocab;

  Logits(FloatBuffer values, long[] shape) {
    if (shape.length != 3) {
      throw new IllegalArgumentException("logits must have rank 3, got shape of rank " + shape.length);
    }
    this.values = values;
    this.rows = (int) shape[0];
    this.positions = (int) shape[1];
    this.vocab = (int) shape[2];
  }

  float get(int row, int position, long token) {
    return values.get((row * positions + position) * vocab + (int) token);
  }

  /** log sum exp over the vocabulary at ({@code row}, {@code position}), in double. */
  double logSumExp(int row, int position) {
    int base = (row * positions + position) * vocab;
    float max = Float.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      max = Math.max(max, values.get(base + v));
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(values.get(base + v) - (double) max);
    }
    return max + Math.log(sum);
  }

  /** log P(token) at ({@code row}, {@code position}). */
  double logProb(int row, int position, long token) {
    return get(row, position, token) - logSumExp(row, position);
  }

  /** P(yes) under {@code mode} at ({@code row}, {@code position}). */
  double yesProbability(int row, int position, YesNoTokens t, ScoreMode mode) {
    if (t.yesId() >= vocab || t.noId() >= vocab) {
      throw new IllegalStateException(
          "yes/no ids " + t.yesId() + "/" + t.noId() + " are outside the logits' vocabulary of "
              + vocab);
    }
    if (mode == ScoreMode.YES_NO) {
      double diff = (double) get(row, position, t.noId()) - get(row, position, t.yesId());
      return 1.0 / (1.0 + Math.exp(diff));
    }
    return Math.exp(logProb(row, position, t.yesId()));
  }
}
