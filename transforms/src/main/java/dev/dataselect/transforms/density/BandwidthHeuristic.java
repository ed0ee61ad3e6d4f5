package dev.dataselect.transforms.density;

import java.util.Arrays;

/**
 * How the reference-sample KDE picks its bandwidth when none is given. Both look only at the first
 * {@code min(m, 1000)} references, which (rows being in hash order) are a uniform sample of the
 * corpus and the same for every {@code m >= 1000}; both are deterministic functions of those rows.
 * A median of an even count is the mean of the two middle values; a median of 0 (most rows
 * identical) falls back to the next rule, and finally to 1.0.
 */
public enum BandwidthHeuristic {
  /**
   * The median, over the first references, of the distance to the nearest other reference: the
   * local scale of the data as the sample sees it, so most queries have some reference within one
   * bandwidth. The default: on clustered data it is several times smaller than the median pairwise
   * distance, and inverse-propensity sampling with it covers the corpus clearly better than random
   * sampling (see the {@code coverage} benchmark), where the pairwise median smooths densities
   * nearly flat and the sample comes out close to random.
   */
  MEDIAN_NEAREST_NEIGHBOR_DISTANCE,
  /**
   * The median L2 distance over all pairs of the first references (~500k pairs): the global scale
   * of the data, the classic "median heuristic" of kernel methods. Smooth densities.
   */
  MEDIAN_PAIRWISE_DISTANCE;

  /** References the heuristics look at, at most: ~500k pairs. */
  public static final int LIMIT = 1000;

  /** The bandwidth for the first {@code m} rows of a row-major {@code float[m * d]} matrix. */
  public double bandwidth(float[] vectors, int m, int d) {
    int n = Math.min(m, LIMIT);
    if (n < 2) {
      return 1.0;
    }
    double[][] distances = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double s = 0;
        for (int c = 0; c < d; c++) {
          double diff = (double) vectors[i * d + c] - vectors[j * d + c];
          s += diff * diff;
        }
        distances[i][j] = Math.sqrt(s);
        distances[j][i] = distances[i][j];
      }
    }
    if (this == MEDIAN_NEAREST_NEIGHBOR_DISTANCE) {
      double[] nearest = new double[n];
      for (int i = 0; i < n; i++) {
        double best = Double.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) {
          if (j != i && distances[i][j] < best) {
            best = distances[i][j];
          }
        }
        nearest[i] = best;
      }
      double median = median(nearest);
      if (median > 0) {
        return median;
      }
    }
    double[] pairs = new double[n * (n - 1) / 2];
    int k = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        pairs[k++] = distances[i][j];
      }
    }
    double median = median(pairs);
    return median > 0 ? median : 1.0;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int half = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
  }
}
