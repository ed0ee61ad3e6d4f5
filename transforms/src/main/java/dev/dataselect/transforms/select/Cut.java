package dev.dataselect.transforms.select;

import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Where one selection's boundary stands: every document whose key's top {@code 16 x level} bits
 * are above {@code prefix} is kept, every one below is dropped, and of the {@code groupCount}
 * documents in the boundary group {@code remaining} (in expectation) are still to be kept. Once the
 * boundary is resolved ({@link #isFinal}), a document of the boundary group is kept iff {@code
 * Hashes.unit(id, seed) < hashThreshold}: ties, and scores too close for the digits read, are broken
 * by hash. Level 0 means one group: every document (the random sampler, keep-all, keep-none).
 */
public final class Cut implements Serializable {
  static final int DIGIT_BITS = 16;
  static final int DIGITS = 1 << DIGIT_BITS;
  static final int MAX_LEVEL = 64 / DIGIT_BITS;

  private final int level;
  private final long prefix;
  private final double remaining;
  private final long groupCount;
  private final double hashThreshold; // NaN until final

  Cut(int level, long prefix, double remaining, long groupCount, double hashThreshold) {
    this.level = level;
    this.prefix = prefix;
    this.remaining = remaining;
    this.groupCount = groupCount;
    this.hashThreshold = hashThreshold;
  }

  /** Not yet resolved: the whole corpus is the boundary group and {@code wanted} are to be kept. */
  static Cut open(double wanted, long n) {
    return new Cut(0, 0, wanted, n, Double.NaN);
  }

  /** Resolved: in the group at (level, prefix), keep iff the hash is below {@code threshold}. */
  static Cut resolved(int level, long prefix, double threshold, long groupCount) {
    return new Cut(level, prefix, Math.max(0, threshold) * groupCount, groupCount, Math.max(0, Math.min(1, threshold)));
  }

  public boolean isFinal() {
    return !Double.isNaN(hashThreshold);
  }

  public int level() {
    return level;
  }

  public long prefix() {
    return prefix;
  }

  public double remaining() {
    return remaining;
  }

  public long groupCount() {
    return groupCount;
  }

  public double hashThreshold() {
    return hashThreshold;
  }

  /** -1, 0 or 1 as the key lies below, in or above the boundary group. */
  int side(long key) {
    if (level == 0) {
      return 0;
    }
    long top = level == MAX_LEVEL ? key : key >>> (64 - DIGIT_BITS * level);
    return Long.signum(Long.compareUnsigned(top, prefix));
  }

  /** The decision for a document of this key (a final cut only). */
  public boolean keep(String id, long key, long seed) {
    int side = side(key);
    return side > 0 || (side == 0 && Hashes.keep(id, seed, hashThreshold));
  }

  @Override
  public String toString() {
    return isFinal()
        ? String.format("Cut{level=%d, prefix=%x, keep boundary group of %d below hash %.6g}", level, prefix, groupCount, hashThreshold)
        : String.format("Cut{level=%d, prefix=%x, %.1f of %d still to keep}", level, prefix, remaining, groupCount);
  }

  /** One cut per target, in target order. */
  public static final class Cuts implements Serializable {
    private final List<Cut> cuts;
    private final long total;

    Cuts(List<Cut> cuts, long total) {
      this.cuts = List.copyOf(cuts);
      this.total = total;
    }

    public List<Cut> cuts() {
      return cuts;
    }

    public Cut get(int i) {
      return cuts.get(i);
    }

    public int size() {
      return cuts.size();
    }

    /** The number of scored (finite) documents the cuts were solved over. */
    public long total() {
      return total;
    }

    @Override
    public String toString() {
      return "Cuts{n=" + total + ", " + cuts + "}";
    }
  }

  /** Deterministic coder of {@link Cuts}. */
  public static final class CutsCoder extends AtomicCoder<Cuts> {
    private static final CutsCoder INSTANCE = new CutsCoder();

    public static CutsCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Cuts value, OutputStream out) throws IOException {
      VarLongCoder.of().encode(value.total, out);
      VarIntCoder.of().encode(value.cuts.size(), out);
      for (Cut c : value.cuts) {
        VarIntCoder.of().encode(c.level, out);
        VarLongCoder.of().encode(c.prefix, out);
        DoubleCoder.of().encode(c.remaining, out);
        VarLongCoder.of().encode(c.groupCount, out);
        DoubleCoder.of().encode(c.hashThreshold, out);
      }
    }

    @Override
    public Cuts decode(InputStream in) throws IOException {
      long total = VarLongCoder.of().decode(in);
      int n = VarIntCoder.of().decode(in);
      List<Cut> cuts = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        cuts.add(new Cut(VarIntCoder.of().decode(in), VarLongCoder.of().decode(in), DoubleCoder.of().decode(in),
            VarLongCoder.of().decode(in), DoubleCoder.of().decode(in)));
      }
      return new Cuts(cuts, total);
    }

    @Override
    public void verifyDeterministic() {}
  }
}
