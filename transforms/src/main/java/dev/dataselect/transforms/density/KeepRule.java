package dev.dataselect.transforms.density;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * A global sampling decision reduced to a per-document keep probability: a document of density
 * {@code x} is kept iff {@code Hashes.unit(id, seed) < probability(x)}. Solved once from a {@link
 * LogHistogram} of all densities, then applied by a filter; nothing else needs the whole corpus.
 *
 * <p>Densities are read through the histogram's bins (the same function the histogram used), so a
 * rule and its histogram always agree on which bin a density is in:
 *
 * <ul>
 *   <li>{@link #inversePropensity}: {@code p = min(1, c / v)}, v the density's bin representative,
 *       c solved exactly (piecewise-linear, no iteration) so that the histogram's sum of {@code p}
 *       is {@code rate x N}. Since the bin counts are exact, the expected kept count is {@code rate
 *       x N} up to rounding; the histogram's accuracy alpha only makes densities within a factor
 *       {@code (1 + alpha) / (1 - alpha)} share a probability. The kept count is a sum of
 *       independent Bernoulli(p) draws: standard deviation {@code sqrt(sum p (1 - p)) <= sqrt(rate
 *       x N)}. Zero densities (nothing nearby) get p = 1 unless the target is below their count.
 *   <li>{@link #densest} / {@link #sparsest} (top-k / bottom-k by density): every bin above (below)
 *       a boundary bin is kept, the boundary bin is kept with the fraction that makes the expected
 *       count {@code rate x N}, so ties (densities in one bin) are broken by hash.
 * </ul>
 */
public final class KeepRule {
  /** How a rule chooses. */
  public enum Kind {
    INVERSE_PROPENSITY,
    DENSEST,
    SPARSEST
  }

  private final Kind kind;
  private final double logGamma;
  private final int highIndex;
  private final double c;
  private final double zeroProbability;
  private final int boundary;
  private final double boundaryFraction;

  private KeepRule(
      Kind kind,
      double logGamma,
      int highIndex,
      double c,
      double zeroProbability,
      int boundary,
      double boundaryFraction) {
    this.kind = kind;
    this.logGamma = logGamma;
    this.highIndex = highIndex;
    this.c = c;
    this.zeroProbability = zeroProbability;
    this.boundary = boundary;
    this.boundaryFraction = boundaryFraction;
  }

  private static void checkRate(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
  }

  /** Inverse-propensity sampling: keep with {@code p = min(1, c / density)}, sum p = rate x N. */
  public static KeepRule inversePropensity(LogHistogram h, double rate) {
    checkRate(rate);
    double lg = h.logGamma();
    double target = rate * h.total();
    long zeros = h.zeros();
    if (target <= 0) {
      return new KeepRule(Kind.INVERSE_PROPENSITY, lg, h.highIndex(), 0, 0, 0, 0);
    }
    if (target <= zeros) {
      return new KeepRule(Kind.INVERSE_PROPENSITY, lg, h.highIndex(), 0, target / zeros, 0, 0);
    }
    double rest = target - zeros;
    long[][] bins = h.occupiedBins();
    long nonzero = h.total() - zeros;
    if (rest >= nonzero) {
      return new KeepRule(
          Kind.INVERSE_PROPENSITY, lg, h.highIndex(), Double.POSITIVE_INFINITY, 1, 0, 0);
    }
    double[] v = new double[bins.length];
    double[] suffix = new double[bins.length + 1];
    for (int j = bins.length - 1; j >= 0; j--) {
      v[j] = LogHistogram.representative((int) bins[j][0], lg);
      suffix[j] = suffix[j + 1] + bins[j][1] / v[j];
    }
    // For c in [v[j-1], v[j]): sum p = kept + c * suffix[j], kept = count of bins below j.
    double kept = 0;
    double solved = v[bins.length - 1];
    for (int j = 0; j < bins.length; j++) {
      double candidate = (rest - kept) / suffix[j];
      if (candidate < v[j]) {
        solved = candidate;
        break;
      }
      kept += bins[j][1];
    }
    return new KeepRule(Kind.INVERSE_PROPENSITY, lg, h.highIndex(), solved, 1, 0, 0);
  }

  /** Top-k by density: keep the {@code rate x N} densest (in expectation), ties by hash. */
  public static KeepRule densest(LogHistogram h, double rate) {
    return extreme(Kind.DENSEST, h, rate);
  }

  /** Bottom-k by density: keep the {@code rate x N} sparsest (in expectation), ties by hash. */
  public static KeepRule sparsest(LogHistogram h, double rate) {
    return extreme(Kind.SPARSEST, h, rate);
  }

  private static KeepRule extreme(Kind kind, LogHistogram h, double rate) {
    checkRate(rate);
    long[][] occupied = h.occupiedBins();
    // All bins in increasing density, zeros first as bin MIN_VALUE.
    int offset = h.zeros() > 0 ? 1 : 0;
    long[][] bins = new long[occupied.length + offset][];
    if (offset == 1) {
      bins[0] = new long[] {Integer.MIN_VALUE, h.zeros()};
    }
    System.arraycopy(occupied, 0, bins, offset, occupied.length);
    double remaining = rate * h.total();
    int boundary = Integer.MIN_VALUE;
    double fraction = 1.0;
    for (int k = 0; k < bins.length; k++) {
      long[] bin = bins[kind == Kind.DENSEST ? bins.length - 1 - k : k];
      if (bin[1] <= remaining) {
        remaining -= bin[1];
        boundary = (int) bin[0];
        fraction = 1.0;
      } else {
        boundary = (int) bin[0];
        fraction = remaining / bin[1];
        break;
      }
    }
    return new KeepRule(kind, h.logGamma(), h.highIndex(), 0, 0, boundary, fraction);
  }

  public Kind kind() {
    return kind;
  }

  /** The inverse-propensity constant c (0 for the other kinds; infinite when all are kept). */
  public double c() {
    return c;
  }

  /** The probability of keeping a document of this density. */
  public double probability(double density) {
    checkArgument(
        density >= 0 && Double.isFinite(density),
        "density must be finite and >= 0, got %s",
        density);
    int bin = LogHistogram.binOf(density, logGamma, highIndex);
    switch (kind) {
      case INVERSE_PROPENSITY:
        if (density == 0) {
          return zeroProbability;
        }
        if (c == 0) {
          return 0;
        }
        return Math.min(1.0, c / LogHistogram.representative(bin, logGamma));
      case DENSEST:
        return bin > boundary ? 1.0 : bin == boundary ? boundaryFraction : 0.0;
      case SPARSEST:
        return bin < boundary ? 1.0 : bin == boundary ? boundaryFraction : 0.0;
      default:
        throw new AssertionError(kind);
    }
  }

  /** The decision for one document: {@code Hashes.unit(id, seed) < probability(density)}. */
  public boolean keep(String id, double density, long seed) {
    return Hashes.keep(id, seed, probability(density));
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof KeepRule)) {
      return false;
    }
    KeepRule r = (KeepRule) o;
    return kind == r.kind
        && Double.compare(logGamma, r.logGamma) == 0
        && highIndex == r.highIndex
        && Double.compare(c, r.c) == 0
        && Double.compare(zeroProbability, r.zeroProbability) == 0
        && boundary == r.boundary
        && Double.compare(boundaryFraction, r.boundaryFraction) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, c, boundary, boundaryFraction);
  }

  @Override
  public String toString() {
    return kind == Kind.INVERSE_PROPENSITY
        ? "KeepRule{inverse propensity, c=" + c + ", p(0)=" + zeroProbability + "}"
        : "KeepRule{"
            + kind
            + ", boundary bin="
            + boundary
            + ", fraction="
            + boundaryFraction
            + "}";
  }

  /** A deterministic coder: the kind, then the fields as fixed-width doubles and var-ints. */
  public static final class KeepRuleCoder extends AtomicCoder<KeepRule> {
    private static final KeepRuleCoder INSTANCE = new KeepRuleCoder();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    public static KeepRuleCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(KeepRule r, OutputStream out) throws IOException {
      INT.encode(r.kind.ordinal(), out);
      DOUBLE.encode(r.logGamma, out);
      INT.encode(r.highIndex, out);
      DOUBLE.encode(r.c, out);
      DOUBLE.encode(r.zeroProbability, out);
      INT.encode(r.boundary, out);
      DOUBLE.encode(r.boundaryFraction, out);
    }

    @Override
    public KeepRule decode(InputStream in) throws IOException {
      return new KeepRule(
          Kind.values()[INT.decode(in)],
          DOUBLE.decode(in),
          INT.decode(in),
          DOUBLE.decode(in),
          DOUBLE.decode(in),
          INT.decode(in),
          DOUBLE.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
