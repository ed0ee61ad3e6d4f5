package dev.dataselect.transforms;

import org.apache.beam.sdk.metrics.MetricResult;

/**
 * Reads a finished pipeline's metric values the way that is exact on each runner.
 *
 * <p>Committed values are preferred: they count each bundle once, whatever was retried, and the
 * direct runner applies them before a bundle's outputs move on. Its attempted values, by contrast,
 * are folded in on a background executor, so right after {@code waitUntilFinish} an attempted
 * counter can still be missing the last bundle. Runners that do not report committed values (the
 * Flink runner) throw {@link UnsupportedOperationException}; there the attempted value is used.
 */
public final class MetricValues {

  private MetricValues() {}

  /** The committed value of {@code metric}, or its attempted value where the runner has none. */
  public static <T> T settled(MetricResult<T> metric) {
    try {
      T committed = metric.getCommitted();
      if (committed != null) {
        return committed;
      }
    } catch (UnsupportedOperationException e) {
      // Attempted is the best this runner offers.
    }
    return metric.getAttempted();
  }

  /** {@code "committed"} if {@link #settled} reads committed values of {@code metric}, else {@code "attempted"}. */
  public static String kind(MetricResult<?> metric) {
    try {
      return metric.getCommitted() != null ? "committed" : "attempted";
    } catch (UnsupportedOperationException e) {
      return "attempted";
    }
  }
}
