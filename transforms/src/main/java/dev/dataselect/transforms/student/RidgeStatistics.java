package dev.dataselect.transforms.student;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sufficient statistics of ridge regression, per cross-validation fold: for the examples of
 * fold f, {@code XᵀX} (upper triangle), {@code Xᵀy}, {@code Σx}, {@code Σy}, {@code Σy²} and n.
 * Statistics of disjoint sets of examples merge by addition, so they are a combiner accumulator;
 * the fit of every (held-out fold, λ) pair and its held-out error come from these numbers alone.
 *
 * <p>Mutable: {@link #add} and {@link #merge} change it in place.
 */
public final class RidgeStatistics implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  private final int dimension;
  private final int folds;
  private final double[][] xtx; // [fold][d*d], upper triangle filled
  private final double[][] xty; // [fold][d]
  private final double[][] sumX; // [fold][d]
  private final double[] sumY;
  private final double[] sumYy;
  private final long[] count;

  private RidgeStatistics(int dimension, int folds) {
    if (dimension < 1 || folds < 1) {
      throw new IllegalArgumentException("dimension and folds must be >= 1, got " + dimension + " and " + folds);
    }
    this.dimension = dimension;
    this.folds = folds;
    this.xtx = new double[folds][dimension * dimension];
    this.xty = new double[folds][dimension];
    this.sumX = new double[folds][dimension];
    this.sumY = new double[folds];
    this.sumYy = new double[folds];
    this.count = new long[folds];
  }

  /** Empty statistics for vectors of {@code dimension} over {@code folds} folds. */
  public static RidgeStatistics empty(int dimension, int folds) {
    return new RidgeStatistics(dimension, folds);
  }

  public int dimension() {
    return dimension;
  }

  public int folds() {
    return folds;
  }

  public long count() {
    long n = 0;
    for (long c : count) {
      n += c;
    }
    return n;
  }

  public long count(int fold) {
    return count[fold];
  }

  /** Adds one example with features {@code x} and target {@code y} to fold {@code fold}. */
  public RidgeStatistics add(int fold, float[] x, double y) {
    if (x.length != dimension) {
      throw new IllegalArgumentException("expected a vector of " + dimension + ", got " + x.length);
    }
    if (!Double.isFinite(y)) {
      throw new IllegalArgumentException("target must be finite, got " + y);
    }
    double[] a = xtx[fold];
    double[] b = xty[fold];
    double[] s = sumX[fold];
    int d = dimension;
    for (int i = 0; i < d; i++) {
      double xi = x[i];
      b[i] += xi * y;
      s[i] += xi;
      int r = i * d;
      for (int j = i; j < d; j++) {
        a[r + j] += xi * x[j];
      }
    }
    sumY[fold] += y;
    sumYy[fold] += y * y;
    count[fold]++;
    return this;
  }

  /** Adds {@code other}'s statistics (same dimension and folds) into this one. */
  public RidgeStatistics merge(RidgeStatistics other) {
    if (other.dimension != dimension || other.folds != folds) {
      throw new IllegalArgumentException("cannot merge statistics of dimension/folds " + other.dimension + "/"
          + other.folds + " into " + dimension + "/" + folds);
    }
    for (int f = 0; f < folds; f++) {
      add(xtx[f], other.xtx[f]);
      add(xty[f], other.xty[f]);
      add(sumX[f], other.sumX[f]);
      sumY[f] += other.sumY[f];
      sumYy[f] += other.sumYy[f];
      count[f] += other.count[f];
    }
    return this;
  }

  private static void add(double[] into, double[] from) {
    for (int i = 0; i < into.length; i++) {
      into[i] += from[i];
    }
  }

  /** A linear model {@code y = intercept + w·x}. */
  public static final class Fit {
    public final double[] weights;
    public final double intercept;

    Fit(double[] weights, double intercept) {
      this.weights = weights;
      this.intercept = intercept;
    }
  }

  /** One penalty's cross-validated figures. */
  public static final class CvPoint {
    /** The penalty's position in the list {@link #fit(double[][])} was given. */
    public final int index;
    /** The λ of {@link #fit(double[])}; NaN for a per-coordinate penalty. */
    public final double lambda;
    /** 1 - Σ held-out squared error / Σ (y - training mean)², over every fold. */
    public final double heldOutR2;
    /** Root mean squared held-out error. */
    public final double heldOutRmse;

    CvPoint(int index, double lambda, double heldOutR2, double heldOutRmse) {
      this.index = index;
      this.lambda = lambda;
      this.heldOutR2 = heldOutR2;
      this.heldOutRmse = heldOutRmse;
    }
  }

  /** The result of {@link #fit}: the chosen penalty, the model on all data and each fold's held-out model. */
  public static final class Solution {
    /** The chosen λ ({@link #fit(double[])}); NaN for {@link #fit(double[][])}. */
    public final double lambda;
    /** The chosen penalty's index. */
    public final int index;
    public final Fit all;
    /** The model trained without fold f, at the chosen penalty; null where fold f is empty. */
    public final Fit[] withoutFold;
    /** Every penalty's figures, in the order given (empty with one non-empty fold). */
    public final List<CvPoint> cv;
    public final double targetMean;
    public final double targetSd;

    Solution(double lambda, int index, Fit all, Fit[] withoutFold, List<CvPoint> cv, double targetMean, double targetSd) {
      this.lambda = lambda;
      this.index = index;
      this.all = all;
      this.withoutFold = withoutFold;
      this.cv = cv;
      this.targetMean = targetMean;
      this.targetSd = targetSd;
    }

    public CvPoint chosen() {
      for (CvPoint p : cv) {
        if (p.index == index) {
          return p;
        }
      }
      throw new IllegalStateException("no cross-validation figures (one non-empty fold)");
    }
  }

  /**
   * Ridge regression with an unpenalised intercept, minimising {@code (1/n) Σ (y - b - w·x)² +
   * λ |w|²} (the penalty scales with n, so a λ means the same for any sample size). With more than
   * one non-empty fold, λ is chosen among {@code lambdas} by k-fold cross-validation (largest
   * held-out R²; ties to the larger λ); with one fold, {@code lambdas} must hold a single value.
   */
  public Solution fit(double[] lambdas) {
    if (lambdas.length == 0) {
      throw new IllegalArgumentException("lambdas must hold at least one value");
    }
    for (double l : lambdas) {
      if (!(l > 0) || !Double.isFinite(l)) {
        throw new IllegalArgumentException("every lambda must be a finite number > 0, got " + l);
      }
    }
    double[] sorted = lambdas.clone();
    Arrays.sort(sorted);
    double[][] penalties = new double[sorted.length][dimension];
    for (int i = 0; i < sorted.length; i++) {
      Arrays.fill(penalties[i], sorted[i]);
    }
    Solution s = fit(penalties);
    List<CvPoint> cv = new ArrayList<>();
    for (CvPoint p : s.cv) {
      cv.add(new CvPoint(p.index, sorted[p.index], p.heldOutR2, p.heldOutRmse));
    }
    return new Solution(sorted[s.index], s.index, s.all, s.withoutFold, cv, s.targetMean, s.targetSd);
  }

  /**
   * Ridge regression with a penalty per coordinate: minimises {@code (1/n) Σ (y - b - w·x)² + Σᵢ
   * pᵢ wᵢ²}; an infinite {@code pᵢ} leaves coordinate i out (its weight is 0). With more than one
   * non-empty fold, the penalty is chosen among {@code penalties} by k-fold cross-validation
   * (largest held-out R²; ties to the later one, so list them from weakest to strongest); with one
   * fold, {@code penalties} must hold a single vector.
   */
  public Solution fit(double[][] penalties) {
    if (penalties.length == 0) {
      throw new IllegalArgumentException("penalties must hold at least one vector");
    }
    for (double[] p : penalties) {
      if (p.length != dimension) {
        throw new IllegalArgumentException("a penalty vector must have " + dimension + " entries, got " + p.length);
      }
      for (double v : p) {
        if (!(v > 0)) {
          throw new IllegalArgumentException("every penalty must be > 0 (infinite leaves a coordinate out), got " + v);
        }
      }
    }
    long n = count();
    if (n < 2) {
      throw new IllegalArgumentException("ridge regression needs at least 2 examples, got " + n);
    }
    RidgeStatistics total = total();
    List<Integer> nonEmpty = new ArrayList<>();
    for (int f = 0; f < folds; f++) {
      if (count[f] > 0 && count[f] < n - 1) {
        nonEmpty.add(f);
      }
    }
    List<CvPoint> cv = new ArrayList<>();
    int best = penalties.length - 1;
    if (nonEmpty.size() >= 2) {
      RidgeStatistics[] train = new RidgeStatistics[folds];
      for (int f : nonEmpty) {
        train[f] = total.minus(this, f);
      }
      double bestR2 = Double.NEGATIVE_INFINITY;
      for (int pi = penalties.length - 1; pi >= 0; pi--) {
        double sse = 0;
        double sst = 0;
        long m = 0;
        for (int f : nonEmpty) {
          Fit fit = train[f].solve(0, penalties[pi]);
          sse += sse(f, fit);
          double trainMean = train[f].sumY[0] / train[f].count[0];
          sst += sumYy[f] - 2 * trainMean * sumY[f] + count[f] * trainMean * trainMean;
          m += count[f];
        }
        double r2 = sst > 0 ? 1 - sse / sst : Double.NaN;
        cv.add(0, new CvPoint(pi, Double.NaN, r2, Math.sqrt(sse / m)));
        if (r2 > bestR2) {
          bestR2 = r2;
          best = pi;
        }
      }
    } else if (penalties.length > 1) {
      throw new IllegalArgumentException(
          "choosing among " + penalties.length + " penalties needs at least 2 non-empty folds; give one");
    }
    Fit all = total.solve(0, penalties[best]);
    Fit[] without = new Fit[folds];
    for (int f : nonEmpty) {
      without[f] = total.minus(this, f).solve(0, penalties[best]);
    }
    double mean = total.sumY[0] / n;
    double var = Math.max(0, total.sumYy[0] / n - mean * mean);
    return new Solution(Double.NaN, best, all, without, cv, mean, Math.sqrt(var));
  }

  /** All folds summed into one (a statistics object with a single fold). */
  public RidgeStatistics total() {
    RidgeStatistics t = new RidgeStatistics(dimension, 1);
    for (int f = 0; f < folds; f++) {
      add(t.xtx[0], xtx[f]);
      add(t.xty[0], xty[f]);
      add(t.sumX[0], sumX[f]);
      t.sumY[0] += sumY[f];
      t.sumYy[0] += sumYy[f];
      t.count[0] += count[f];
    }
    return t;
  }

  /** This single-fold total minus fold {@code f} of {@code folded}. */
  private RidgeStatistics minus(RidgeStatistics folded, int f) {
    RidgeStatistics t = new RidgeStatistics(dimension, 1);
    for (int i = 0; i < xtx[0].length; i++) {
      t.xtx[0][i] = xtx[0][i] - folded.xtx[f][i];
    }
    for (int i = 0; i < dimension; i++) {
      t.xty[0][i] = xty[0][i] - folded.xty[f][i];
      t.sumX[0][i] = sumX[0][i] - folded.sumX[f][i];
    }
    t.sumY[0] = sumY[0] - folded.sumY[f];
    t.sumYy[0] = sumYy[0] - folded.sumYy[f];
    t.count[0] = count[0] - folded.count[f];
    return t;
  }

  /** Solves fold {@code f}'s centred normal equations {@code (C + n diag(p)) w = c}; p = ∞ fixes a weight at 0. */
  Fit solve(int f, double[] penalty) {
    int d = dimension;
    double n = count[f];
    double[] mu = new double[d];
    for (int i = 0; i < d; i++) {
      mu[i] = sumX[f][i] / n;
    }
    double ybar = sumY[f] / n;
    // Only the coordinates with a finite penalty enter the system: a left-out one's weight is 0.
    int[] act = java.util.stream.IntStream.range(0, d).filter(i -> penalty[i] != Double.POSITIVE_INFINITY).toArray();
    int a = act.length;
    double[] c = new double[a * a];
    double[] rhs = new double[a];
    for (int ai = 0; ai < a; ai++) {
      int i = act[ai];
      for (int aj = ai; aj < a; aj++) {
        int j = act[aj];
        c[ai * a + aj] = xtx[f][i * d + j] - n * mu[i] * mu[j];
      }
      c[ai * a + ai] += penalty[i] * n;
      rhs[ai] = xty[f][i] - n * mu[i] * ybar;
    }
    double[] w = new double[d];
    if (a > 0) {
      double[] wa = Cholesky.solve(c, a, rhs);
      for (int ai = 0; ai < a; ai++) {
        w[act[ai]] = wa[ai];
      }
    }
    double b = ybar;
    for (int i = 0; i < d; i++) {
      b -= mu[i] * w[i];
    }
    return new Fit(w, b);
  }


  /** Σ (y - b - w·x)² over fold {@code f}, from its statistics alone. */
  double sse(int f, Fit fit) {
    double[] w = fit.weights;
    double b = fit.intercept;
    double wXty = 0;
    double wSx = 0;
    for (int i = 0; i < dimension; i++) {
      wXty += w[i] * xty[f][i];
      wSx += w[i] * sumX[f][i];
    }
    double s = sumYy[f] - 2 * b * sumY[f] - 2 * wXty + count[f] * b * b + 2 * b * wSx
        + Cholesky.quadraticFormUpper(xtx[f], dimension, w);
    return Math.max(0, s);
  }

  /** Writes every number (the coder of the combiner accumulator). */
  public void writeTo(DataOutputStream out) throws IOException {
    out.writeInt(dimension);
    out.writeInt(folds);
    int d = dimension;
    for (int f = 0; f < folds; f++) {
      for (int i = 0; i < d; i++) {
        for (int j = i; j < d; j++) {
          out.writeDouble(xtx[f][i * d + j]);
        }
        out.writeDouble(xty[f][i]);
        out.writeDouble(sumX[f][i]);
      }
      out.writeDouble(sumY[f]);
      out.writeDouble(sumYy[f]);
      out.writeLong(count[f]);
    }
  }

  /** Reads what {@link #writeTo} wrote. */
  public static RidgeStatistics readFrom(DataInputStream in) throws IOException {
    RidgeStatistics s = new RidgeStatistics(in.readInt(), in.readInt());
    int d = s.dimension;
    for (int f = 0; f < s.folds; f++) {
      for (int i = 0; i < d; i++) {
        for (int j = i; j < d; j++) {
          s.xtx[f][i * d + j] = in.readDouble();
        }
        s.xty[f][i] = in.readDouble();
        s.sumX[f][i] = in.readDouble();
      }
      s.sumY[f] = in.readDouble();
      s.sumYy[f] = in.readDouble();
      s.count[f] = in.readLong();
    }
    return s;
  }

  /** Exact equality of every number (for tests of merging). */
  public boolean sameNumbers(RidgeStatistics o) {
    return dimension == o.dimension && folds == o.folds && Arrays.deepEquals(xtx, o.xtx)
        && Arrays.deepEquals(xty, o.xty) && Arrays.deepEquals(sumX, o.sumX) && Arrays.equals(sumY, o.sumY)
        && Arrays.equals(sumYy, o.sumYy) && Arrays.equals(count, o.count);
  }

  /** Largest absolute difference between any two corresponding numbers. */
  public double maxDifference(RidgeStatistics o) {
    double m = 0;
    for (int f = 0; f < folds; f++) {
      for (int i = 0; i < xtx[f].length; i++) {
        m = Math.max(m, Math.abs(xtx[f][i] - o.xtx[f][i]));
      }
      for (int i = 0; i < dimension; i++) {
        m = Math.max(m, Math.abs(xty[f][i] - o.xty[f][i]));
        m = Math.max(m, Math.abs(sumX[f][i] - o.sumX[f][i]));
      }
      m = Math.max(m, Math.abs(sumY[f] - o.sumY[f]));
      m = Math.max(m, Math.abs(sumYy[f] - o.sumYy[f]));
      m = Math.max(m, Math.abs(count[f] - o.count[f]));
    }
    return m;
  }
}
