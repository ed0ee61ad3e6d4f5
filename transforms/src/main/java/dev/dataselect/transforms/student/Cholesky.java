package dev.dataselect.transforms.student;

/**
 * Solves symmetric positive definite systems {@code A x = b} by Cholesky factorisation, on dense
 * row-major {@code double[n * n]} matrices. Only the upper triangle of {@code A} is read.
 */
public final class Cholesky {
  private Cholesky() {}

  /**
   * Returns {@code x} with {@code A x = b}; {@code a} is not modified.
   *
   * @throws IllegalArgumentException if {@code A} is not (numerically) positive definite
   */
  public static double[] solve(double[] a, int n, double[] b) {
    if (a.length != n * n || b.length != n) {
      throw new IllegalArgumentException("expected a " + n + "x" + n + " matrix and a vector of " + n + ", got "
          + a.length + " and " + b.length + " numbers");
    }
    // Lower factor L (row-major) with A = L L^T, built from A's upper triangle.
    double[] l = new double[n * n];
    for (int j = 0; j < n; j++) {
      double d = a[j * n + j];
      for (int k = 0; k < j; k++) {
        d -= l[j * n + k] * l[j * n + k];
      }
      if (!(d > 0) || !Double.isFinite(d)) {
        throw new IllegalArgumentException(
            "matrix is not positive definite (pivot " + j + " is " + d + "): raise the regularisation");
      }
      double ljj = Math.sqrt(d);
      l[j * n + j] = ljj;
      for (int i = j + 1; i < n; i++) {
        double s = a[j * n + i]; // A[i][j] == A[j][i], read from the upper triangle
        int ri = i * n;
        int rj = j * n;
        for (int k = 0; k < j; k++) {
          s -= l[ri + k] * l[rj + k];
        }
        l[ri + j] = s / ljj;
      }
    }
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double s = b[i];
      for (int k = 0; k < i; k++) {
        s -= l[i * n + k] * y[k];
      }
      y[i] = s / l[i * n + i];
    }
    double[] x = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = y[i];
      for (int k = i + 1; k < n; k++) {
        s -= l[k * n + i] * x[k];
      }
      x[i] = s / l[i * n + i];
    }
    return x;
  }

  /** {@code v^T A v} for a symmetric {@code A} of which only the upper triangle is filled. */
  static double quadraticFormUpper(double[] a, int n, double[] v) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      int r = i * n;
      double diag = a[r + i] * v[i];
      double off = 0;
      for (int j = i + 1; j < n; j++) {
        off += a[r + j] * v[j];
      }
      s += v[i] * (diag + 2 * off);
    }
    return s;
  }
}
