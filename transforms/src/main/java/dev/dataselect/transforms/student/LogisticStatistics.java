package dev.dataselect.transforms.student;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;

/**
 * One Newton (IRLS) pass of L2-regularised logistic regression for several models at once, as a
 * mergeable accumulator. Each model is (held-out fold or none, penalty per coordinate) with its current weights
 * ({@link Models}); an example of fold f adds to the gradient {@code Σ (y - p) x̃}, the Hessian
 * {@code Σ p (1 - p) x̃ x̃ᵀ} (upper triangle) and the log-likelihood of every model that trains on
 * fold f, and to the held-out log-likelihood of every model that holds fold f out. Here {@code x̃ =
 * (x, 1)} (the intercept is the last weight, not penalised) and {@code p = σ(w·x̃)}. Targets are
 * in [0, 1] (0/1 labels, or soft labels).
 *
 * <p>Mutable: {@link #add} and {@link #merge} change it in place.
 */
public final class LogisticStatistics implements Serializable {
  private static final long serialVersionUID = 1L;
  /**
   * The models one pass updates: held-out fold ({@code -1}: none), per-coordinate penalty (an
   * infinite one leaves the coordinate out: its weight stays 0 and its Hessian entries are not
   * accumulated) and weights of each.
   */
  public static final class Models implements Serializable {
    private static final long serialVersionUID = 1L;
    final int dimension;
    final int[] heldOut;
    final double[][] penalties; // [model][dimension]
    final double[][] weights; // [model][dimension + 1], intercept last
    private transient int[][] active;

    public Models(int dimension, int[] heldOut, double[][] penalties, double[][] weights) {
      if (heldOut.length != penalties.length || weights.length != penalties.length) {
        throw new IllegalArgumentException("heldOut, penalties and weights must have one entry per model");
      }
      for (int m = 0; m < weights.length; m++) {
        if (weights[m].length != dimension + 1) {
          throw new IllegalArgumentException("weights must have dimension + 1 = " + (dimension + 1) + " entries, got " + weights[m].length);
        }
        if (penalties[m].length != dimension) {
          throw new IllegalArgumentException("penalties must have dimension = " + dimension + " entries, got " + penalties[m].length);
        }
        for (double v : penalties[m]) {
          if (!(v > 0)) {
            throw new IllegalArgumentException("every penalty must be > 0 (infinite leaves a coordinate out), got " + v);
          }
        }
      }
      this.dimension = dimension;
      this.heldOut = heldOut.clone();
      this.penalties = penalties;
      this.weights = weights;
    }

    public void writeTo(DataOutputStream out) throws IOException {
      out.writeInt(dimension);
      out.writeInt(penalties.length);
      for (int m = 0; m < penalties.length; m++) {
        out.writeInt(heldOut[m]);
        for (double v : penalties[m]) {
          out.writeDouble(v);
        }
        for (double w : weights[m]) {
          out.writeDouble(w);
        }
      }
    }

    public static Models readFrom(DataInputStream in) throws IOException {
      int d = in.readInt();
      int size = in.readInt();
      int[] heldOut = new int[size];
      double[][] penalties = new double[size][d];
      double[][] weights = new double[size][d + 1];
      for (int m = 0; m < size; m++) {
        heldOut[m] = in.readInt();
        for (int i = 0; i < d; i++) {
          penalties[m][i] = in.readDouble();
        }
        for (int i = 0; i <= d; i++) {
          weights[m][i] = in.readDouble();
        }
      }
      return new Models(d, heldOut, penalties, weights);
    }

    /** All-zero weights (p = 0.5 everywhere) for each (held-out fold, penalty vector). */
    public static Models start(int dimension, int[] heldOut, double[][] penalties) {
      return new Models(dimension, heldOut, penalties, new double[penalties.length][dimension + 1]);
    }

    /** All-zero weights for each (held-out fold, λ), the same λ on every coordinate. */
    public static Models start(int dimension, int[] heldOut, double[] lambdas) {
      double[][] penalties = new double[lambdas.length][dimension];
      for (int m = 0; m < lambdas.length; m++) {
        Arrays.fill(penalties[m], lambdas[m]);
      }
      return start(dimension, heldOut, penalties);
    }

    public int size() {
      return penalties.length;
    }

    public int dimension() {
      return dimension;
    }

    public int heldOut(int m) {
      return heldOut[m];
    }

    /** A copy of model m's per-coordinate penalty. */
    public double[] penalty(int m) {
      return penalties[m].clone();
    }

    /** A copy of model m's weights, intercept last. */
    public double[] weights(int m) {
      return weights[m].clone();
    }

    /** σ(w·x̃) of model m. */
    public double probability(int m, float[] x) {
      return sigmoid(linear(weights[m], x));
    }

    /** The coordinates model m uses (finite penalty), ascending. */
    int[] active(int m) {
      if (active == null) {
        int[][] a = new int[penalties.length][];
        for (int k = 0; k < a.length; k++) {
          double[] pk = penalties[k];
          a[k] = java.util.stream.IntStream.range(0, dimension).filter(i -> pk[i] != Double.POSITIVE_INFINITY).toArray();
        }
        active = a;
      }
      return active[m];
    }
  }

  private final Models models;
  private final double[][] hessian; // [model][(d+1)^2] upper triangle
  private final double[][] gradient; // [model][d+1]
  private final double[] logLikelihood;
  private final long[] count;
  private final double[] heldOutLogLikelihood;
  private final long[] heldOutCount;
  private final boolean withHessian;

  private LogisticStatistics(Models models, boolean withHessian) {
    this.models = models;
    this.withHessian = withHessian;
    int m = models.size();
    int p = models.dimension + 1;
    this.hessian = new double[m][withHessian ? p * p : 0];
    this.gradient = new double[m][p];
    this.logLikelihood = new double[m];
    this.count = new long[m];
    this.heldOutLogLikelihood = new double[m];
    this.heldOutCount = new long[m];
  }

  /** Empty statistics at {@code models}' weights; without the Hessian for an evaluation-only pass. */
  public static LogisticStatistics empty(Models models, boolean withHessian) {
    return new LogisticStatistics(models, withHessian);
  }

  public Models models() {
    return models;
  }

  public long count(int m) {
    return count[m];
  }

  public static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  static double linear(double[] w, float[] x) {
    double z = w[x.length];
    for (int i = 0; i < x.length; i++) {
      z += w[i] * x[i];
    }
    return z;
  }

  /** log P(y | z) for a target y in [0, 1], computed stably. */
  static double logLikelihood(double z, double y) {
    // y log σ(z) + (1 - y) log(1 - σ(z)) = y z - log(1 + e^z)
    double softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    return y * z - softplus;
  }

  /** Adds an example of fold {@code fold} with features {@code x} and target {@code y} in [0, 1]. */
  public LogisticStatistics add(int fold, float[] x, double y) {
    int d = models.dimension;
    if (x.length != d) {
      throw new IllegalArgumentException("expected a vector of " + d + ", got " + x.length);
    }
    if (!(y >= 0 && y <= 1)) {
      throw new IllegalArgumentException("logistic targets must be in [0, 1], got " + y);
    }
    int p = d + 1;
    for (int m = 0; m < models.size(); m++) {
      double z = linear(models.weights[m], x);
      if (models.heldOut[m] == fold) {
        heldOutLogLikelihood[m] += logLikelihood(z, y);
        heldOutCount[m]++;
        continue;
      }
      double prob = sigmoid(z);
      double r = y - prob;
      double[] g = gradient[m];
      for (int i = 0; i < d; i++) {
        g[i] += r * x[i];
      }
      g[d] += r;
      logLikelihood[m] += logLikelihood(z, y);
      count[m]++;
      if (withHessian) {
        double v = prob * (1 - prob);
        double[] h = hessian[m];
        int[] act = models.active(m);
        if (act.length == d) {
          for (int i = 0; i < d; i++) {
            double vxi = v * x[i];
            int row = i * p;
            for (int j = i; j < d; j++) {
              h[row + j] += vxi * x[j];
            }
            h[row + d] += vxi;
          }
        } else {
          for (int ai = 0; ai < act.length; ai++) {
            int i = act[ai];
            double vxi = v * x[i];
            int row = i * p;
            for (int aj = ai; aj < act.length; aj++) {
              h[row + act[aj]] += vxi * x[act[aj]];
            }
            h[row + d] += vxi;
          }
        }
        h[d * p + d] += v;
      }
    }
    return this;
  }

  /** Adds {@code other} (statistics of other examples at the same weights) into this one. */
  public LogisticStatistics merge(LogisticStatistics other) {
    if (other.models.size() != models.size() || other.withHessian != withHessian) {
      throw new IllegalArgumentException("cannot merge statistics of different model sets");
    }
    for (int m = 0; m < models.size(); m++) {
      addInto(hessian[m], other.hessian[m]);
      addInto(gradient[m], other.gradient[m]);
      logLikelihood[m] += other.logLikelihood[m];
      count[m] += other.count[m];
      heldOutLogLikelihood[m] += other.heldOutLogLikelihood[m];
      heldOutCount[m] += other.heldOutCount[m];
    }
    return this;
  }

  private static void addInto(double[] into, double[] from) {
    for (int i = 0; i < into.length; i++) {
      into[i] += from[i];
    }
  }

  /**
   * The Newton step of each model: maximises {@code Σ log P(y|x) - (n / 2) Σᵢ pᵢ wᵢ²} (intercept
   * unpenalised), {@code w' = w + (H + n diag(p))⁻¹ (g - n p ∘ w)}; a left-out coordinate (p = ∞)
   * stays 0. A model with no examples keeps its weights.
   */
  public Models step() {
    if (!withHessian) {
      throw new IllegalStateException("an evaluation pass has no Hessian to step with");
    }
    int d = models.dimension;
    int p = d + 1;
    double[][] next = new double[models.size()][];
    for (int m = 0; m < models.size(); m++) {
      double[] w = models.weights[m];
      if (count[m] == 0) {
        next[m] = w.clone();
        continue;
      }
      double n = count[m];
      double[] pen = models.penalties[m];
      double[] a = hessian[m].clone();
      double[] rhs = gradient[m].clone();
      for (int i = 0; i < d; i++) {
        if (pen[i] == Double.POSITIVE_INFINITY) { // left out: identity row and column, no step
          for (int j = 0; j < p; j++) {
            a[Math.min(i, j) * p + Math.max(i, j)] = 0;
          }
          a[i * p + i] = 1;
          rhs[i] = 0;
          continue;
        }
        a[i * p + i] += pen[i] * n;
        rhs[i] -= pen[i] * n * w[i];
      }
      a[d * p + d] += 1e-9 * count[m]; // keeps the intercept's pivot positive when every p is 0 or 1
      double[] delta = Cholesky.solve(a, p, rhs);
      double[] nw = new double[p];
      for (int i = 0; i < p; i++) {
        nw[i] = w[i] + delta[i];
      }
      next[m] = nw;
    }
    return new Models(d, models.heldOut, models.penalties, next);
  }

  /** Mean held-out log-loss of model m ({@code NaN} without held-out examples). */
  public double heldOutLogLoss(int m) {
    return heldOutCount[m] == 0 ? Double.NaN : -heldOutLogLikelihood[m] / heldOutCount[m];
  }

  public long heldOutCount(int m) {
    return heldOutCount[m];
  }

  /** Mean training log-loss of model m, penalty excluded. */
  public double trainLogLoss(int m) {
    return count[m] == 0 ? Double.NaN : -logLikelihood[m] / count[m];
  }

  /** The largest absolute component of model m's penalised gradient (per example): 0 at the optimum. */
  public double gradientNorm(int m) {
    double[] pen = models.penalties[m];
    double max = 0;
    int d = models.dimension;
    for (int i = 0; i <= d; i++) {
      if (i < d && pen[i] == Double.POSITIVE_INFINITY) {
        continue;
      }
      double gi = gradient[m][i] - (i < d ? pen[i] * count[m] * models.weights[m][i] : 0);
      max = Math.max(max, Math.abs(gi));
    }
    return count[m] == 0 ? 0 : max / count[m];
  }

  public void writeTo(DataOutputStream out) throws IOException {
    out.writeInt(models.size());
    out.writeBoolean(withHessian);
    for (int m = 0; m < models.size(); m++) {
      int p = models.dimension + 1;
      if (withHessian) {
        for (int i = 0; i < p; i++) {
          for (int j = i; j < p; j++) {
            out.writeDouble(hessian[m][i * p + j]);
          }
        }
      }
      for (double g : gradient[m]) {
        out.writeDouble(g);
      }
      out.writeDouble(logLikelihood[m]);
      out.writeLong(count[m]);
      out.writeDouble(heldOutLogLikelihood[m]);
      out.writeLong(heldOutCount[m]);
    }
  }

  /** Reads what {@link #writeTo} wrote; the weights are not encoded (every worker has them). */
  public static LogisticStatistics readFrom(DataInputStream in, Models models) throws IOException {
    int size = in.readInt();
    if (size != models.size()) {
      throw new IOException("encoded statistics hold " + size + " models, expected " + models.size());
    }
    LogisticStatistics s = new LogisticStatistics(models, in.readBoolean());
    int p = models.dimension + 1;
    for (int m = 0; m < size; m++) {
      if (s.withHessian) {
        for (int i = 0; i < p; i++) {
          for (int j = i; j < p; j++) {
            s.hessian[m][i * p + j] = in.readDouble();
          }
        }
      }
      for (int i = 0; i < p; i++) {
        s.gradient[m][i] = in.readDouble();
      }
      s.logLikelihood[m] = in.readDouble();
      s.count[m] = in.readLong();
      s.heldOutLogLikelihood[m] = in.readDouble();
      s.heldOutCount[m] = in.readLong();
    }
    return s;
  }

  /**
   * Exact equality of the Hessians, gradients and counts, and log-likelihoods within {@code
   * tolerance} (they are sums of logarithms, so their rounding depends on the order of addition).
   */
  public boolean sameNumbers(LogisticStatistics o, double tolerance) {
    for (int m = 0; m < models.size(); m++) {
      if (Math.abs(logLikelihood[m] - o.logLikelihood[m]) > tolerance
          || Math.abs(heldOutLogLikelihood[m] - o.heldOutLogLikelihood[m]) > tolerance) {
        return false;
      }
    }
    return Arrays.deepEquals(hessian, o.hessian) && Arrays.deepEquals(gradient, o.gradient)
        && Arrays.equals(count, o.count) && Arrays.equals(heldOutCount, o.heldOutCount);
  }
}
