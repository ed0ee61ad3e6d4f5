package dev.dataselect.pipelines.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * A mergeable histogram over fixed bins, so histograms built on different workers (and the kept
 * and dropped halves of one decision) share their bin edges and add exactly. Bins are sparse: only
 * bins that hold a value take memory, so the size is bounded by the number of bins, not the data.
 */
final class Histogram implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Bins of a probability: {@value #UNIT_BINS} equal bins over [0, 1]. */
  static final int UNIT_BINS = 50;
  /** Bins of a positive score (density, perplexity): {@value #LOG_BINS_PER_DECADE} per decade. */
  static final int LOG_BINS_PER_DECADE = 10;

  private final RunReport.Scale scale;
  private final TreeMap<Integer, Long> bins = new TreeMap<>();
  private long count;
  /** Values the scale cannot place: NaN, infinite, outside [0, 1] for a probability, not positive for a log scale. */
  private long outOfRange;
  private double sum;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;

  Histogram(RunReport.Scale scale) {
    this.scale = scale;
  }

  Histogram add(double x) {
    Integer bin = binOf(x);
    if (bin == null) {
      outOfRange++;
      return this;
    }
    bins.merge(bin, 1L, Long::sum);
    count++;
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
    return this;
  }

  Histogram merge(Histogram other) {
    other.bins.forEach((b, n) -> bins.merge(b, n, Long::sum));
    count += other.count;
    outOfRange += other.outOfRange;
    sum += other.sum;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
    return this;
  }

  private Integer binOf(double x) {
    if (!Double.isFinite(x)) {
      return null;
    }
    if (scale == RunReport.Scale.PROBABILITY) {
      return x < 0 || x > 1 ? null : Math.min(UNIT_BINS - 1, (int) Math.floor(x * UNIT_BINS));
    }
    return x <= 0 ? null : (int) Math.floor(Math.log10(x) * LOG_BINS_PER_DECADE);
  }

  double lowerEdge(int bin) {
    return scale == RunReport.Scale.PROBABILITY
        ? (double) bin / UNIT_BINS
        : Math.pow(10, (double) bin / LOG_BINS_PER_DECADE);
  }

  long count() {
    return count;
  }

  Map<Integer, Long> bins() {
    return bins;
  }

  /** A compact coder: the scale, the totals and the non-empty bins as (index, count) varints. */
  static final class HistogramCoder extends AtomicCoder<Histogram> {
    private static final HistogramCoder INSTANCE = new HistogramCoder();

    static HistogramCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Histogram h, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(out);
      VarInt.encode(h.scale.ordinal(), out);
      VarInt.encode(h.count, out);
      VarInt.encode(h.outOfRange, out);
      data.writeDouble(h.sum);
      data.writeDouble(h.min);
      data.writeDouble(h.max);
      VarInt.encode(h.bins.size(), out);
      for (Map.Entry<Integer, Long> e : h.bins.entrySet()) {
        VarInt.encode((e.getKey() << 1) ^ (e.getKey() >> 31), out); // zig-zag: log bins go negative
        VarInt.encode(e.getValue(), out);
      }
      data.flush();
    }

    @Override
    public Histogram decode(InputStream in) throws IOException {
      DataInputStream data = new DataInputStream(in);
      Histogram h = new Histogram(RunReport.Scale.values()[VarInt.decodeInt(in)]);
      h.count = VarInt.decodeLong(in);
      h.outOfRange = VarInt.decodeLong(in);
      h.sum = data.readDouble();
      h.min = data.readDouble();
      h.max = data.readDouble();
      int n = VarInt.decodeInt(in);
      for (int i = 0; i < n; i++) {
        int z = VarInt.decodeInt(in);
        h.bins.put((z >>> 1) ^ -(z & 1), VarInt.decodeLong(in));
      }
      return h;
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** {@code {count, outOfRange, min, max, mean, bins: [{lo, hi, count}]}}; min/max/mean are null when empty. */
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
    bins.forEach((b, n) -> out.addObject().put("lo", lowerEdge(b)).put("hi", lowerEdge(b + 1)).put("count", n));
  }
}
