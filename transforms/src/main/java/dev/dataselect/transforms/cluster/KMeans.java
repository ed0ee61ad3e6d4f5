package dev.dataselect.transforms.cluster;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Spherical (cosine) k-means over embeddings, as Beam transforms: the clustering SemDeDup and SSL
 * prototypes start from (Abbas et al. 2023; Sorscher et al. 2022).
 *
 * <ol>
 *   <li><b>Seeds.</b> A hash sample of about {@code k x samplePerCluster} documents (each kept iff
 *       {@code Hashes.unit(id, seed) < size / N}), ordered by that hash, then k-means++ on it: the
 *       first seed is the sample's first point, each next one drawn with probability proportional
 *       to the squared distance to the nearest seed so far, the draw a hash of (seed, pick). One
 *       worker, {@code sample x k x d} multiply-adds: 1.5 G at k = 1,000 and d = 384 (about a second).
 *       Above {@link #MAX_KMEANS_PP_CLUSTERS} clusters that cost grows as k squared (3.8 T at k =
 *       50,000), so the seeds are then the sample's first k points.
 *   <li><b>Lloyd iterations</b>, unrolled in the graph ({@link #withMaxIterations}): each assigns
 *       every document to its most similar centroid (the previous centroids a singleton side
 *       input), sums the unit vectors per centroid in each bundle, adds the partial sums per
 *       centroid ({@code Combine.perKey}), and turns them into the next centroids (the sums
 *       normalised) on one worker. A centroid that no document chose is re-seeded with a sample
 *       point picked by a hash of (seed, iteration, centroid). When the largest shift {@code 1 -
 *       cos(old, new)} falls under {@link #withTolerance}, the centroids are marked converged and
 *       the remaining iterations pass them through without reading a vector.
 *   <li><b>Assignment</b>: each document's cluster and cosine similarity to its centroid.
 * </ol>
 *
 * <p>Determinism: vectors are summed in fixed point (each unit-vector component times 2^32 as a
 * {@code long}; exact to 2.3e-10, no overflow below 2^31 documents per centroid), so the sums, and
 * the centroids, do not depend on how a runner splits bundles or orders the combine; the
 * similarities come from {@link CentroidSearch} (ONNX Runtime's GEMM), whose rows do not depend on
 * the batch either. The
 * same input and seed give the same centroids on every runner. Vectors are normalised to unit
 * length first; an all-zero vector is assigned to centroid 0 with similarity 0.
 *
 * <p>Cost per iteration: {@code N x k x d} multiply-adds (the assignment, in ONNX Runtime's GEMM;
 * the rest is O(N d) plus O(k d) per worker): for N = 10^9, k = 10,000, d = 384 that is 7.7 x
 * 10^15 FLOP, about 35 core-hours at the 31 GFLOP/s per core {@code bin/bench kmeans} measured on
 * a two-core EPYC (the README has the arithmetic). The side input is {@code k x d} floats (77 MB at
 * k = 50,000), decoded once per worker, with an ONNX Runtime session holding its transposed copy;
 * the per-centroid sums of one bundle are at most {@code k x d} longs.
 */
public final class KMeans extends PTransform<PCollection<Embedding>, KMeans.Result> {
  /** Above this k the seeds are the first k sample points by hash instead of k-means++ (whose cost grows as k^2). */
  public static final int MAX_KMEANS_PP_CLUSTERS = 10_000;
  /** Fixed-point scale of the per-centroid sums: 2^32. */
  static final double FIXED_POINT = 4294967296.0;
  private static final long SAMPLE_SALT = 0x6b6d65616e73L; // "kmeans"
  /** Documents per assignment call: 256 x 384 floats of queries against the centroids in one GEMM. */
  private static final int BATCH = 256;

  private final int k;
  private final long seed;
  private final int maxIterations;
  private final double tolerance;
  private final int samplePerCluster;

  private KMeans(int k, long seed, int maxIterations, double tolerance, int samplePerCluster) {
    this.k = k;
    this.seed = seed;
    this.maxIterations = maxIterations;
    this.tolerance = tolerance;
    this.samplePerCluster = samplePerCluster;
  }

  /** k clusters, seed 0, at most 10 iterations, tolerance 1e-4, a sample of 8 points per cluster. */
  public static KMeans of(int k) {
    checkArgument(k >= 1, "k must be >= 1, got %s", k);
    return new KMeans(k, 0, 10, 1e-4, 8);
  }

  public KMeans withSeed(long seed) {
    return new KMeans(k, seed, maxIterations, tolerance, samplePerCluster);
  }

  /** Lloyd iterations in the graph, in [0, 1000]; 0 keeps the k-means++ seeds. */
  public KMeans withMaxIterations(int n) {
    checkArgument(n >= 0 && n <= 1000, "maxIterations must be in [0, 1000], got %s", n);
    return new KMeans(k, seed, n, tolerance, samplePerCluster);
  }

  /** Converged when no centroid moves by more than this cosine distance in an iteration. */
  public KMeans withTolerance(double tolerance) {
    checkArgument(tolerance >= 0 && Double.isFinite(tolerance), "tolerance must be finite and >= 0, got %s", tolerance);
    return new KMeans(k, seed, maxIterations, tolerance, samplePerCluster);
  }

  /** Sample points per cluster for the seeds, in [1, 1000]. */
  public KMeans withSamplePerCluster(int n) {
    checkArgument(n >= 1 && n <= 1000, "samplePerCluster must be in [1, 1000], got %s", n);
    return new KMeans(k, seed, maxIterations, tolerance, n);
  }

  public int k() {
    return k;
  }

  @Override
  public Result expand(PCollection<Embedding> in) {
    // The centroids are singletons of the whole input, and the batches emit in the window they were read in.
    checkArgument(in.getWindowingStrategy().getWindowFn() instanceof GlobalWindows,
        "KMeans clusters a bounded, globally windowed collection; got windowing %s", in.getWindowingStrategy().getWindowFn());
    Pipeline p = in.getPipeline();
    PCollectionView<Long> total = in.apply("CountDocuments", Count.globally()).apply("TotalView", View.asSingleton());
    long sampleSize = (long) k * samplePerCluster;
    PCollectionView<List<Embedding>> sample =
        in.apply("SampleByHash", ParDo.of(new SampleFn(seed, sampleSize, total)).withSideInputs(total))
            .apply("SampleView", View.asList());
    PCollection<Centroids> current =
        p.apply("SeedImpulse", Impulse.create())
            .apply("KMeansPlusPlus", ParDo.of(new SeedFn(k, seed, sample)).withSideInputs(sample))
            .setCoder(Centroids.CentroidsCoder.of());
    PCollectionView<Centroids> view = current.apply("Seeds", View.asSingleton());
    for (int i = 1; i <= maxIterations; i++) {
      PCollectionView<Iterable<KV<Integer, ClusterSum>>> sums =
          in.apply("Assign" + i, ParDo.of(new SumFn(view)).withSideInputs(view))
              .setCoder(KvCoder.of(VarIntCoder.of(), ClusterSum.Coder.INSTANCE))
              .apply("Sum" + i, Combine.perKey(new AddSums()))
              .apply("SumsView" + i, View.asIterable());
      current =
          p.apply("Impulse" + i, Impulse.create())
              .apply("Update" + i, ParDo.of(new UpdateFn(seed, tolerance, view, sums, sample)).withSideInputs(view, sums, sample))
              .setCoder(Centroids.CentroidsCoder.of());
      view = current.apply("Centroids" + i, View.asSingleton());
    }
    PCollection<ClusterAssignment> assignments =
        in.apply("AssignClusters", ParDo.of(new AssignFn(view)).withSideInputs(view))
            .setCoder(ClusterAssignment.ClusterAssignmentCoder.of());
    return new Result(p, current, view, assignments);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("k", k))
        .add(DisplayData.item("seed", seed))
        .add(DisplayData.item("maxIterations", maxIterations))
        .add(DisplayData.item("tolerance", tolerance))
        .add(DisplayData.item("samplePerCluster", samplePerCluster));
  }

  /** What {@link KMeans} produces. */
  public static final class Result implements POutput {
    private static final TupleTag<Centroids> CENTROIDS = new TupleTag<>("centroids") {};
    private static final TupleTag<ClusterAssignment> ASSIGNMENTS = new TupleTag<>("assignments") {};

    private final Pipeline pipeline;
    private final PCollection<Centroids> centroids;
    private final PCollectionView<Centroids> centroidsView;
    private final PCollection<ClusterAssignment> assignments;

    Result(Pipeline pipeline, PCollection<Centroids> centroids, PCollectionView<Centroids> view, PCollection<ClusterAssignment> assignments) {
      this.pipeline = pipeline;
      this.centroids = centroids;
      this.centroidsView = view;
      this.assignments = assignments;
    }

    /** The final centroids: one element. */
    public PCollection<Centroids> centroids() {
      return centroids;
    }

    /** The final centroids as a singleton side input. */
    public PCollectionView<Centroids> centroidsView() {
      return centroidsView;
    }

    /** Each document's cluster and similarity to its centroid. */
    public PCollection<ClusterAssignment> assignments() {
      return assignments;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new java.util.LinkedHashMap<>();
      out.put(CENTROIDS, centroids);
      out.put(ASSIGNMENTS, assignments);
      return out;
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  /** The unit vector of {@code e} into {@code row} at {@code offset} (left zero when e is zero). */
  static void unitRow(Embedding e, float[] row, int offset) {
    e.copyTo(row, offset);
    DotKernel.normalize(row, offset, e.dimension());
  }

  /** Keeps each document iff {@code Hashes.unit(id, seed) < size / N}. */
  private static final class SampleFn extends DoFn<Embedding, Embedding> {
    private final long seed;
    private final long size;
    private final PCollectionView<Long> total;

    SampleFn(long seed, long size, PCollectionView<Long> total) {
      this.seed = seed;
      this.size = size;
      this.total = total;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      long n = c.sideInput(total);
      double rate = n <= size ? 1.0 : (double) size / n;
      if (Hashes.unit(c.element().id(), seed ^ SAMPLE_SALT) < rate) {
        c.output(c.element());
      }
    }
  }

  /** The sample in a fixed order: by hash, then by id. */
  static List<Embedding> ordered(List<Embedding> sample, long seed) {
    List<Embedding> out = new ArrayList<>(sample);
    out.sort(Comparator.<Embedding>comparingDouble(e -> Hashes.unit(e.id(), seed ^ SAMPLE_SALT)).thenComparing(Embedding::id));
    return out;
  }

  /** k-means++ on the ordered sample (or its first k points above {@link #MAX_KMEANS_PP_CLUSTERS}). */
  static Centroids seeds(List<Embedding> ordered, int k, long seed) {
    int s = ordered.size();
    if (s == 0) {
      return new Centroids(0, 0, new float[0], new long[0], 0, Double.NaN, true);
    }
    int d = ordered.get(0).dimension();
    float[] x = new float[s * d];
    for (int i = 0; i < s; i++) {
      checkArgument(ordered.get(i).dimension() == d, "embeddings of dimension %s and %s", d, ordered.get(i).dimension());
      unitRow(ordered.get(i), x, i * d);
    }
    int kk = Math.min(k, s);
    int[] picks = new int[kk];
    if (kk > MAX_KMEANS_PP_CLUSTERS) {
      for (int c = 0; c < kk; c++) {
        picks[c] = c;
      }
    } else {
      double[] dist = new double[s];
      Arrays.fill(dist, Double.POSITIVE_INFINITY);
      boolean[] chosen = new boolean[s];
      picks[0] = 0;
      chosen[0] = true;
      for (int c = 1; c < kk; c++) {
        int last = picks[c - 1];
        double totalWeight = 0;
        for (int i = 0; i < s; i++) {
          double dd = squaredDistance(x, i, last, d);
          if (dd < dist[i]) {
            dist[i] = dd;
          }
          totalWeight += chosen[i] ? 0 : dist[i];
        }
        int pick = -1;
        if (totalWeight > 0) {
          double r = Hashes.unit("kmeans++/" + c, seed) * totalWeight;
          double acc = 0;
          for (int i = 0; i < s; i++) {
            if (!chosen[i] && dist[i] > 0) {
              acc += dist[i];
              pick = i;
              if (acc > r) {
                break;
              }
            }
          }
        }
        if (pick < 0) {
          // Every remaining point sits on a seed: take the next unchosen point in order.
          for (int i = 0; i < s && pick < 0; i++) {
            if (!chosen[i]) {
              pick = i;
            }
          }
        }
        picks[c] = pick;
        chosen[pick] = true;
      }
    }
    float[] v = new float[kk * d];
    for (int c = 0; c < kk; c++) {
      System.arraycopy(x, picks[c] * d, v, c * d, d);
    }
    return new Centroids(kk, d, v, new long[kk], 0, Double.NaN, false);
  }

  private static double squaredDistance(float[] x, int i, int j, int d) {
    double s = 0;
    int a = i * d;
    int b = j * d;
    for (int t = 0; t < d; t++) {
      double diff = (double) x[a + t] - x[b + t];
      s += diff * diff;
    }
    return s;
  }

  private static final class SeedFn extends DoFn<byte[], Centroids> {
    private final int k;
    private final long seed;
    private final PCollectionView<List<Embedding>> sample;

    SeedFn(int k, long seed, PCollectionView<List<Embedding>> sample) {
      this.k = k;
      this.seed = seed;
      this.sample = sample;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(seeds(ordered(c.sideInput(sample), seed), k, seed));
    }
  }

  /** One centroid's partial sum: the member count and the fixed-point sum of their unit vectors. */
  static final class ClusterSum {
    long count;
    final long[] sum;

    ClusterSum(int d) {
      this.sum = new long[d];
    }

    void add(float[] row, int offset) {
      count++;
      for (int t = 0; t < sum.length; t++) {
        sum[t] += Math.round(row[offset + t] * FIXED_POINT);
      }
    }

    ClusterSum plus(ClusterSum o) {
      ClusterSum out = new ClusterSum(sum.length);
      out.count = count + o.count;
      for (int t = 0; t < sum.length; t++) {
        out.sum[t] = sum[t] + o.sum[t];
      }
      return out;
    }

    static final class Coder extends CustomCoder<ClusterSum> {
      private static final long serialVersionUID = 1L;
      static final Coder INSTANCE = new Coder();

      @Override
      public void encode(ClusterSum s, OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeLong(s.count);
        data.writeInt(s.sum.length);
        for (long v : s.sum) {
          data.writeLong(v);
        }
        data.flush();
      }

      @Override
      public ClusterSum decode(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        long count = data.readLong();
        ClusterSum s = new ClusterSum(data.readInt());
        s.count = count;
        for (int t = 0; t < s.sum.length; t++) {
          s.sum[t] = data.readLong();
        }
        return s;
      }

      @Override
      public void verifyDeterministic() {}
    }
  }

  /** Adds partial sums (exact: longs). */
  private static final class AddSums extends Combine.BinaryCombineFn<ClusterSum> {
    @Override
    public ClusterSum apply(ClusterSum a, ClusterSum b) {
      return a.plus(b);
    }
  }

  /**
   * A batch of unit vectors and what they were assigned to: the buffering the assignment DoFns
   * share (a batch keeps four queries per pass over the centroids in {@link DotKernel}).
   */
  private static final class Batch {
    final int d;
    final float[] rows;
    final int[] best = new int[BATCH];
    final float[] similarity = new float[BATCH];
    final String[] ids = new String[BATCH];
    final BoundedWindow[] windows = new BoundedWindow[BATCH];
    final org.joda.time.Instant[] times = new org.joda.time.Instant[BATCH];
    int size;

    Batch(int d) {
      this.d = d;
      this.rows = new float[BATCH * d];
    }

    boolean add(Embedding e, org.joda.time.Instant time, BoundedWindow window) {
      checkArgument(e.dimension() == d, "embedding %s has dimension %s, the centroids %s", e.id(), e.dimension(), d);
      unitRow(e, rows, size * d);
      ids[size] = e.id();
      times[size] = time;
      windows[size] = window;
      size++;
      return size == BATCH;
    }

    void assign(Centroids centroids) {
      centroids.nearest(rows, size, best, similarity);
      for (int i = 0; i < size; i++) {
        if (best[i] < 0) {
          best[i] = 0;
          similarity[i] = 0f;
        }
      }
    }
  }

  /** Assigns a bundle's vectors and emits one partial sum per centroid it touched. */
  private static final class SumFn extends DoFn<Embedding, KV<Integer, ClusterSum>> {
    private final PCollectionView<Centroids> view;
    private transient @Nullable Centroids centroids;
    private transient @Nullable Batch batch;
    private transient TreeMap<Integer, ClusterSum> sums;

    SumFn(PCollectionView<Centroids> view) {
      this.view = view;
    }

    @StartBundle
    public void start() {
      centroids = null;
      batch = null;
      sums = new TreeMap<>();
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Centroids cs = c.sideInput(view);
      if (cs.converged() || cs.k() == 0) {
        return;
      }
      if (batch == null) {
        centroids = cs;
        batch = new Batch(cs.dimension());
      }
      if (batch.add(c.element(), c.timestamp(), GlobalWindow.INSTANCE)) {
        flush();
      }
    }

    private void flush() {
      Batch b = batch;
      if (b == null || b.size == 0) {
        return;
      }
      b.assign(centroids);
      for (int i = 0; i < b.size; i++) {
        sums.computeIfAbsent(b.best[i], x -> new ClusterSum(b.d)).add(b.rows, i * b.d);
      }
      b.size = 0;
    }

    @FinishBundle
    public void finish(FinishBundleContext c) {
      flush();
      for (Map.Entry<Integer, ClusterSum> e : sums.entrySet()) {
        c.output(KV.of(e.getKey(), e.getValue()), GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
      sums = new TreeMap<>();
    }
  }

  /** The next centroids from the previous ones and the per-centroid sums. */
  private static final class UpdateFn extends DoFn<byte[], Centroids> {
    private final long seed;
    private final double tolerance;
    private final PCollectionView<Centroids> previous;
    private final PCollectionView<Iterable<KV<Integer, ClusterSum>>> sums;
    private final PCollectionView<List<Embedding>> sample;

    UpdateFn(long seed, double tolerance, PCollectionView<Centroids> previous,
        PCollectionView<Iterable<KV<Integer, ClusterSum>>> sums, PCollectionView<List<Embedding>> sample) {
      this.seed = seed;
      this.tolerance = tolerance;
      this.previous = previous;
      this.sums = sums;
      this.sample = sample;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Centroids prev = c.sideInput(previous);
      if (prev.converged() || prev.k() == 0) {
        c.output(prev);
        return;
      }
      Map<Integer, ClusterSum> byCluster = new TreeMap<>();
      for (KV<Integer, ClusterSum> kv : c.sideInput(sums)) {
        byCluster.merge(kv.getKey(), kv.getValue(), ClusterSum::plus);
      }
      c.output(update(prev, byCluster, ordered(c.sideInput(sample), seed), seed, tolerance));
    }
  }

  /** One Lloyd update (public to the package for tests of the arithmetic). */
  static Centroids update(Centroids prev, Map<Integer, ClusterSum> byCluster, List<Embedding> orderedSample, long seed, double tolerance) {
    int k = prev.k();
    int d = prev.dimension();
    int iteration = prev.iteration() + 1;
    float[] next = new float[k * d];
    long[] sizes = new long[k];
    double shift = 0;
    float[] old = prev.matrix();
    for (int c = 0; c < k; c++) {
      ClusterSum s = byCluster.get(c);
      if (s != null && s.count > 0 && fill(s, next, c * d)) {
        sizes[c] = s.count;
      } else if (!orderedSample.isEmpty()) {
        // Re-seed an empty centroid with a sample point a hash of (seed, iteration, centroid) picks.
        int i = (int) Math.min(orderedSample.size() - 1, (long) (Hashes.unit("reseed/" + iteration + "/" + c, seed) * orderedSample.size()));
        unitRow(orderedSample.get(i), next, c * d);
      } else {
        System.arraycopy(old, c * d, next, c * d, d);
      }
      double dot = 0;
      for (int t = 0; t < d; t++) {
        dot += (double) old[c * d + t] * next[c * d + t];
      }
      shift = Math.max(shift, 1 - dot);
    }
    return new Centroids(k, d, next, sizes, iteration, shift, shift <= tolerance);
  }

  /** The normalised sum into {@code out}; false when the sum is zero (members cancel out). */
  private static boolean fill(ClusterSum s, float[] out, int offset) {
    double norm = 0;
    for (long v : s.sum) {
      double x = v / FIXED_POINT;
      norm += x * x;
    }
    if (norm == 0) {
      return false;
    }
    double inv = 1 / Math.sqrt(norm);
    for (int t = 0; t < s.sum.length; t++) {
      out[offset + t] = (float) (s.sum[t] / FIXED_POINT * inv);
    }
    return true;
  }

  /** Each document's nearest centroid. */
  private static final class AssignFn extends DoFn<Embedding, ClusterAssignment> {
    private final PCollectionView<Centroids> view;
    private transient @Nullable Centroids centroids;
    private transient @Nullable Batch batch;

    AssignFn(PCollectionView<Centroids> view) {
      this.view = view;
    }

    @StartBundle
    public void start() {
      centroids = null;
      batch = null;
    }

    @ProcessElement
    public void process(ProcessContext c, BoundedWindow window) {
      Centroids cs = c.sideInput(view);
      checkArgument(cs.k() > 0, "no centroids: the input had no documents to seed them");
      if (batch == null) {
        centroids = cs;
        batch = new Batch(cs.dimension());
      }
      if (batch.add(c.element(), c.timestamp(), window)) {
        Batch b = batch;
        b.assign(centroids);
        for (int i = 0; i < b.size; i++) {
          c.output(ClusterAssignment.of(b.ids[i], b.best[i], b.similarity[i]));
        }
        b.size = 0;
      }
    }

    @FinishBundle
    public void finish(FinishBundleContext c) {
      Batch b = batch;
      if (b == null || b.size == 0) {
        return;
      }
      b.assign(centroids);
      for (int i = 0; i < b.size; i++) {
        c.output(ClusterAssignment.of(b.ids[i], b.best[i], b.similarity[i]), b.times[i], b.windows[i]);
      }
      b.size = 0;
    }
  }
}
