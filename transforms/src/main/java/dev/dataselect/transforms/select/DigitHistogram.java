package dev.dataselect.transforms.select;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Counts of 16-bit digits, one table of 65,536 counts per selection target that is still open: the
 * whole state of one radix-select pass, merged by addition. Its size does not depend on the number
 * of documents (at most {@code targets x 65,536} counts, sent sparsely), which is what lets a
 * threshold be found over a billion scores with no sort and no sample.
 */
public final class DigitHistogram implements java.io.Serializable {
  private final Map<Integer, long[]> tables = new TreeMap<>();

  public DigitHistogram add(int target, int digit) {
    tables.computeIfAbsent(target, t -> new long[Cut.DIGITS])[digit]++;
    return this;
  }

  public DigitHistogram merge(DigitHistogram other) {
    for (Map.Entry<Integer, long[]> e : other.tables.entrySet()) {
      long[] mine = tables.computeIfAbsent(e.getKey(), t -> new long[Cut.DIGITS]);
      long[] theirs = e.getValue();
      for (int d = 0; d < Cut.DIGITS; d++) {
        mine[d] += theirs[d];
      }
    }
    return this;
  }

  /** The counts of one target (all zero when nothing was added for it). */
  public long[] table(int target) {
    long[] t = tables.get(target);
    return t == null ? new long[Cut.DIGITS] : t;
  }

  /** How many tables are held: the memory bound is this times 65,536 counts. */
  public int tableCount() {
    return tables.size();
  }

  public long total(int target) {
    long n = 0;
    for (long c : table(target)) {
      n += c;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DigitHistogram)) {
      return false;
    }
    Map<Integer, long[]> other = ((DigitHistogram) o).tables;
    if (!tables.keySet().equals(other.keySet())) {
      return false;
    }
    return tables.entrySet().stream().allMatch(e -> java.util.Arrays.equals(e.getValue(), other.get(e.getKey())));
  }

  @Override
  public int hashCode() {
    return tables.keySet().hashCode();
  }

  /** Sparse: per table, its non-zero (digit, count) pairs. */
  public static final class DigitHistogramCoder extends AtomicCoder<DigitHistogram> {
    private static final DigitHistogramCoder INSTANCE = new DigitHistogramCoder();

    public static DigitHistogramCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(DigitHistogram h, OutputStream out) throws IOException {
      VarIntCoder.of().encode(h.tables.size(), out);
      for (Map.Entry<Integer, long[]> e : h.tables.entrySet()) {
        VarIntCoder.of().encode(e.getKey(), out);
        long[] t = e.getValue();
        int nonZero = 0;
        for (long c : t) {
          nonZero += c != 0 ? 1 : 0;
        }
        VarIntCoder.of().encode(nonZero, out);
        for (int d = 0; d < t.length; d++) {
          if (t[d] != 0) {
            VarIntCoder.of().encode(d, out);
            VarLongCoder.of().encode(t[d], out);
          }
        }
      }
    }

    @Override
    public DigitHistogram decode(InputStream in) throws IOException {
      DigitHistogram h = new DigitHistogram();
      int tables = VarIntCoder.of().decode(in);
      for (int i = 0; i < tables; i++) {
        long[] t = h.tables.computeIfAbsent(VarIntCoder.of().decode(in), k -> new long[Cut.DIGITS]);
        int nonZero = VarIntCoder.of().decode(in);
        for (int j = 0; j < nonZero; j++) {
          t[VarIntCoder.of().decode(in)] = VarLongCoder.of().decode(in);
        }
      }
      return h;
    }
  }
}
