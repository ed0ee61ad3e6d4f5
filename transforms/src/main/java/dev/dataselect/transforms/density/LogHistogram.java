package dev.dataselect.transforms.density;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * A mergeable histogram of densities on a logarithmic grid with relative accuracy {@code alpha}
 * (the bins of DDSketch): with {@code gamma = (1 + alpha) / (1 - alpha)}, a density {@code x > 0}
 * falls in bin {@code i = ceil(log(x) / log(gamma))}, i.e. {@code (gamma^(i-1), gamma^i]}, whose
 * representative value {@code 2 gamma^i / (gamma + 1)} is within a factor {@code 1 +- alpha} of
 * every density in it. Zeros are counted apart.
 *
 * <p>Counts are exact, so merging is exact and order-independent. At most {@link #MAX_BINS} bins
 * are kept: bins more than {@code MAX_BINS - 1} below the highest occupied bin are folded into the
 * lowest kept one (a function of the highest bin only, so it too is order-independent). With alpha
 * = 0.001 that spans densities over a factor of about 1e57, far more than kernel densities span.
 *
 * <p>Mutable: {@link #add} and {@link #merge} change it in place (it is a combiner accumulator).
 */
public final class LogHistogram {
  /** The most bins a histogram keeps. */
  public static final int MAX_BINS = 1 << 16;

  private final double alpha;
  private final double logGamma;
  private long zeros;
  private long[] counts = new long[0];
  private int lowIndex; // bin index of counts[0]
  private int highIndex = Integer.MIN_VALUE; // highest occupied bin, MIN_VALUE if none

  private LogHistogram(double alpha) {
    this.alpha = alpha;
    this.logGamma = logGamma(alpha);
  }

  /** An empty histogram with relative accuracy {@code alpha} in (0, 0.5). */
  public static LogHistogram withRelativeAccuracy(double alpha) {
    checkArgument(alpha > 0 && alpha < 0.5, "alpha must be in (0, 0.5), got %s", alpha);
    return new LogHistogram(alpha);
  }

  static double logGamma(double alpha) {
    return StrictMath.log((1 + alpha) / (1 - alpha));
  }

  /** The unclamped bin of a density {@code x > 0}; StrictMath so that every worker agrees. */
  static int rawIndex(double x, double logGamma) {
    return (int) Math.ceil(StrictMath.log(x) / logGamma);
  }

  /** The representative value of bin {@code i}: {@code 2 gamma^i / (gamma + 1)}. */
  static double representative(int i, double logGamma) {
    double gamma = StrictMath.exp(logGamma);
    return 2 * StrictMath.exp(i * logGamma) / (gamma + 1);
  }

  /** The lowest bin kept when {@code high} is the highest occupied bin. */
  static int floorIndex(int high) {
    return high == Integer.MIN_VALUE ? Integer.MIN_VALUE : high - (MAX_BINS - 1);
  }

  public double alpha() {
    return alpha;
  }

  double logGamma() {
    return logGamma;
  }

  /** Adds a density, which must be finite and >= 0. */
  public LogHistogram add(double density) {
    checkArgument(
        density >= 0 && Double.isFinite(density),
        "density must be finite and >= 0, got %s",
        density);
    if (density == 0) {
      zeros++;
    } else {
      addToBin(rawIndex(density, logGamma), 1);
    }
    return this;
  }

  /** Adds the counts of {@code other}, which must have the same alpha. */
  public LogHistogram merge(LogHistogram other) {
    checkArgument(
        Double.compare(alpha, other.alpha) == 0,
        "cannot merge a histogram of alpha %s into one of alpha %s",
        other.alpha,
        alpha);
    zeros += other.zeros;
    for (int k = 0; k < other.counts.length; k++) {
      if (other.counts[k] != 0) {
        addToBin(other.lowIndex + k, other.counts[k]);
      }
    }
    return this;
  }

  private void addToBin(int index, long n) {
    if (index > highIndex) {
      highIndex = index;
    }
    int floor = floorIndex(highIndex);
    if (index < floor) {
      index = floor;
    }
    if (counts.length == 0) {
      lowIndex = Math.max(floor, index - 32);
      counts = new long[64];
    }
    if (lowIndex < floor) {
      // Fold the bins below the floor into the floor bin.
      int cut = (int) Math.min(counts.length, (long) floor - lowIndex);
      long folded = 0;
      for (int k = 0; k < cut; k++) {
        folded += counts[k];
      }
      counts = cut < counts.length ? Arrays.copyOfRange(counts, cut, counts.length) : new long[1];
      lowIndex = floor;
      counts[0] += folded;
    }
    ensureRange(index);
    counts[index - lowIndex] += n;
  }

  /** Grows the array to cover {@code index}, with slack on the growing side, never below floor. */
  private void ensureRange(int index) {
    int high = lowIndex + counts.length - 1;
    if (index >= lowIndex && index <= high) {
      return;
    }
    int newLow = lowIndex;
    int newHigh = high;
    if (index < lowIndex) {
      newLow = Math.max(floorIndex(highIndex), index - counts.length / 2);
    } else {
      newHigh = index + counts.length / 2;
    }
    long[] grown = new long[newHigh - newLow + 1];
    System.arraycopy(counts, 0, grown, lowIndex - newLow, counts.length);
    counts = grown;
    lowIndex = newLow;
  }

  /** The number of densities added. */
  public long total() {
    long n = zeros;
    for (long c : counts) {
      n += c;
    }
    return n;
  }

  public long zeros() {
    return zeros;
  }

  /** The bin a density falls in, after folding; {@code Integer.MIN_VALUE} for 0. */
  int binOf(double density) {
    return binOf(density, logGamma, highIndex);
  }

  static int binOf(double density, double logGamma, int highIndex) {
    if (density == 0) {
      return Integer.MIN_VALUE;
    }
    return Math.max(rawIndex(density, logGamma), floorIndex(highIndex));
  }

  int highIndex() {
    return highIndex;
  }

  /**
   * The occupied bins in increasing order, as {index, count} pairs (index in [0], count in [1]).
   */
  long[][] occupiedBins() {
    int n = 0;
    for (long c : counts) {
      if (c != 0) {
        n++;
      }
    }
    long[][] bins = new long[n][];
    int j = 0;
    for (int k = 0; k < counts.length; k++) {
      if (counts[k] != 0) {
        bins[j++] = new long[] {lowIndex + k, counts[k]};
      }
    }
    return bins;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LogHistogram)) {
      return false;
    }
    LogHistogram h = (LogHistogram) o;
    return Double.compare(alpha, h.alpha) == 0
        && zeros == h.zeros
        && Arrays.deepEquals(occupiedBins(), h.occupiedBins());
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(occupiedBins()) * 31 + Long.hashCode(zeros);
  }

  @Override
  public String toString() {
    return "LogHistogram{alpha=" + alpha + ", n=" + total() + ", zeros=" + zeros + "}";
  }

  /**
   * A deterministic coder: alpha, the zero count, the number of occupied bins, then each as (index
   * gap from the previous, count) in var-ints, in increasing index order.
   */
  public static final class LogHistogramCoder extends AtomicCoder<LogHistogram> {
    private static final LogHistogramCoder INSTANCE = new LogHistogramCoder();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();

    public static LogHistogramCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(LogHistogram h, OutputStream out) throws IOException {
      DOUBLE.encode(h.alpha, out);
      LONG.encode(h.zeros, out);
      long[][] bins = h.occupiedBins();
      INT.encode(bins.length, out);
      long previous = 0;
      for (int k = 0; k < bins.length; k++) {
        LONG.encode(k == 0 ? bins[k][0] : bins[k][0] - previous, out);
        LONG.encode(bins[k][1], out);
        previous = bins[k][0];
      }
    }

    @Override
    public LogHistogram decode(InputStream in) throws IOException {
      double alpha = DOUBLE.decode(in);
      if (!(alpha > 0 && alpha < 0.5)) {
        throw new CoderException("bad LogHistogram alpha " + alpha);
      }
      LogHistogram h = new LogHistogram(alpha);
      h.zeros = LONG.decode(in);
      int n = INT.decode(in);
      long index = 0;
      for (int k = 0; k < n; k++) {
        index = k == 0 ? LONG.decode(in) : index + LONG.decode(in);
        h.addToBin((int) index, LONG.decode(in));
      }
      return h;
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
