package dev.dataselect.transforms.density;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * The reference sample of the KDE estimator: {@code m} embeddings of dimension {@code d} as one
 * row-major {@code float[m * d]} matrix, their ids, and the kernel bandwidth. This is the one side
 * input {@link KdeDensity} broadcasts (10,000 x 384 floats is ~15 MB); its coder writes the matrix
 * as raw floats.
 *
 * <p>Rows are in increasing order of {@link #rankKey(String, long)}, so the first rows are
 * themselves a uniform sample of the corpus; the {@link BandwidthHeuristic}s use that.
 */
public final class ReferenceSample {
  /**
   * Salt mixed into the seed before hashing ids for the reference sample, so that the sample is
   * independent of selection decisions made with the same seed ({@code Hashes.unit(id, seed)}).
   */
  private static final long REFERENCE_SALT = 0x4b44455265665361L;

  private final String[] ids;
  private final float[] vectors;
  private final int dimension;
  private final double bandwidth;
  private final double[] squaredNorms;
  private final Map<String, Integer> rowOfId;
  /** Per {@link Kernel}, the shared ONNX Runtime session, opened on first use. */
  private final KernelSums.Session[] sessions = new KernelSums.Session[Kernel.values().length];

  private ReferenceSample(String[] ids, float[] vectors, int dimension, double bandwidth) {
    checkArgument(
        vectors.length == (long) ids.length * dimension,
        "%s floats cannot hold %s rows of dimension %s",
        vectors.length,
        ids.length,
        dimension);
    checkArgument(
        bandwidth > 0 && Double.isFinite(bandwidth),
        "bandwidth must be finite and > 0, got %s",
        bandwidth);
    this.ids = ids;
    this.vectors = vectors;
    this.dimension = dimension;
    this.bandwidth = bandwidth;
    this.squaredNorms = new double[ids.length];
    this.rowOfId = new HashMap<>(2 * ids.length);
    for (int r = 0; r < ids.length; r++) {
      squaredNorms[r] = BlockedKernelSums.squaredNorm(vectors, r * dimension, dimension);
      rowOfId.putIfAbsent(ids[r], r);
    }
  }

  /**
   * The key the reference sample is drawn by: the sample is the {@code m} embeddings with the
   * smallest {@code (rankKey(id, seed), id)}.
   */
  public static double rankKey(String id, long seed) {
    return Hashes.unit(id, seed ^ REFERENCE_SALT);
  }

  /**
   * The reference sample of a corpus held in memory: the first {@code m} distinct ids in {@link
   * #rankingOrder}, with the given bandwidth. {@link KdeDensity} assembles the same rows from its
   * combiner's output with {@link #smallestByRank}; this is for benchmarks and tests.
   */
  public static ReferenceSample draw(
      Collection<Embedding> corpus, int m, long seed, double bandwidth) {
    return of(smallestByRank(corpus, m, seed), bandwidth);
  }

  /** As {@link #draw(Collection, int, long, double)}, the bandwidth by a heuristic. */
  public static ReferenceSample draw(
      Collection<Embedding> corpus, int m, long seed, BandwidthHeuristic heuristic) {
    return of(smallestByRank(corpus, m, seed), heuristic);
  }

  /**
   * The order the sample is drawn in: by {@link #rankKey}, then id, then vector (so that even
   * repeated ids with different vectors sort the same way every time).
   */
  public static Comparator<Embedding> rankingOrder(long seed) {
    return Comparator.comparingDouble((Embedding e) -> rankKey(e.id(), seed))
        .thenComparing(Embedding::id)
        .thenComparing(ReferenceSample::compareVectors);
  }

  private static int compareVectors(Embedding a, Embedding b) {
    int n = Math.min(a.dimension(), b.dimension());
    for (int i = 0; i < n; i++) {
      int c = Float.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.dimension(), b.dimension());
  }

  /** The first {@code m} distinct ids of {@code embeddings} in {@link #rankingOrder}. */
  public static List<Embedding> smallestByRank(Collection<Embedding> embeddings, int m, long seed) {
    List<Embedding> sorted = new ArrayList<>(embeddings);
    sorted.sort(rankingOrder(seed));
    List<Embedding> kept = new ArrayList<>(Math.min(m, sorted.size()));
    Set<String> ids = new HashSet<>();
    for (Embedding e : sorted) {
      if (kept.size() == m) {
        break;
      }
      if (ids.add(e.id())) {
        kept.add(e);
      }
    }
    return kept;
  }

  /**
   * A sample of the given embeddings, in the given order (callers sort by {@link #rankingOrder}),
   * with bandwidth {@code bandwidth}. Throws if the embeddings do not all have the same dimension
   * or an id repeats.
   */
  public static ReferenceSample of(List<Embedding> rows, double bandwidth) {
    return build(rows, bandwidth, null);
  }

  /** As {@link #of(List, double)}, the bandwidth picked by {@code heuristic} from the rows. */
  public static ReferenceSample of(List<Embedding> rows, BandwidthHeuristic heuristic) {
    return build(rows, 0, heuristic);
  }

  private static ReferenceSample build(
      List<Embedding> rows, double bandwidth, BandwidthHeuristic heuristic) {
    int m = rows.size();
    int d = m == 0 ? 0 : rows.get(0).dimension();
    String[] ids = new String[m];
    float[] vectors = new float[m * d];
    for (int r = 0; r < m; r++) {
      Embedding e = rows.get(r);
      checkArgument(
          e.dimension() == d,
          "reference %s has dimension %s but reference %s has dimension %s",
          e.id(),
          e.dimension(),
          ids[0],
          d);
      ids[r] = e.id();
      e.copyTo(vectors, r * d);
    }
    double h = heuristic != null ? heuristic.bandwidth(vectors, m, d) : bandwidth;
    ReferenceSample sample = new ReferenceSample(ids, vectors, d, h);
    checkArgument(sample.rowOfId.size() == m, "reference ids repeat");
    return sample;
  }

  public int size() {
    return ids.length;
  }

  public int dimension() {
    return dimension;
  }

  public double bandwidth() {
    return bandwidth;
  }

  public String id(int row) {
    return ids[row];
  }

  /** The row of {@code id}, or -1 if it is not a reference. */
  public int rowOf(String id) {
    Integer r = rowOfId.get(id);
    return r == null ? -1 : r;
  }

  float[] matrix() {
    return vectors;
  }

  double[] squaredNorms() {
    return squaredNorms;
  }

  /**
   * Kernel densities of a batch of {@code q} queries (row-major {@code float[q * d]}): {@code
   * out[i]} = mean over references r other than row {@code exclude[i]} of {@code k(r, query i)} (-1
   * excludes nothing), 0 if no other reference exists.
   *
   * <p>The kernel step runs in FP32 in ONNX Runtime ({@link KernelSums}): squared distances from
   * one GEMM, the kernel and the sum over references vectorised, the mean in double. The result for
   * a query does not depend on the other queries in its batch or its position there, bit for bit,
   * on one CPU type. It differs from the exact double computation ({@link #exactDensities}) by a
   * relative ~1e-6 (FP32 rounding of dot products and kernel values), and between CPU types (AVX2
   * vs AVX-512, where MLAS picks other kernels) it may differ in the last float bits: a keep
   * decision {@code hash < min(1, c / density)} can then flip only for a document whose hash lies
   * within that relative difference of its keep probability, about one document per million.
   *
   * <p>A bandwidth whose kernel scale ({@code 1 / (2 h^2)} or {@code 1 / h}) is not a normal float
   * (h below ~1e-19 or above ~1e38) takes the exact path.
   */
  public void densities(float[] queries, int q, int[] exclude, Kernel kernel, double[] out) {
    int m = size();
    if (q == 0) {
      return;
    }
    KernelSums.Session session = m == 0 ? null : session(kernel);
    if (session == null) {
      BlockedKernelSums.sums(this, queries, q, exclude, kernel, out);
    } else {
      session.sums(queries, q, exclude, out);
    }
    mean(q, exclude, out);
  }

  /**
   * As {@link #densities}, computed exactly: products and sums in double, the kernel with {@link
   * StrictMath}, in scalar Java loops (bit-identical on every JVM and platform, ~50 times slower).
   * For tests, accuracy checks and benchmarks.
   */
  public void exactDensities(float[] queries, int q, int[] exclude, Kernel kernel, double[] out) {
    BlockedKernelSums.sums(this, queries, q, exclude, kernel, out);
    mean(q, exclude, out);
  }

  private void mean(int q, int[] exclude, double[] out) {
    int m = size();
    for (int i = 0; i < q; i++) {
      int others = exclude[i] >= 0 ? m - 1 : m;
      out[i] = others > 0 ? out[i] / others : 0.0;
    }
  }

  /** This sample's shared kernel session, or null if its bandwidth is outside float range. */
  private KernelSums.Session session(Kernel kernel) {
    double h = bandwidth;
    float scale = (float) (kernel == Kernel.GAUSSIAN ? 1 / (2 * h * h) : 1 / h);
    if (!Float.isFinite(scale) || scale < Float.MIN_NORMAL) {
      return null;
    }
    synchronized (sessions) {
      KernelSums.Session s = sessions[kernel.ordinal()];
      if (s == null) {
        s = KernelSums.acquire(this, kernel, KernelSums.threads());
        sessions[kernel.ordinal()] = s;
      }
      return s;
    }
  }

  /**
   * Densities of in-memory queries, scored {@code batchSize} at a time exactly as {@link
   * KdeDensity} scores them (self-exclusion by id included).
   */
  public double[] densitiesOf(List<Embedding> queries, Kernel kernel, int batchSize) {
    double[] all = new double[queries.size()];
    float[] q = new float[batchSize * dimension];
    int[] exclude = new int[batchSize];
    double[] out = new double[batchSize];
    for (int start = 0; start < queries.size(); start += batchSize) {
      int n = Math.min(batchSize, queries.size() - start);
      for (int i = 0; i < n; i++) {
        Embedding e = queries.get(start + i);
        checkArgument(
            e.dimension() == dimension,
            "embedding %s has dimension %s but the reference sample has dimension %s",
            e.id(),
            e.dimension(),
            dimension);
        e.copyTo(q, i * dimension);
        exclude[i] = rowOf(e.id());
      }
      densities(q, n, exclude, kernel, out);
      System.arraycopy(out, 0, all, start, n);
    }
    return all;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ReferenceSample)) {
      return false;
    }
    ReferenceSample s = (ReferenceSample) o;
    return dimension == s.dimension
        && Double.compare(bandwidth, s.bandwidth) == 0
        && Arrays.equals(ids, s.ids)
        && Arrays.equals(vectors, s.vectors);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids) * 31 + Double.hashCode(bandwidth);
  }

  @Override
  public String toString() {
    return "ReferenceSample{m="
        + ids.length
        + ", d="
        + dimension
        + ", bandwidth="
        + bandwidth
        + "}";
  }

  /**
   * A deterministic, compact coder: m and d as var-ints, the bandwidth, the ids as UTF-8, then the
   * matrix as raw little-endian floats in one block.
   */
  public static final class ReferenceSampleCoder extends AtomicCoder<ReferenceSample> {
    private static final ReferenceSampleCoder INSTANCE = new ReferenceSampleCoder();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    public static ReferenceSampleCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(ReferenceSample s, OutputStream out) throws IOException {
      INT.encode(s.ids.length, out);
      INT.encode(s.dimension, out);
      DOUBLE.encode(s.bandwidth, out);
      for (String id : s.ids) {
        STRING.encode(id, out);
      }
      ByteBuffer bytes = ByteBuffer.allocate(4 * s.vectors.length).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(s.vectors);
      out.write(bytes.array());
    }

    @Override
    public ReferenceSample decode(InputStream in) throws IOException {
      int m = INT.decode(in);
      int d = INT.decode(in);
      double bandwidth = DOUBLE.decode(in);
      String[] ids = new String[m];
      for (int r = 0; r < m; r++) {
        ids[r] = STRING.decode(in);
      }
      byte[] raw = new byte[Math.multiplyExact(4, Math.multiplyExact(m, d))];
      new DataInputStream(in).readFully(raw);
      float[] vectors = new float[m * d];
      ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vectors);
      return new ReferenceSample(ids, vectors, d, bandwidth);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
