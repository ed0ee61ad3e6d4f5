package dev.dataselect.pipelines.report;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.util.VarInt;

/**
 * A mergeable histogram of {@value #BINS} equal bins fitted to the range its scores take: linear
 * bins between the smallest and largest probability, log-spaced bins between the smallest and
 * largest positive score. Fixed bins over the whole scale (50 over [0, 1], 10 per decade) put a
 * density that spans less than a decade into four bars; fitted bins show its shape.
 *
 * <p>The range comes first, from a {@link RangeFn} combine over every series drawn against the
 * score (its histogram and the kept and dropped halves of its decisions), and reaches the
 * histograms as a side input: every series of one score then has the very same bin edges, so the
 * kept/dropped overlays line up with each other and with the score's histogram, and partial
 * histograms from different workers add bin by bin. Each value lands in exactly one bin by its own
 * value (no re-binning of a coarser histogram), so the counts are exact and sum to {@link #count()}.
 * The memory of one histogram is {@value #BINS} counts and five totals, whatever the corpus.
 */
final class Histogram implements Serializable {
  private static final long serialVersionUID = 2L;

  /** Equal bins between the smallest and the largest score (in log space for a positive score). */
  static final int BINS = 40;
  /**
   * When every score is the same value there is no span to divide: the bins then cover that value
   * ± {@value #DEGENERATE_HALF_SPAN} (relative for a positive score, absolute for a probability,
   * clipped to [0, 1]), so the chart shows one bar at the value.
   */
  static final double DEGENERATE_HALF_SPAN = 0.05;

  private final RunReport.Scale scale;
  private final Range range;
  /** The bins' lower and upper end in bin coordinates (log10 of a positive score); NaN when there are no bins. */
  private final double lo;
  private final double hi;
  private final long[] bins;
  private long count;
  /**
   * Values the scale cannot place (NaN, infinite, outside [0, 1] for a probability, not positive
   * for a log scale) and values outside the fitted range (none when the range covers every series).
   */
  private long outOfRange;
  private double sum;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;

  /** An empty histogram of {@code scale} with {@value #BINS} bins fitted to {@code range}, or none when the range is empty. */
  Histogram(RunReport.Scale scale, Range range) {
    this.scale = scale;
    this.range = range;
    if (range.isEmpty()) {
      lo = Double.NaN;
      hi = Double.NaN;
      bins = new long[0];
      return;
    }
    double a = coordinate(scale, range.min());
    double b = coordinate(scale, range.max());
    if (b > a) {
      lo = a;
      hi = b;
    } else if (scale == RunReport.Scale.POSITIVE) {
      lo = a + Math.log10(1 - DEGENERATE_HALF_SPAN);
      hi = a + Math.log10(1 + DEGENERATE_HALF_SPAN);
    } else if (scale == RunReport.Scale.LINEAR) {
      double half = DEGENERATE_HALF_SPAN * Math.max(1, Math.abs(a));
      lo = a - half;
      hi = a + half;
    } else {
      lo = Math.max(0, a - DEGENERATE_HALF_SPAN);
      hi = Math.min(1, a + DEGENERATE_HALF_SPAN);
    }
    bins = new long[BINS];
  }

  /** Whether {@code scale} can place {@code x} at all: finite, in [0, 1] for a probability, positive for a log scale, any for linear. */
  static boolean placeable(RunReport.Scale scale, double x) {
    if (!Double.isFinite(x)) {
      return false;
    }
    switch (scale) {
      case PROBABILITY:
        return x >= 0 && x <= 1;
      case LINEAR:
        return true;
      default:
        return x > 0;
    }
  }

  private static double coordinate(RunReport.Scale scale, double x) {
    return scale == RunReport.Scale.POSITIVE ? Math.log10(x) : x;
  }

  private double value(double coordinate) {
    return scale == RunReport.Scale.POSITIVE ? Math.pow(10, coordinate) : coordinate;
  }

  Histogram add(double x) {
    int bin = placeable(scale, x) ? binOf(coordinate(scale, x)) : -1;
    if (bin < 0) {
      outOfRange++;
      return this;
    }
    bins[bin]++;
    count++;
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
    return this;
  }

  /** The bin of coordinate {@code t}, the upper end in the last bin; -1 outside the bins. */
  private int binOf(double t) {
    if (bins.length == 0 || t < lo || t > hi) {
      return -1;
    }
    return Math.min(bins.length - 1, (int) Math.floor((t - lo) / (hi - lo) * bins.length));
  }

  /** Adds {@code other}, which must be binned alike (same scale, same range). */
  Histogram merge(Histogram other) {
    checkArgument(scale == other.scale && range.equals(other.range),
        "cannot merge histograms binned differently: %s %s and %s %s", scale, range, other.scale, other.range);
    for (int i = 0; i < bins.length; i++) {
      bins[i] += other.bins[i];
    }
    count += other.count;
    outOfRange += other.outOfRange;
    sum += other.sum;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
    return this;
  }

  /** The lower edge of bin {@code i}, the upper edge of the last bin for {@code i == bins}; exactly the range's ends when it has a span. */
  double edge(int i) {
    if (i == 0 && range.max() > range.min()) {
      return range.min();
    }
    if (i == bins.length && range.max() > range.min()) {
      return range.max();
    }
    return value(lo + (hi - lo) * i / bins.length);
  }

  long count() {
    return count;
  }

  long outOfRange() {
    return outOfRange;
  }

  /** The counts per bin (a copy). */
  long[] bins() {
    return bins.clone();
  }

  Range range() {
    return range;
  }

  /**
   * {@code {count, outOfRange, min, max, mean, bins: [{lo, hi, count}]}}: all {@value #BINS} bins,
   * empty ones too (none when nothing was placeable); min/max/mean are null when empty.
   */
  void writeTo(ObjectNode node) {
    node.put("count", count);
    node.put("outOfRange", outOfRange);
    if (count > 0) {
      node.put("min", min);
      node.put("max", max);
      node.put("mean", sum / count);
    } else {
      node.putNull("min");
      node.putNull("max");
      node.putNull("mean");
    }
    ArrayNode out = node.putArray("bins");
    for (int i = 0; i < bins.length; i++) {
      out.addObject().put("lo", edge(i)).put("hi", edge(i + 1)).put("count", bins[i]);
    }
  }

  /** {@code {scale, bins, lo, hi}}: how the series of one file are binned; lo and hi are null when there are no bins. */
  void writeBinning(ObjectNode node) {
    node.put("scale", scale.name()).put("bins", bins.length).put("spacing", scale == RunReport.Scale.POSITIVE ? "log" : "linear");
    if (bins.length > 0) {
      node.put("lo", edge(0)).put("hi", edge(bins.length));
    } else {
      node.putNull("lo").putNull("hi");
    }
  }

  /** The exact smallest and largest value of a series; empty (min > max) when it has none. */
  static final class Range implements Serializable {
    private static final long serialVersionUID = 1L;
    static final Range EMPTY = new Range(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);

    private final double min;
    private final double max;

    private Range(double min, double max) {
      this.min = min;
      this.max = max;
    }

    static Range of(double min, double max) {
      checkArgument(min <= max && Double.isFinite(min) && Double.isFinite(max), "a range needs finite min <= max, got [%s, %s]", min, max);
      return new Range(min, max);
    }

    double min() {
      return min;
    }

    double max() {
      return max;
    }

    boolean isEmpty() {
      return min > max;
    }

    Range with(double x) {
      return new Range(Math.min(min, x), Math.max(max, x));
    }

    Range union(Range other) {
      return new Range(Math.min(min, other.min), Math.max(max, other.max));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Range r && Double.compare(min, r.min) == 0 && Double.compare(max, r.max) == 0;
    }

    @Override
    public int hashCode() {
      return Double.hashCode(min) * 31 + Double.hashCode(max);
    }

    @Override
    public String toString() {
      return isEmpty() ? "[]" : "[" + min + ", " + max + "]";
    }
  }

  /** Two doubles. */
  static final class RangeCoder extends AtomicCoder<Range> {
    private static final RangeCoder INSTANCE = new RangeCoder();

    static RangeCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Range r, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      data.writeDouble(r.min);
      data.writeDouble(r.max);
      data.flush();
    }

    @Override
    public Range decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      return new Range(data.readDouble(), data.readDouble());
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** The range of the values {@code scale} can place: the first of the two passes; NaN and the like are left to the histogram to count. */
  static final class RangeFn extends Combine.CombineFn<Double, Range, Range> {
    private final RunReport.Scale scale;

    RangeFn(RunReport.Scale scale) {
      this.scale = scale;
    }

    @Override
    public Range createAccumulator() {
      return Range.EMPTY;
    }

    @Override
    public Range addInput(Range acc, Double x) {
      return placeable(scale, x) ? acc.with(x) : acc;
    }

    @Override
    public Range mergeAccumulators(Iterable<Range> accs) {
      Range out = Range.EMPTY;
      for (Range r : accs) {
        out = out.union(r);
      }
      return out;
    }

    @Override
    public Range extractOutput(Range acc) {
      return acc;
    }

    @Override
    public Coder<Range> getAccumulatorCoder(CoderRegistry r, Coder<Double> in) {
      return RangeCoder.of();
    }

    @Override
    public Coder<Range> getDefaultOutputCoder(CoderRegistry r, Coder<Double> in) {
      return RangeCoder.of();
    }
  }

  /**
   * A compact coder, as the DirectRunner re-encodes accumulators often: the scale, the range, the
   * totals and the {@value #BINS} counts as varints (one byte per empty bin).
   */
  static final class HistogramCoder extends AtomicCoder<Histogram> {
    private static final HistogramCoder INSTANCE = new HistogramCoder();

    static HistogramCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Histogram h, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      VarInt.encode(h.scale.ordinal(), out);
      RangeCoder.of().encode(h.range, out);
      VarInt.encode(h.count, out);
      VarInt.encode(h.outOfRange, out);
      data.writeDouble(h.sum);
      data.writeDouble(h.min);
      data.writeDouble(h.max);
      for (long n : h.bins) {
        VarInt.encode(n, out);
      }
      data.flush();
    }

    @Override
    public Histogram decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      RunReport.Scale scale = RunReport.Scale.values()[VarInt.decodeInt(in)];
      Histogram h = new Histogram(scale, RangeCoder.of().decode(in));
      h.count = VarInt.decodeLong(in);
      h.outOfRange = VarInt.decodeLong(in);
      h.sum = data.readDouble();
      h.min = data.readDouble();
      h.max = data.readDouble();
      for (int i = 0; i < h.bins.length; i++) {
        h.bins[i] = VarInt.decodeLong(in);
      }
      return h;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
