package dev.dataselect.transforms.density;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores every embedding by its kernel density in the corpus: {@code PCollection<Embedding>} in,
 * {@code PCollection<DocumentScore>} of (id, density) out, one per embedding, in [0, 1].
 *
 * <p>Two estimators:
 *
 * <ul>
 *   <li>{@link #referenceSample()} (the default): {@code density(y) = mean over references r of
 *       k(r, y)}, with {@code m} references drawn deterministically from the corpus (the m smallest
 *       by {@link ReferenceSample#rankKey}(id, seed), picked by a bounded {@link Top} of (hash, id)
 *       pairs, then their vectors) and broadcast as one compact {@link ReferenceSample} side input.
 *       A Gaussian or Laplacian {@link Kernel} on L2 distance (for unit vectors {@code ||a - b||^2
 *       = 2 - 2 cos}); the bandwidth is given or set by a {@link BandwidthHeuristic} (by default
 *       the median nearest-neighbour distance among the references). An embedding that is itself a
 *       reference does not count itself (mean over the other m - 1). Queries are buffered per
 *       window and scored {@code batchSize} at a time in FP32 by ONNX Runtime: one GEMM for the
 *       distances, a vectorised kernel and sum ({@link KernelSums}; one session per reference
 *       sample and kernel per JVM). A query's density is bit-identical in any batch on one CPU
 *       type; across CPU types the last bits may differ ({@link ReferenceSample#densities}).
 *   <li>{@link #raceSketch()} (the paper's): pass 1 builds an R x B {@link RaceSketch} by a
 *       combiner whose partial sketches merge by addition; pass 2 scores every embedding against
 *       the merged sketch, a side input: {@code (mean_r S[r, h_r(x)] - 1) / (N - 1)}, the mean LSH
 *       collision probability with the other points. Memory is R x B whatever N.
 * </ul>
 *
 * <p>Windows: each window is its own corpus (its own sample or sketch). Outputs keep their input's
 * window and timestamp. An embedding whose dimension differs from its window's sample or sketch
 * fails the bundle (an upstream model mix-up, not a bad record).
 */
public abstract class KdeDensity
    extends PTransform<PCollection<Embedding>, PCollection<DocumentScore>> {
  private static final Logger LOG = LoggerFactory.getLogger(KdeDensity.class);

  /** Which estimator scores the embeddings. */
  public enum Estimator {
    REFERENCE_SAMPLE,
    RACE_SKETCH
  }

  public static final int DEFAULT_SAMPLE_SIZE = 10_000;
  public static final int MAX_SAMPLE_SIZE = 100_000;
  public static final BandwidthHeuristic DEFAULT_BANDWIDTH_HEURISTIC =
      BandwidthHeuristic.MEDIAN_NEAREST_NEIGHBOR_DISTANCE;
  public static final int DEFAULT_BATCH_SIZE = 256;
  public static final int MAX_BATCH_SIZE = 8192;
  public static final int DEFAULT_ROWS = 1_000;
  public static final int MAX_ROWS = 100_000;
  public static final int DEFAULT_BUCKETS = 20_000;
  public static final int MAX_BUCKETS = 100_000_000;
  public static final int DEFAULT_HASHES_PER_ROW = 1;
  public static final int MAX_HASHES_PER_ROW = 30;
  public static final double DEFAULT_BUCKET_WIDTH = 1.0;

  /** Every setting; null means "not set" (the default applies), so expand() can cross-check. */
  private static final class Settings implements Serializable, Cloneable {
    private static final long serialVersionUID = 1L;
    Estimator estimator = Estimator.REFERENCE_SAMPLE;
    long seed;
    Integer sampleSize;
    Kernel kernel;
    Double bandwidth;
    BandwidthHeuristic bandwidthHeuristic;
    Integer batchSize;
    Integer rows;
    Integer buckets;
    LshFamily hashFamily;
    Integer hashesPerRow;
    Double bucketWidth;

    Settings copy() {
      try {
        return (Settings) clone();
      } catch (CloneNotSupportedException e) {
        throw new AssertionError(e);
      }
    }

    int sampleSize() {
      return sampleSize != null ? sampleSize : DEFAULT_SAMPLE_SIZE;
    }

    Kernel kernel() {
      return kernel != null ? kernel : Kernel.GAUSSIAN;
    }

    int batchSize() {
      return batchSize != null ? batchSize : DEFAULT_BATCH_SIZE;
    }

    BandwidthHeuristic bandwidthHeuristic() {
      return bandwidthHeuristic != null ? bandwidthHeuristic : DEFAULT_BANDWIDTH_HEURISTIC;
    }

    int rows() {
      return rows != null ? rows : DEFAULT_ROWS;
    }

    int buckets() {
      return buckets != null ? buckets : DEFAULT_BUCKETS;
    }

    LshFamily hashFamily() {
      return hashFamily != null ? hashFamily : LshFamily.P_STABLE;
    }

    int hashesPerRow() {
      return hashesPerRow != null ? hashesPerRow : DEFAULT_HASHES_PER_ROW;
    }

    double bucketWidth() {
      return bucketWidth != null ? bucketWidth : DEFAULT_BUCKET_WIDTH;
    }

    RaceHashes hashes(int dimension) {
      return RaceHashes.create(
          hashFamily(), rows(), hashesPerRow(), buckets(), bucketWidth(), dimension, seed);
    }
  }

  final Settings settings;

  private KdeDensity(Settings settings) {
    this.settings = settings;
  }

  /**
   * The reference-sample KDE: m = 10,000 references, Gaussian kernel, bandwidth by the median
   * nearest-neighbour distance among the references, batches of 256, seed 0.
   */
  public static ReferenceSampleKde referenceSample() {
    return new ReferenceSampleKde(new Settings());
  }

  /**
   * The RACE sketch: R = 1,000 rows x B = 20,000 buckets (the paper's; 80 MB), p-stable hashing
   * with one function of width w = 1.0 per row, seed 0.
   */
  public static RaceSketchKde raceSketch() {
    Settings s = new Settings();
    s.estimator = Estimator.RACE_SKETCH;
    return new RaceSketchKde(s);
  }

  public Estimator estimator() {
    return settings.estimator;
  }

  Settings with(java.util.function.Consumer<Settings> change) {
    Settings s = settings.copy();
    change.accept(s);
    return s;
  }

  /** {@link #referenceSample()}: only the reference sample's settings. */
  public static final class ReferenceSampleKde extends KdeDensity {
    private ReferenceSampleKde(Settings settings) {
      super(settings);
    }

    /** Seeds which ids are the references. */
    public ReferenceSampleKde withSeed(long seed) {
      return new ReferenceSampleKde(with(s -> s.seed = seed));
    }

    /** The number of references m, in [2, 100,000]. */
    public ReferenceSampleKde withSampleSize(int sampleSize) {
      checkArgument(
          sampleSize >= 2 && sampleSize <= MAX_SAMPLE_SIZE,
          "sampleSize must be in [2, %s], got %s",
          MAX_SAMPLE_SIZE,
          sampleSize);
      return new ReferenceSampleKde(with(s -> s.sampleSize = sampleSize));
    }

    /** The kernel, Gaussian by default. */
    public ReferenceSampleKde withKernel(Kernel kernel) {
      checkArgument(kernel != null, "kernel must be one of %s, got null", List.of(Kernel.values()));
      return new ReferenceSampleKde(with(s -> s.kernel = kernel));
    }

    /**
     * The bandwidth h, finite and > 0. Unset, a {@link BandwidthHeuristic} picks it from the
     * sample.
     */
    public ReferenceSampleKde withBandwidth(double bandwidth) {
      checkArgument(
          bandwidth > 0 && Double.isFinite(bandwidth),
          "bandwidth must be finite and in (0, inf), got %s",
          bandwidth);
      return new ReferenceSampleKde(with(s -> s.bandwidth = bandwidth));
    }

    /**
     * How to pick the bandwidth when none is given; by default the median nearest-neighbour
     * distance among the first 1,000 references. Set with {@link #withBandwidth} too, the transform fails at expansion.
     */
    public ReferenceSampleKde withBandwidthHeuristic(BandwidthHeuristic bandwidthHeuristic) {
      checkArgument(
          bandwidthHeuristic != null,
          "bandwidthHeuristic must be one of %s, got null",
          List.of(BandwidthHeuristic.values()));
      return new ReferenceSampleKde(with(s -> s.bandwidthHeuristic = bandwidthHeuristic));
    }

    /** Queries per blocked product, in [1, 8192]. */
    public ReferenceSampleKde withBatchSize(int batchSize) {
      checkArgument(
          batchSize >= 1 && batchSize <= MAX_BATCH_SIZE,
          "batchSize must be in [1, %s], got %s",
          MAX_BATCH_SIZE,
          batchSize);
      return new ReferenceSampleKde(with(s -> s.batchSize = batchSize));
    }
  }

  /** {@link #raceSketch()}: only the sketch's settings. */
  public static final class RaceSketchKde extends KdeDensity {
    private RaceSketchKde(Settings settings) {
      super(settings);
    }

    /** Seeds the hash functions. */
    public RaceSketchKde withSeed(long seed) {
      return new RaceSketchKde(with(s -> s.seed = seed));
    }

    /** The number of rows R (independent hash functions), in [1, 100,000]. */
    public RaceSketchKde withRows(int rows) {
      checkArgument(rows >= 1 && rows <= MAX_ROWS, "rows must be in [1, %s], got %s", MAX_ROWS, rows);
      return new RaceSketchKde(with(s -> s.rows = rows));
    }

    /** Buckets per row B, in [2, 100,000,000] (and R x B < 2^31, checked at expansion). */
    public RaceSketchKde withBuckets(int buckets) {
      checkArgument(
          buckets >= 2 && buckets <= MAX_BUCKETS,
          "buckets must be in [2, %s], got %s",
          MAX_BUCKETS,
          buckets);
      return new RaceSketchKde(with(s -> s.buckets = buckets));
    }

    /** The LSH family, p-stable (L2) by default. */
    public RaceSketchKde withHashFamily(LshFamily hashFamily) {
      checkArgument(
          hashFamily != null, "hashFamily must be one of %s, got null", List.of(LshFamily.values()));
      return new RaceSketchKde(with(s -> s.hashFamily = hashFamily));
    }

    /**
     * LSH functions concatenated per row K, in [1, 30]; the kernel is the single-function
     * collision probability to the power K (sharper for larger K).
     */
    public RaceSketchKde withHashesPerRow(int hashesPerRow) {
      checkArgument(
          hashesPerRow >= 1 && hashesPerRow <= MAX_HASHES_PER_ROW,
          "hashesPerRow must be in [1, %s], got %s",
          MAX_HASHES_PER_ROW,
          hashesPerRow);
      return new RaceSketchKde(with(s -> s.hashesPerRow = hashesPerRow));
    }

    /** p-stable: the bucket width w, finite and > 0 (the sketch's bandwidth). */
    public RaceSketchKde withBucketWidth(double bucketWidth) {
      checkArgument(
          bucketWidth > 0 && Double.isFinite(bucketWidth),
          "bucketWidth must be finite and in (0, inf), got %s",
          bucketWidth);
      return new RaceSketchKde(with(s -> s.bucketWidth = bucketWidth));
    }
  }

  @Override
  public PCollection<DocumentScore> expand(PCollection<Embedding> embeddings) {
    Settings s = settings;
    PCollection<DocumentScore> densities;
    if (s.estimator == Estimator.REFERENCE_SAMPLE) {
      checkArgument(
          s.bandwidth == null || s.bandwidthHeuristic == null,
          "bandwidth is set to %s, so bandwidthHeuristic %s would be ignored; set one of them",
          s.bandwidth,
          s.bandwidthHeuristic);
      densities = expandReferenceSample(embeddings, s);
    } else {
      checkArgument(
          (long) s.rows() * s.buckets() <= Integer.MAX_VALUE - 8,
          "rows x buckets must be below 2^31 counters, got %s x %s",
          s.rows(),
          s.buckets());
      densities = expandSketch(embeddings, s);
    }
    return densities.setCoder(DocumentScore.DocumentScoreCoder.of());
  }

  private static PCollection<DocumentScore> expandReferenceSample(
      PCollection<Embedding> embeddings, Settings s) {
    PCollectionView<KV<Double, String>> cut =
        embeddings
            .apply("RankIds", ParDo.of(new RankFn(s.seed)))
            .setCoder(KvCoder.of(DoubleCoder.of(), StringUtf8Coder.of()))
            .apply(
                "SmallestRanks", Top.of(s.sampleSize(), new SmallerRankFirst()).withoutDefaults())
            .apply("LargestOfThem", ParDo.of(new LastFn()))
            .setCoder(KvCoder.of(DoubleCoder.of(), StringUtf8Coder.of()))
            .apply("AsCut", View.asSingleton());
    PCollectionView<ReferenceSample> sample =
        embeddings
            .apply("KeepReferences", ParDo.of(new WithinCutFn(s.seed, cut)).withSideInputs(cut))
            .apply(
                "AssembleSample",
                Combine.globally(
                        new AssembleFn(s.sampleSize(), s.seed, s.bandwidth, s.bandwidthHeuristic()))
                    .withoutDefaults())
            .apply("AsSample", View.asSingleton());
    return embeddings.apply(
        "ScoreBatches",
        ParDo.of(new ScoreFn(sample, s.kernel(), s.batchSize())).withSideInputs(sample));
  }

  private static PCollection<DocumentScore> expandSketch(
      PCollection<Embedding> embeddings, Settings s) {
    PCollectionView<RaceSketch> sketch =
        embeddings
            .apply("SketchCorpus", Combine.globally(new SketchFn(s)).withoutDefaults())
            .apply("AsSketch", View.asSingleton());
    return embeddings.apply(
        "ScoreAgainstSketch", ParDo.of(new SketchScoreFn(s, sketch)).withSideInputs(sketch));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    Settings s = settings;
    builder
        .add(DisplayData.item("estimator", s.estimator.name()).withLabel("Density estimator"))
        .add(DisplayData.item("seed", s.seed).withLabel("Seed"));
    if (s.estimator == Estimator.REFERENCE_SAMPLE) {
      builder
          .add(DisplayData.item("sampleSize", s.sampleSize()).withLabel("Reference sample size"))
          .add(DisplayData.item("kernel", s.kernel().name()).withLabel("Kernel"))
          .add(
              DisplayData.item(
                      "bandwidth",
                      s.bandwidth != null
                          ? String.valueOf(s.bandwidth)
                          : "by heuristic " + s.bandwidthHeuristic().name())
                  .withLabel("Bandwidth"))
          .add(DisplayData.item("batchSize", s.batchSize()).withLabel("Queries per batch"));
    } else {
      builder
          .add(DisplayData.item("rows", s.rows()).withLabel("Sketch rows (R)"))
          .add(DisplayData.item("buckets", s.buckets()).withLabel("Buckets per row (B)"))
          .add(DisplayData.item("hashFamily", s.hashFamily().name()).withLabel("LSH family"))
          .add(DisplayData.item("hashesPerRow", s.hashesPerRow()).withLabel("Hashes per row (K)"))
          .add(DisplayData.item("bucketWidth", s.bucketWidth()).withLabel("Bucket width (w)"));
    }
  }

  // ---------------------------------------------------------------- reference sample

  /** Orders (rank, id) pairs so that {@link Top} keeps the smallest: smaller rank is "larger". */
  private static final class SmallerRankFirst
      implements Comparator<KV<Double, String>>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(KV<Double, String> a, KV<Double, String> b) {
      return compareRanks(b, a);
    }
  }

  static int compareRanks(KV<Double, String> a, KV<Double, String> b) {
    int c = Double.compare(a.getKey(), b.getKey());
    return c != 0 ? c : a.getValue().compareTo(b.getValue());
  }

  private static final class RankFn extends DoFn<Embedding, KV<Double, String>> {
    private final long seed;

    RankFn(long seed) {
      this.seed = seed;
    }

    @ProcessElement
    public void process(@Element Embedding e, OutputReceiver<KV<Double, String>> out) {
      out.output(KV.of(ReferenceSample.rankKey(e.id(), seed), e.id()));
    }
  }

  /** The m-th smallest (rank, id): Top lists the smallest first, so the last one. */
  private static final class LastFn extends DoFn<List<KV<Double, String>>, KV<Double, String>> {
    @ProcessElement
    public void process(
        @Element List<KV<Double, String>> smallest, OutputReceiver<KV<Double, String>> out) {
      if (!smallest.isEmpty()) {
        out.output(smallest.get(smallest.size() - 1));
      }
    }
  }

  private static final class WithinCutFn extends DoFn<Embedding, Embedding> {
    private final long seed;
    private final PCollectionView<KV<Double, String>> cut;

    WithinCutFn(long seed, PCollectionView<KV<Double, String>> cut) {
      this.seed = seed;
      this.cut = cut;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Embedding e = c.element();
      KV<Double, String> rank = KV.of(ReferenceSample.rankKey(e.id(), seed), e.id());
      if (compareRanks(rank, c.sideInput(cut)) <= 0) {
        c.output(e);
      }
    }
  }

  /**
   * Gathers the (at most m, more only if ids repeat) embeddings within the cut into the sample,
   * sorted by (rank, id), one per id; computes the bandwidth if none is given.
   */
  private static final class AssembleFn
      extends Combine.CombineFn<Embedding, List<Embedding>, ReferenceSample> {
    private final int size;
    private final long seed;
    private final Double bandwidth;
    private final BandwidthHeuristic heuristic;

    AssembleFn(int size, long seed, Double bandwidth, BandwidthHeuristic heuristic) {
      this.size = size;
      this.seed = seed;
      this.bandwidth = bandwidth;
      this.heuristic = heuristic;
    }

    @Override
    public List<Embedding> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Embedding> addInput(List<Embedding> acc, Embedding e) {
      acc.add(e);
      return acc.size() > 2 * size ? smallest(acc) : acc;
    }

    @Override
    public List<Embedding> mergeAccumulators(Iterable<List<Embedding>> accs) {
      List<Embedding> all = new ArrayList<>();
      for (List<Embedding> a : accs) {
        all.addAll(a);
      }
      return smallest(all);
    }

    private List<Embedding> smallest(List<Embedding> embeddings) {
      return ReferenceSample.smallestByRank(embeddings, size, seed);
    }

    @Override
    public ReferenceSample extractOutput(List<Embedding> acc) {
      ReferenceSample sample =
          bandwidth != null
              ? ReferenceSample.of(smallest(acc), bandwidth)
              : ReferenceSample.of(smallest(acc), heuristic);
      LOG.info(
          "Reference sample: {} embeddings of dimension {}, bandwidth {}{}",
          sample.size(),
          sample.dimension(),
          sample.bandwidth(),
          bandwidth == null ? " (" + heuristic + ")" : "");
      return sample;
    }

    @Override
    public Coder<List<Embedding>> getAccumulatorCoder(CoderRegistry r, Coder<Embedding> in) {
      return ListCoder.of(Embedding.EmbeddingCoder.of());
    }

    @Override
    public Coder<ReferenceSample> getDefaultOutputCoder(CoderRegistry r, Coder<Embedding> in) {
      return ReferenceSample.ReferenceSampleCoder.of();
    }
  }

  /** The queries of one window waiting for their blocked product. */
  private static final class Batch {
    final ReferenceSample sample;
    final float[] queries;
    final String[] ids;
    final Instant[] timestamps;
    final int[] exclude;
    int size;

    Batch(ReferenceSample sample, int capacity) {
      this.sample = sample;
      this.queries = new float[capacity * sample.dimension()];
      this.ids = new String[capacity];
      this.timestamps = new Instant[capacity];
      this.exclude = new int[capacity];
    }

    void add(Embedding e, Instant timestamp) {
      checkArgument(
          e.dimension() == sample.dimension(),
          "embedding %s has dimension %s but the reference sample has dimension %s",
          e.id(),
          e.dimension(),
          sample.dimension());
      e.copyTo(queries, size * sample.dimension());
      ids[size] = e.id();
      timestamps[size] = timestamp;
      exclude[size] = sample.rowOf(e.id());
      size++;
    }

    boolean full() {
      return size == ids.length;
    }
  }

  /**
   * Buffers queries per window, up to {@code batchSize}, and scores each batch with one blocked
   * product. Results go out with their own timestamp: at once if it is not before the current
   * element's (the only direction a DoFn may move timestamps), else at the end of the bundle.
   */
  private static final class ScoreFn extends DoFn<Embedding, DocumentScore> {
    private final PCollectionView<ReferenceSample> sample;
    private final Kernel kernel;
    private final int batchSize;
    private final Counter scored = Metrics.counter(KdeDensity.class, "embeddings_scored");
    private final Counter selfExcluded =
        Metrics.counter(KdeDensity.class, "references_self_excluded");
    private final Distribution batchSizes = Metrics.distribution(KdeDensity.class, "batch_size");
    private final Distribution batchMicros = Metrics.distribution(KdeDensity.class, "batchLatencyMicros");
    private transient Map<BoundedWindow, Batch> batches;
    private transient List<Pending> pending;
    private transient double[] out;

    ScoreFn(PCollectionView<ReferenceSample> sample, Kernel kernel, int batchSize) {
      this.sample = sample;
      this.kernel = kernel;
      this.batchSize = batchSize;
    }

    private static final class Pending {
      final DocumentScore value;
      final Instant timestamp;
      final BoundedWindow window;

      Pending(DocumentScore value, Instant timestamp, BoundedWindow window) {
        this.value = value;
        this.timestamp = timestamp;
        this.window = window;
      }
    }

    @StartBundle
    public void startBundle() {
      batches = new HashMap<>();
      pending = new ArrayList<>();
      out = new double[batchSize];
    }

    @ProcessElement
    public void process(ProcessContext c, BoundedWindow window) {
      Batch batch = batches.get(window);
      if (batch == null) {
        batch = new Batch(c.sideInput(sample), batchSize);
        batches.put(window, batch);
      }
      batch.add(c.element(), c.timestamp());
      if (batch.full()) {
        score(batch);
        for (int i = 0; i < batch.size; i++) {
          DocumentScore result = DocumentScore.of(batch.ids[i], out[i]);
          if (batch.timestamps[i].isBefore(c.timestamp())) {
            pending.add(new Pending(result, batch.timestamps[i], window));
          } else {
            c.outputWithTimestamp(result, batch.timestamps[i]);
          }
        }
        batch.size = 0;
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      for (Pending p : pending) {
        c.output(p.value, p.timestamp, p.window);
      }
      for (Map.Entry<BoundedWindow, Batch> e : batches.entrySet()) {
        Batch batch = e.getValue();
        if (batch.size > 0) {
          score(batch);
          for (int i = 0; i < batch.size; i++) {
            c.output(DocumentScore.of(batch.ids[i], out[i]), batch.timestamps[i], e.getKey());
          }
        }
      }
      batches.clear();
      pending.clear();
    }

    private void score(Batch batch) {
      long start = System.nanoTime();
      batch.sample.densities(batch.queries, batch.size, batch.exclude, kernel, out);
      batchMicros.update((System.nanoTime() - start) / 1000);
      scored.inc(batch.size);
      batchSizes.update(batch.size);
      for (int i = 0; i < batch.size; i++) {
        if (batch.exclude[i] >= 0) {
          selfExcluded.inc();
        }
      }
    }
  }

  // ---------------------------------------------------------------- RACE sketch

  /**
   * Hash functions for one dimension, built on first use: every instance of a fn derives the same
   * functions from the seed, so it does not matter which worker builds them.
   */
  private static final class HashesHolder implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Settings settings;
    private transient volatile RaceHashes hashes;

    HashesHolder(Settings settings) {
      this.settings = settings;
    }

    RaceHashes forDimension(int dimension) {
      RaceHashes h = hashes;
      if (h == null || h.dimension() != dimension) {
        h = settings.hashes(dimension);
        hashes = h;
      }
      return h;
    }
  }

  /** Pass 1: per-worker partial sketches, merged by adding counters. */
  private static final class SketchFn extends Combine.CombineFn<Embedding, RaceSketch, RaceSketch> {
    private final int rows;
    private final int buckets;
    private final HashesHolder hashes;

    SketchFn(Settings settings) {
      this.rows = settings.rows();
      this.buckets = settings.buckets();
      this.hashes = new HashesHolder(settings);
    }

    @Override
    public RaceSketch createAccumulator() {
      return RaceSketch.empty(rows, buckets);
    }

    @Override
    public RaceSketch addInput(RaceSketch sketch, Embedding e) {
      RaceHashes h = hashes.forDimension(e.dimension());
      return sketch.add(h.bucketsOf(e.vector()), e.dimension());
    }

    @Override
    public RaceSketch mergeAccumulators(Iterable<RaceSketch> sketches) {
      RaceSketch merged = RaceSketch.empty(rows, buckets);
      for (RaceSketch s : sketches) {
        merged.merge(s);
      }
      return merged;
    }

    @Override
    public RaceSketch extractOutput(RaceSketch sketch) {
      return sketch;
    }

    @Override
    public Coder<RaceSketch> getAccumulatorCoder(CoderRegistry r, Coder<Embedding> in) {
      return RaceSketch.RaceSketchCoder.of();
    }

    @Override
    public Coder<RaceSketch> getDefaultOutputCoder(CoderRegistry r, Coder<Embedding> in)
        throws CannotProvideCoderException {
      return RaceSketch.RaceSketchCoder.of();
    }
  }

  /** Pass 2: each embedding's score against its window's merged sketch. */
  private static final class SketchScoreFn extends DoFn<Embedding, DocumentScore> {
    private final HashesHolder hashes;
    private final PCollectionView<RaceSketch> sketch;
    private final Counter scored = Metrics.counter(KdeDensity.class, "embeddings_scored");
    private final Distribution scoreMicros = Metrics.distribution(KdeDensity.class, "batchLatencyMicros");

    SketchScoreFn(Settings settings, PCollectionView<RaceSketch> sketch) {
      this.hashes = new HashesHolder(settings);
      this.sketch = sketch;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Embedding e = c.element();
      RaceSketch s = c.sideInput(sketch);
      checkArgument(
          e.dimension() == s.dimension(),
          "embedding %s has dimension %s but the sketch has dimension %s",
          e.id(),
          e.dimension(),
          s.dimension());
      long start = System.nanoTime();
      double density = s.score(hashes.forDimension(e.dimension()).bucketsOf(e.vector()));
      scoreMicros.update((System.nanoTime() - start) / 1000);
      c.output(DocumentScore.of(e.id(), density));
      scored.inc();
    }
  }
}
