package dev.dataselect.transforms.density;

/**
 * A radial kernel on the L2 distance between two embeddings, scaled by a bandwidth {@code h} and
 * equal to 1 at distance 0 (unnormalised: densities are means of kernel values, in [0, 1]).
 *
 * <p>Evaluated with {@link StrictMath} so that the same inputs give bit-identical densities on
 * every JVM and platform: densities feed keep decisions, and a retried bundle must decide the same
 * way.
 */
public enum Kernel {
  /** {@code exp(-||x - y||^2 / (2 h^2))}. */
  GAUSSIAN {
    @Override
    double ofSquaredDistance(double squaredDistance, double bandwidth) {
      return StrictMath.exp(-squaredDistance / (2 * bandwidth * bandwidth));
    }
  },
  /** {@code exp(-||x - y|| / h)}. */
  LAPLACIAN {
    @Override
    double ofSquaredDistance(double squaredDistance, double bandwidth) {
      return StrictMath.exp(-Math.sqrt(squaredDistance) / bandwidth);
    }
  };

  /**
   * The kernel value at squared L2 distance {@code squaredDistance} (>= 0), bandwidth {@code h}.
   */
  abstract double ofSquaredDistance(double squaredDistance, double bandwidth);

  /** The kernel value at L2 distance {@code distance}. */
  public double of(double distance, double bandwidth) {
    return ofSquaredDistance(distance * distance, bandwidth);
  }
}
