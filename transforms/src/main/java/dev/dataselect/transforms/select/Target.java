package dev.dataselect.transforms.select;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * How many documents one selection keeps: a fraction of the scored documents, a count, or every
 * document whose score is at least as good as a threshold. A random target keeps the same number
 * of documents without looking at the scores.
 */
public final class Target implements Serializable {
  /** What the target's number means. */
  public enum Kind {
    RATE,
    COUNT,
    THRESHOLD,
    RANDOM_RATE,
    RANDOM_COUNT
  }

  private final Kind kind;
  private final double value;

  private Target(Kind kind, double value) {
    this.kind = kind;
    this.value = value;
  }

  /** The best {@code rate x N} documents, {@code rate} in [0, 1]. */
  public static Target rate(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    return new Target(Kind.RATE, rate);
  }

  /** The best {@code min(count, N)} documents. */
  public static Target count(long count) {
    checkArgument(count >= 0, "count must be >= 0, got %s", count);
    return new Target(Kind.COUNT, count);
  }

  /** Every document whose score is at least as good as {@code threshold} under the order. */
  public static Target threshold(double threshold) {
    checkArgument(Double.isFinite(threshold), "threshold must be finite, got %s", threshold);
    return new Target(Kind.THRESHOLD, threshold);
  }

  /** {@code rate x N} documents in expectation, each kept iff its hash is below the rate. */
  public static Target randomRate(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    return new Target(Kind.RANDOM_RATE, rate);
  }

  /** {@code min(count, N)} documents in expectation, chosen by hash alone. */
  public static Target randomCount(long count) {
    checkArgument(count >= 0, "count must be >= 0, got %s", count);
    return new Target(Kind.RANDOM_COUNT, count);
  }

  public Kind kind() {
    return kind;
  }

  public double value() {
    return value;
  }

  /** The number of documents this target asks for out of {@code n} (expected; not for thresholds). */
  public double wanted(long n) {
    switch (kind) {
      case RATE:
      case RANDOM_RATE:
        return value * n;
      case COUNT:
      case RANDOM_COUNT:
        return Math.min(value, n);
      default:
        throw new IllegalStateException("a threshold target wants no fixed number");
    }
  }

  /** A short label: {@code 0.2}, {@code n1000}, {@code ge0.9}. */
  public String label() {
    switch (kind) {
      case RATE:
      case RANDOM_RATE:
        return trim(value);
      case COUNT:
      case RANDOM_COUNT:
        return "n" + (long) value;
      default:
        return "t" + trim(value);
    }
  }

  private static String trim(double v) {
    String s = String.format(Locale.ROOT, "%s", v);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Target && ((Target) o).kind == kind && Double.compare(((Target) o).value, value) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, value);
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(Locale.ROOT) + "(" + value + ")";
  }
}
