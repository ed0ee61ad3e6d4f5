package dev.dataselect.transforms.density;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.SplittableRandom;

/**
 * The hash functions of a RACE sketch: one LSH function per row, each the concatenation of {@code
 * K} functions of an {@link LshFamily}, reduced to a bucket in [0, B).
 *
 * <p>The parameters (Gaussian projections, uniform offsets) are drawn from {@code
 * SplittableRandom(seed)} in a fixed order (row, then function, then coordinate), with Gaussians by
 * Box-Muller in {@link StrictMath}: every worker that builds {@code RaceHashes} from the same
 * settings gets bit-identical functions, which is what lets pass 1 (sketch) and pass 2 (score) run
 * on different machines. Per-document decisions never use this generator.
 *
 * <p>Bucket reduction: an SRP row yields a K-bit code, used as is when {@code 2^K <= B}; a p-stable
 * row with K = 1 yields the integer {@code h}, reduced {@code floorMod(h, B)} (exact when the
 * values of {@code h} over the data span fewer than B integers, which they do for B in the
 * thousands and w near the data's scale). Otherwise the K values are mixed into 64 bits and reduced
 * mod B, which adds a spurious collision probability of about {@code 1/B} per pair.
 */
public final class RaceHashes {
  private final LshFamily family;
  private final int rows;
  private final int hashesPerRow;
  private final int buckets;
  private final double bucketWidth;
  private final int dimension;
  private final float[] projections; // (rows * hashesPerRow) x dimension
  private final double[] offsets; // rows * hashesPerRow, p-stable only

  private RaceHashes(
      LshFamily family,
      int rows,
      int hashesPerRow,
      int buckets,
      double bucketWidth,
      int dimension,
      long seed) {
    this.family = family;
    this.rows = rows;
    this.hashesPerRow = hashesPerRow;
    this.buckets = buckets;
    this.bucketWidth = bucketWidth;
    this.dimension = dimension;
    int functions = rows * hashesPerRow;
    this.projections = new float[Math.multiplyExact(functions, dimension)];
    this.offsets = new double[functions];
    SplittableRandom random = new SplittableRandom(seed);
    for (int f = 0; f < functions; f++) {
      for (int c = 0; c < dimension; c++) {
        projections[f * dimension + c] = (float) gaussian(random);
      }
      offsets[f] = family == LshFamily.P_STABLE ? random.nextDouble() * bucketWidth : 0.0;
    }
  }

  /**
   * Hash functions for embeddings of {@code dimension}. {@code bucketWidth} (w) is used by {@link
   * LshFamily#P_STABLE} only.
   */
  public static RaceHashes create(
      LshFamily family,
      int rows,
      int hashesPerRow,
      int buckets,
      double bucketWidth,
      int dimension,
      long seed) {
    checkArgument(rows >= 1, "rows must be >= 1, got %s", rows);
    checkArgument(hashesPerRow >= 1, "hashesPerRow must be >= 1, got %s", hashesPerRow);
    checkArgument(buckets >= 1, "buckets must be >= 1, got %s", buckets);
    checkArgument(
        bucketWidth > 0 && Double.isFinite(bucketWidth),
        "bucketWidth must be finite and > 0, got %s",
        bucketWidth);
    checkArgument(dimension >= 1, "dimension must be >= 1, got %s", dimension);
    return new RaceHashes(family, rows, hashesPerRow, buckets, bucketWidth, dimension, seed);
  }

  /** A standard normal by Box-Muller, from two uniforms; StrictMath for bit reproducibility. */
  private static double gaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble(); // (0, 1]
    double u2 = random.nextDouble();
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
  }

  public int rows() {
    return rows;
  }

  public int buckets() {
    return buckets;
  }

  public int dimension() {
    return dimension;
  }

  /** The bucket of {@code x} (a row of {@code d} floats at {@code offset}) in every row. */
  public void bucketsOf(float[] x, int offset, int[] out) {
    for (int row = 0; row < rows; row++) {
      long code = 0;
      long mixed = 0x9e3779b97f4a7c15L * (row + 1);
      for (int k = 0; k < hashesPerRow; k++) {
        int f = row * hashesPerRow + k;
        double dot = 0;
        int p = f * dimension;
        for (int c = 0; c < dimension; c++) {
          dot += (double) projections[p + c] * x[offset + c];
        }
        if (family == LshFamily.SIGNED_RANDOM_PROJECTION) {
          code |= (dot >= 0 ? 1L : 0L) << k;
        } else {
          code = (long) Math.floor((dot + offsets[f]) / bucketWidth);
          mixed = mix(mixed ^ code);
        }
      }
      out[row] = reduce(code, mixed);
    }
  }

  /** The bucket of {@code x} in every row. */
  public int[] bucketsOf(float[] x) {
    checkArgument(
        x.length == dimension, "vector has dimension %s, hashes expect %s", x.length, dimension);
    int[] out = new int[rows];
    bucketsOf(x, 0, out);
    return out;
  }

  private int reduce(long code, long mixed) {
    if (family == LshFamily.SIGNED_RANDOM_PROJECTION) {
      if (hashesPerRow < 63 && (1L << hashesPerRow) <= buckets) {
        return (int) code;
      }
      return (int) Math.floorMod(mix(code), (long) buckets);
    }
    if (hashesPerRow == 1) {
      return (int) Math.floorMod(code, (long) buckets);
    }
    return (int) Math.floorMod(mixed, (long) buckets);
  }

  /** The splitmix64 finaliser: a bijection of 64-bit values that spreads every input bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * The probability that one row puts {@code a} and {@code b} in the same bucket, ignoring the
   * spurious collisions of the mod-B reduction: {@code p^K} with p the family's single-function
   * collision probability. The RACE score is an unbiased estimate of the mean of this kernel.
   */
  public double collisionProbability(float[] a, float[] b) {
    double p;
    if (family == LshFamily.SIGNED_RANDOM_PROJECTION) {
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (int c = 0; c < a.length; c++) {
        dot += (double) a[c] * b[c];
        na += (double) a[c] * a[c];
        nb += (double) b[c] * b[c];
      }
      double cos = na == 0 || nb == 0 ? 1.0 : dot / Math.sqrt(na * nb);
      p = 1.0 - StrictMath.acos(Math.max(-1.0, Math.min(1.0, cos))) / Math.PI;
    } else {
      double s = 0;
      for (int c = 0; c < a.length; c++) {
        double diff = (double) a[c] - b[c];
        s += diff * diff;
      }
      p = pStableCollision(Math.sqrt(s), bucketWidth);
    }
    return StrictMath.pow(p, hashesPerRow);
  }

  /**
   * Collision probability of one p-stable function of width {@code w} for two points at L2 distance
   * {@code c}: with {@code u = w / c}, {@code erf(u / sqrt 2) - 2 (1 - exp(-u^2/2)) / (u sqrt(2
   * pi))}; 1 at distance 0.
   */
  public static double pStableCollision(double c, double w) {
    if (c <= 0) {
      return 1.0;
    }
    double u = w / c;
    return erf(u / Math.sqrt(2))
        - 2 * (1 - StrictMath.exp(-u * u / 2)) / (u * Math.sqrt(2 * Math.PI));
  }

  /**
   * The error function, to ~1e-14: its Maclaurin series below 2.5, the continued fraction of erfc
   * above (60 terms, evaluated from the tail).
   */
  static double erf(double x) {
    if (x < 0) {
      return -erf(-x);
    }
    if (x < 2.5) {
      double term = x;
      double sum = x;
      for (int n = 1; n < 200; n++) {
        term *= -x * x / n;
        double add = term / (2 * n + 1);
        sum += add;
        if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
          break;
        }
      }
      return 2 / Math.sqrt(Math.PI) * sum;
    }
    if (x > 27) {
      return 1.0;
    }
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
    double f = x;
    for (int n = 60; n >= 1; n--) {
      f = x + (n / 2.0) / f;
    }
    return 1 - StrictMath.exp(-x * x) / Math.sqrt(Math.PI) / f;
  }
}
