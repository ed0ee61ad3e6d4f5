package dev.dataselect.transforms.density;

/**
 * The exact kernel step of the reference KDE ({@link ReferenceSample#exactDensities}), the
 * reference the FP32 {@link KernelSums} path is checked and measured against, and its fallback for
 * bandwidths outside float range: a blocked matrix product in double, in scalar Java. Squared
 * distances come from {@code ||r||^2 + ||y||^2 - 2 r.y}, with the dot products of four queries against one reference
 * computed in one pass over the reference's row, and references taken in tiles small enough to stay
 * in cache while every query of the batch passes over them.
 *
 * <p>Products of floats are exact in double and accumulate in double, in a fixed order for each
 * (query, reference) pair; kernel values add up over references in row order. So a query's sum is
 * bit-identical whichever batch, and whichever position in it, the query comes in.
 */
final class BlockedKernelSums {
  /** References per tile: 64 rows of 384 floats is 96 KiB, within a typical L2 cache. */
  static final int REFERENCE_TILE = 64;

  private BlockedKernelSums() {}

  static double squaredNorm(float[] v, int offset, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) {
      double x = v[offset + k];
      s += x * x;
    }
    return s;
  }

  /**
   * {@code out[i] = sum over references r != exclude[i] of k(r, query i)} for the {@code q} queries
   * in row-major {@code queries}.
   */
  static void sums(
      ReferenceSample refs, float[] queries, int q, int[] exclude, Kernel kernel, double[] out) {
    int m = refs.size();
    int d = refs.dimension();
    float[] r = refs.matrix();
    double[] rn = refs.squaredNorms();
    double h = refs.bandwidth();
    double[] qn = new double[q];
    for (int i = 0; i < q; i++) {
      qn[i] = squaredNorm(queries, i * d, d);
      out[i] = 0;
    }
    for (int r0 = 0; r0 < m; r0 += REFERENCE_TILE) {
      int r1 = Math.min(m, r0 + REFERENCE_TILE);
      int i = 0;
      for (; i + 4 <= q; i += 4) {
        int a0 = i * d;
        int a1 = a0 + d;
        int a2 = a1 + d;
        int a3 = a2 + d;
        for (int j = r0; j < r1; j++) {
          int b = j * d;
          double s0 = 0;
          double s1 = 0;
          double s2 = 0;
          double s3 = 0;
          for (int k = 0; k < d; k++) {
            double v = r[b + k];
            s0 += v * queries[a0 + k];
            s1 += v * queries[a1 + k];
            s2 += v * queries[a2 + k];
            s3 += v * queries[a3 + k];
          }
          add(out, i, j, exclude, kernel, h, qn[i] + rn[j] - 2 * s0);
          add(out, i + 1, j, exclude, kernel, h, qn[i + 1] + rn[j] - 2 * s1);
          add(out, i + 2, j, exclude, kernel, h, qn[i + 2] + rn[j] - 2 * s2);
          add(out, i + 3, j, exclude, kernel, h, qn[i + 3] + rn[j] - 2 * s3);
        }
      }
      for (; i < q; i++) {
        int a = i * d;
        for (int j = r0; j < r1; j++) {
          int b = j * d;
          double s = 0;
          for (int k = 0; k < d; k++) {
            double v = r[b + k];
            s += v * queries[a + k];
          }
          add(out, i, j, exclude, kernel, h, qn[i] + rn[j] - 2 * s);
        }
      }
    }
  }

  private static void add(
      double[] out, int i, int j, int[] exclude, Kernel kernel, double h, double squaredDistance) {
    if (j != exclude[i]) {
      out[i] += kernel.ofSquaredDistance(Math.max(0.0, squaredDistance), h);
    }
  }
}
