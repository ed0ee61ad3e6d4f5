package dev.dataselect.transforms.student;

import dev.dataselect.transforms.student.StudentModel.Features;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The heads {@link TrainStudent} fits over one feature vector {@code [embedding | standardised
 * signals]}: for the chosen {@link Features}, one head per penalty (a grid of (λ embedding, λ
 * signals) pairs for {@code both}); with {@code both}, also each block alone, so the fit reports
 * what each block is worth on the same folds. Within a group the heads go from the weakest to the
 * strongest penalty (cross-validation ties go to the stronger one).
 */
final class HeadGrid implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One head: the blocks it uses and their penalties (NaN for a block it leaves out). */
  static final class Head implements Serializable {
    private static final long serialVersionUID = 1L;
    final Features group;
    final double lambda;
    final double lambdaSignals;

    Head(Features group, double lambda, double lambdaSignals) {
      this.group = group;
      this.lambda = lambda;
      this.lambdaSignals = lambdaSignals;
    }

    /** The per-coordinate penalty over {@code [embedding | signals]}; infinite on a block left out. */
    double[] penalty(int embeddingDims, int signalDims) {
      double[] p = new double[embeddingDims + signalDims];
      Arrays.fill(p, 0, embeddingDims, group.usesEmbedding() ? lambda : Double.POSITIVE_INFINITY);
      Arrays.fill(p, embeddingDims, p.length, group.usesSignals() ? lambdaSignals : Double.POSITIVE_INFINITY);
      return p;
    }
  }

  final Features primary;
  final List<Head> heads;

  private HeadGrid(Features primary, List<Head> heads) {
    this.primary = primary;
    this.heads = heads;
  }

  static HeadGrid of(Features features, double[] lambdas, double[] signalLambdas) {
    List<Head> heads = new ArrayList<>();
    List<Features> groups = features == Features.BOTH
        ? List.of(Features.BOTH, Features.EMBEDDING, Features.SIGNALS) : List.of(features);
    for (Features g : groups) {
      double[] le = g.usesEmbedding() ? lambdas : new double[] {Double.NaN};
      double[] ls = g.usesSignals() ? signalLambdas : new double[] {Double.NaN};
      for (double a : le) {
        for (double b : ls) {
          heads.add(new Head(g, a, b));
        }
      }
    }
    return new HeadGrid(features, List.copyOf(heads));
  }

  /** The groups fitted, the primary one first. */
  List<Features> groups() {
    List<Features> out = new ArrayList<>();
    for (Head h : heads) {
      if (!out.contains(h.group)) {
        out.add(h.group);
      }
    }
    return out;
  }

  /** The indices (into {@link #heads}) of a group's heads, weakest penalty first. */
  int[] indices(Features group) {
    return java.util.stream.IntStream.range(0, heads.size()).filter(i -> heads.get(i).group == group).toArray();
  }

  /** The per-coordinate penalties of a group's heads. */
  double[][] penalties(Features group, int embeddingDims, int signalDims) {
    int[] idx = indices(group);
    double[][] out = new double[idx.length][];
    for (int i = 0; i < idx.length; i++) {
      out[i] = heads.get(idx[i]).penalty(embeddingDims, signalDims);
    }
    return out;
  }
}
