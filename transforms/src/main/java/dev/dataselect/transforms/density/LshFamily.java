package dev.dataselect.transforms.density;

/** The locality-sensitive hash family of a RACE sketch row. */
public enum LshFamily {
  /**
   * p-stable (L2) hashing: {@code h(x) = floor((a.x + b) / w)}, {@code a} standard Gaussian, {@code
   * b} uniform in [0, w). Two points at L2 distance {@code c} collide with probability {@code erf(u
   * / sqrt 2) - 2 (1 - exp(-u^2 / 2)) / (u sqrt(2 pi))}, {@code u = w / c} (Datar et al.).
   */
  P_STABLE,
  /**
   * Sign-random-projection (cosine) hashing: one bit {@code a.x >= 0}, {@code a} standard Gaussian.
   * Two points at angle {@code theta} collide with probability {@code 1 - theta / pi}.
   */
  SIGNED_RANDOM_PROJECTION
}
