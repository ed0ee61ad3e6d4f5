package dev.dataselect.transforms.density;

import static com.google.common.base.Preconditions.checkArgument;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * A RACE sketch (Coleman and Shrivastava, 2020): an R x B table of counters, where adding a point
 * increments, in every row r, the counter of the bucket its r-th LSH function puts it in. Memory is
 * R x B ints whatever the number of points; sketches of disjoint parts of a corpus merge by adding
 * their counters, exactly.
 *
 * <p>Scores are normalised and exclude the point itself: a point {@code x} that was added collides
 * with itself in every row, so {@code score(x) = (mean_r S[r, h_r(x)] - 1) / (N - 1)} is an
 * unbiased estimate of the mean over the other N - 1 points of the collision probability {@link
 * RaceHashes#collisionProbability} (the LSH kernel), in [0, 1], on the same scale as the reference
 * KDE. Each row's term lies in [0, 1], so by Hoeffding the estimate is within {@code sqrt(ln(2 /
 * delta) / (2 R))} of that mean with probability {@code 1 - delta}.
 *
 * <p>Mutable: {@link #add} and {@link #merge} change it in place (it is a combiner accumulator).
 * The counter table is allocated on the first add, so an empty sketch costs nothing. A bucket holds
 * at most {@code 2^31 - 1} points; more throws {@link ArithmeticException} rather than wrap.
 */
public final class RaceSketch {
  private final int rows;
  private final int buckets;
  private int dimension; // 0 while empty
  private int[] counts; // rows x buckets, null while empty
  private long points; // the sum of any row, kept so that scoring is O(R)

  private RaceSketch(int rows, int buckets, int dimension, int[] counts) {
    this.rows = rows;
    this.buckets = buckets;
    this.dimension = dimension;
    this.counts = counts;
    long n = 0;
    for (int b = 0; counts != null && b < buckets; b++) {
      n += counts[b];
    }
    this.points = n;
  }

  /** An empty sketch of {@code rows} x {@code buckets} counters. */
  public static RaceSketch empty(int rows, int buckets) {
    checkArgument(rows >= 1, "rows must be >= 1, got %s", rows);
    checkArgument(buckets >= 1, "buckets must be >= 1, got %s", buckets);
    checkArgument(
        (long) rows * buckets <= Integer.MAX_VALUE - 8,
        "rows x buckets must be < 2^31, got %s x %s",
        rows,
        buckets);
    return new RaceSketch(rows, buckets, 0, null);
  }

  public int rows() {
    return rows;
  }

  public int buckets() {
    return buckets;
  }

  /** The dimension of the points added, 0 if none was. */
  public int dimension() {
    return dimension;
  }

  /** The number of points added: the sum of any one row (row 0). */
  public long count() {
    return points;
  }

  public int count(int row, int bucket) {
    return counts == null ? 0 : counts[row * buckets + bucket];
  }

  /** Adds one point of {@code dimension}, given its bucket in every row. */
  public RaceSketch add(int[] bucketOfRow, int pointDimension) {
    checkArgument(
        bucketOfRow.length == rows, "%s buckets for a sketch of %s rows", bucketOfRow.length, rows);
    claimDimension(pointDimension);
    if (counts == null) {
      counts = new int[rows * buckets];
    }
    for (int r = 0; r < rows; r++) {
      int i = r * buckets + bucketOfRow[r];
      counts[i] = Math.addExact(counts[i], 1);
    }
    points++;
    return this;
  }

  /** Adds {@code other}'s counters to this sketch's. */
  public RaceSketch merge(RaceSketch other) {
    checkArgument(
        rows == other.rows && buckets == other.buckets,
        "cannot merge a %sx%s sketch into a %sx%s sketch",
        other.rows,
        other.buckets,
        rows,
        buckets);
    if (other.counts == null) {
      return this;
    }
    claimDimension(other.dimension);
    if (counts == null) {
      counts = other.counts.clone();
    } else {
      for (int i = 0; i < counts.length; i++) {
        counts[i] = Math.addExact(counts[i], other.counts[i]);
      }
    }
    points += other.points;
    return this;
  }

  private void claimDimension(int d) {
    if (dimension == 0) {
      dimension = d;
    } else {
      checkArgument(
          d == dimension,
          "a point of dimension %s cannot join a sketch of dimension %s",
          d,
          dimension);
    }
  }

  /**
   * The score of a point that was added to this sketch, given its bucket in every row: {@code
   * (mean_r S[r, h_r(x)] - 1) / (N - 1)}, or 0 when N <= 1.
   */
  public double score(int[] bucketOfRow) {
    long n = count();
    if (n <= 1) {
      return 0.0;
    }
    long sum = 0;
    for (int r = 0; r < rows; r++) {
      sum += counts[r * buckets + bucketOfRow[r]];
    }
    return ((double) sum / rows - 1.0) / (n - 1);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RaceSketch)) {
      return false;
    }
    RaceSketch s = (RaceSketch) o;
    if (rows != s.rows || buckets != s.buckets || dimension != s.dimension) {
      return false;
    }
    if (counts == null || s.counts == null) {
      return count() == 0 && s.count() == 0;
    }
    return Arrays.equals(counts, s.counts);
  }

  @Override
  public int hashCode() {
    return (rows * 31 + buckets) * 31 + (counts == null ? 0 : Arrays.hashCode(counts));
  }

  @Override
  public String toString() {
    return "RaceSketch{" + rows + "x" + buckets + ", d=" + dimension + ", n=" + count() + "}";
  }

  /**
   * A deterministic, compact coder: R, B and the dimension as var-ints, a flag for the empty table,
   * then the R x B counters as var-ints (1 byte for counts below 128, so a sparse table is small).
   */
  public static final class RaceSketchCoder extends AtomicCoder<RaceSketch> {
    private static final RaceSketchCoder INSTANCE = new RaceSketchCoder();
    private static final VarIntCoder INT = VarIntCoder.of();

    public static RaceSketchCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(RaceSketch s, OutputStream out) throws IOException {
      INT.encode(s.rows, out);
      INT.encode(s.buckets, out);
      INT.encode(s.dimension, out);
      out.write(s.counts == null ? 0 : 1);
      if (s.counts != null) {
        byte[] buffer = new byte[5 * 4096];
        int used = 0;
        for (int c : s.counts) {
          int v = c;
          while ((v & ~0x7f) != 0) {
            buffer[used++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
          }
          buffer[used++] = (byte) v;
          if (used > buffer.length - 5) {
            out.write(buffer, 0, used);
            used = 0;
          }
        }
        out.write(buffer, 0, used);
      }
    }

    @Override
    public RaceSketch decode(InputStream in) throws IOException {
      int rows = INT.decode(in);
      int buckets = INT.decode(in);
      int dimension = INT.decode(in);
      int flag = in.read();
      if (flag < 0) {
        throw new CoderException("truncated RaceSketch");
      }
      int[] counts = null;
      if (flag == 1) {
        counts = new int[Math.multiplyExact(rows, buckets)];
        for (int i = 0; i < counts.length; i++) {
          counts[i] = readVarInt(in);
        }
      }
      return new RaceSketch(rows, buckets, dimension, counts);
    }

    private static int readVarInt(InputStream in) throws IOException {
      int result = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        int b = in.read();
        if (b < 0) {
          throw new CoderException("truncated RaceSketch counters");
        }
        result |= (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new CoderException("malformed var-int in RaceSketch counters");
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
