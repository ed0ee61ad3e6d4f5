package dev.dataselect.transforms.student;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Agreement between teacher values and student predictions on held-out examples. */
public final class HeldOutMetrics {
  private HeldOutMetrics() {}

  /** 1 - Σ (y - ŷ)² / Σ (y - ȳ)²; NaN when y is constant or there are fewer than 2 pairs. */
  public static double r2(double[] y, double[] predicted) {
    check(y, predicted);
    if (y.length < 2) {
      return Double.NaN;
    }
    double mean = Arrays.stream(y).average().orElse(0);
    double sse = 0;
    double sst = 0;
    for (int i = 0; i < y.length; i++) {
      sse += (y[i] - predicted[i]) * (y[i] - predicted[i]);
      sst += (y[i] - mean) * (y[i] - mean);
    }
    return sst > 0 ? 1 - sse / sst : Double.NaN;
  }

  /** Spearman rank correlation, ties given their average rank. */
  public static double spearman(double[] a, double[] b) {
    check(a, b);
    return pearson(ranks(a), ranks(b));
  }

  static double pearson(double[] a, double[] b) {
    int n = a.length;
    if (n < 2) {
      return Double.NaN;
    }
    double ma = Arrays.stream(a).average().orElse(0);
    double mb = Arrays.stream(b).average().orElse(0);
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < n; i++) {
      sab += (a[i] - ma) * (b[i] - mb);
      saa += (a[i] - ma) * (a[i] - ma);
      sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : Double.NaN;
  }

  static double[] ranks(double[] x) {
    Integer[] order = new Integer[x.length];
    for (int i = 0; i < x.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (p, q) -> Double.compare(x[p], x[q]));
    double[] r = new double[x.length];
    int i = 0;
    while (i < x.length) {
      int j = i;
      while (j + 1 < x.length && x[order[j + 1]] == x[order[i]]) {
        j++;
      }
      double average = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        r[order[k]] = average;
      }
      i = j + 1;
    }
    return r;
  }

  /**
   * Area under the ROC curve of {@code predicted} for the positives {@code y >= 0.5} (the
   * Mann-Whitney statistic, ties counted half); NaN without both classes.
   */
  public static double auc(double[] y, double[] predicted) {
    check(y, predicted);
    double[] r = ranks(predicted);
    long positives = 0;
    double rankSum = 0;
    for (int i = 0; i < y.length; i++) {
      if (y[i] >= 0.5) {
        positives++;
        rankSum += r[i];
      }
    }
    long negatives = y.length - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /** One calibration bin: examples whose prediction falls in it, their mean prediction and mean teacher value. */
  public static final class Bin {
    public final int count;
    public final double meanPredicted;
    public final double meanTeacher;

    Bin(int count, double meanPredicted, double meanTeacher) {
      this.count = count;
      this.meanPredicted = meanPredicted;
      this.meanTeacher = meanTeacher;
    }
  }

  /** Equal-count bins by prediction (at most {@code bins}, fewer when there are fewer pairs). */
  public static List<Bin> calibration(double[] y, double[] predicted, int bins) {
    check(y, predicted);
    Integer[] order = new Integer[y.length];
    for (int i = 0; i < y.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (p, q) -> Double.compare(predicted[p], predicted[q]));
    int k = Math.min(bins, y.length);
    List<Bin> out = new ArrayList<>();
    for (int b = 0; b < k; b++) {
      int from = (int) ((long) b * y.length / k);
      int to = (int) ((long) (b + 1) * y.length / k);
      double sp = 0;
      double st = 0;
      for (int i = from; i < to; i++) {
        sp += predicted[order[i]];
        st += y[order[i]];
      }
      int n = to - from;
      if (n > 0) {
        out.add(new Bin(n, sp / n, st / n));
      }
    }
    return out;
  }

  private static void check(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("arrays differ in length: " + a.length + " vs " + b.length);
    }
  }
}
