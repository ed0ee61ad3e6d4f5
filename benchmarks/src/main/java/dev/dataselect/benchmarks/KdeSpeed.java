package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.density.BandwidthHeuristic;
import dev.dataselect.transforms.density.Kernel;
import dev.dataselect.transforms.density.ReferenceSample;
import dev.dataselect.transforms.density.KdeDensity;
import dev.dataselect.transforms.density.LshFamily;
import dev.dataselect.transforms.density.RaceHashes;
import dev.dataselect.transforms.density.RaceSketch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code bin/bench kde-speed}: how fast the reference KDE's kernel step runs against the machine's
 * measured FP32 peak ({@link Fp32Peak}), the old exact scalar path for the ratio, the RACE sketch's
 * size against N, and the density stage's wall per document at growing N in a Beam pipeline.
 *
 * <p>Options: {@code --n=100000} queries and {@code --m=1000,5000} references for the kernel step,
 * {@code --dim=384}, {@code --batch=256} queries per batch (KdeDensity's default), {@code
 * --callers=<cores>} threads scoring batches at once (as a runner's parallel DoFn instances do),
 * {@code --repeats=3} of the headline, {@code --exact-n=1000} queries for the old path, {@code
 * --sections=peak,kernel,race,stage}, and the sections' own options (below).
 */
public final class KdeSpeed {
  private KdeSpeed() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    int cores = Runtime.getRuntime().availableProcessors();
    int dim = a.integer("dim", 384);
    int n = a.integer("n", 100_000);
    int batch = a.integer("batch", 256);
    int callers = a.integer("callers", cores);
    int repeats = a.integer("repeats", 3);
    String sections = a.string("sections", "peak,kernel,race,stage");
    SyntheticEmbeddings.Generator gen = new SyntheticEmbeddings.Generator(dim, 50, 1);

    double peak = Double.NaN;
    if (sections.contains("peak")) {
      Fp32Peak.Nominal nominal = Fp32Peak.nominal();
      BenchSupport.print("fp32_nominal_gflops", nominal.gflops());
      BenchSupport.print("fp32_nominal_how", nominal.description());
      Fp32Peak.Result r = Fp32Peak.measure(cores);
      BenchSupport.print("fp32_peak_how", r.describe());
      BenchSupport.print("fp32_peak_gflops", r.gflops());
      peak = r.gflops();
    }
    if (sections.contains("kernel")) {
      float[] queries = new float[Math.multiplyExact(n, dim)];
      for (int i = 0; i < n; i++) {
        gen.at(1_000_000_000L + i, queries, i * dim);
      }
      String[] ms = a.string("m", "1000,5000").split(",");
      for (String mText : ms) {
        int m = Integer.parseInt(mText.trim());
        ReferenceSample sample = sample(gen, m);
        BenchSupport.print("kernel_bandwidth_m" + m, sample.bandwidth());
        kernelRate(sample, queries, batch, batch, callers, false); // session load and warm-up
        double[] rates = new double[repeats];
        for (int r = 0; r < repeats; r++) {
          rates[r] = kernelRate(sample, queries, n, batch, callers, false);
        }
        BenchSupport.print("kernel_gflops_m" + m + "_runs", join(rates));
        double best = max(rates);
        BenchSupport.print("kernel_gflops_m" + m, best);
        if (!Double.isNaN(peak)) {
          BenchSupport.print("kernel_fraction_of_peak_m" + m + "_runs", join(divide(rates, peak)));
          BenchSupport.print("kernel_fraction_of_peak_m" + m, best / peak);
        }
        if (m == Integer.parseInt(ms[0].trim())) {
          lastFraction = best / peak;
          int exactN = Math.min(n, a.integer("exact-n", 1000));
          double exact = kernelRate(sample, queries, exactN, batch, callers, true);
          BenchSupport.print("exact_gflops_m" + m + "_n" + exactN, exact);
          BenchSupport.print("ratio_m" + m, best / exact);
          for (Kernel k : Kernel.values()) {
            BenchSupport.print(
                "max_rel_diff_vs_exact_" + k.name().toLowerCase(java.util.Locale.ROOT) + "_m" + m,
                maxRelativeDifference(sample, queries, exactN, k));
          }
        }
      }
    }
    if (sections.contains("race")) {
      raceBytes(a, gen, cores);
    }
    if (sections.contains("stage")) {
      stage(a, gen);
    }
    if (sections.contains("kernel") && !Double.isNaN(peak)) {
      BenchSupport.print("kernel_fraction_of_peak", lastFraction);
    }
  }

  private static double lastFraction = Double.NaN;

  /**
   * RACE sketch bytes (its coder's output) after N points, {@code --race-sizes=10000,100000,1000000}
   * with {@code --race-rows=100} (the default 1,000 rows would take minutes of hashing at 1M on two
   * cores; bytes scale with rows x buckets) and KdeDensity's default 20,000 buckets, p-stable LSH,
   * width 1. Points are hashed on all cores, one partial sketch per thread, merged.
   */
  static void raceBytes(BenchArgs a, SyntheticEmbeddings.Generator gen, int cores)
      throws Exception {
    int rows = a.integer("race-rows", 100);
    int buckets = a.integer("race-buckets", KdeDensity.DEFAULT_BUCKETS);
    RaceHashes hashes =
        RaceHashes.create(
            LshFamily.P_STABLE, rows, 1, buckets, KdeDensity.DEFAULT_BUCKET_WIDTH, gen.dimension(), 0);
    BenchSupport.print("race_rows_buckets", rows + "x" + buckets);
    RaceSketch sketch = RaceSketch.empty(rows, buckets);
    long done = 0;
    for (String sizeText : a.string("race-sizes", "10000,100000,1000000").split(",")) {
      long size = Long.parseLong(sizeText.trim());
      long from = done;
      ExecutorService pool = Executors.newFixedThreadPool(cores);
      List<Future<RaceSketch>> parts = new ArrayList<>();
      for (int t = 0; t < cores; t++) {
        int thread = t;
        parts.add(
            pool.submit(
                () -> {
                  RaceSketch part = RaceSketch.empty(rows, buckets);
                  float[] v = new float[gen.dimension()];
                  int[] b = new int[rows];
                  for (long i = from + thread; i < size; i += cores) {
                    gen.at(i, v, 0);
                    hashes.bucketsOf(v, 0, b);
                    part.add(b, v.length);
                  }
                  return part;
                }));
      }
      for (Future<RaceSketch> f : parts) {
        sketch.merge(f.get());
      }
      pool.shutdown();
      done = size;
      byte[] bytes = CoderUtils.encodeToByteArray(RaceSketch.RaceSketchCoder.of(), sketch);
      BenchSupport.print("race_sketch_bytes_n" + size, bytes.length);
    }
  }

  /**
   * The density stage's wall at {@code --stage-sizes=10000,100000,1000000} documents: a Beam
   * pipeline on {@code --runner=FlinkRunner --flinkMaster=[local] --parallelism=2} (override with
   * {@code --stage-runner=DirectRunner}) that generates the clustered corpus from a GenerateSequence
   * ({@link SyntheticEmbeddings.Generator}, so no machine holds the corpus) and scores it with
   * {@code KdeDensity.referenceSample()} ({@code --stage-m=1000} references, the default bandwidth
   * heuristic and kernel), counting the outputs. The same pipeline without KdeDensity gives the
   * generation wall, subtracted for the stage's own wall.
   */
  static void stage(BenchArgs a, SyntheticEmbeddings.Generator gen) {
    int m = a.integer("stage-m", 1000);
    String runner = a.string("stage-runner", "FlinkRunner");
    int parallelism = a.integer("parallelism", 2);
    BenchSupport.print(
        "stage_how",
        runner + " parallelism " + parallelism + ", KdeDensity.referenceSample() m=" + m
            + ", clustered synthetic " + gen.dimension() + "-d unit embeddings");
    // Warm-up (class loading, JIT, the runner's first start), so the first size is not charged for it.
    runStage(gen, 2_000, m, runner, parallelism, true);
    double previous = Double.NaN;
    for (String sizeText : a.string("stage-sizes", "10000,100000,1000000").split(",")) {
      long size = Long.parseLong(sizeText.trim());
      double generate = runStage(gen, size, m, runner, parallelism, false);
      double total = runStage(gen, size, m, runner, parallelism, true);
      double perDocument = (total - generate) / size;
      BenchSupport.print("stage_wall_s_n" + size, total);
      BenchSupport.print("stage_generate_only_wall_s_n" + size, generate);
      BenchSupport.print("stage_density_us_per_doc_n" + size, perDocument * 1e6);
      if (!Double.isNaN(previous)) {
        BenchSupport.print("stage_per_doc_growth_to_n" + size, perDocument / previous);
      }
      previous = perDocument;
    }
  }

  private static double runStage(
      SyntheticEmbeddings.Generator gen,
      long size,
      int m,
      String runner,
      int parallelism,
      boolean density) {
    List<String> args = new ArrayList<>(List.of("--runner=" + runner));
    if (runner.equals("FlinkRunner")) {
      args.add("--flinkMaster=[local]");
      args.add("--parallelism=" + parallelism);
    } else {
      args.add("--targetParallelism=" + parallelism);
    }
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).create();
    Pipeline p = Pipeline.create(options);
    PCollection<Embedding> embeddings =
        p.apply("Ids", GenerateSequence.from(0).to(size))
            .apply("Generate", ParDo.of(new GenerateFn(gen)));
    PCollection<Long> count;
    if (density) {
      count =
          embeddings
              .apply("Density", KdeDensity.referenceSample().withSampleSize(m))
              .apply("Count", Count.globally());
    } else {
      count = embeddings.apply("Count", Count.globally());
    }
    count.apply("Check", ParDo.of(new CheckCountFn(size)));
    long t0 = System.nanoTime();
    p.run().waitUntilFinish();
    return (System.nanoTime() - t0) / 1e9;
  }

  static final class GenerateFn extends DoFn<Long, Embedding> {
    private static final long serialVersionUID = 1L;
    private final SyntheticEmbeddings.Generator gen;

    GenerateFn(SyntheticEmbeddings.Generator gen) {
      this.gen = gen;
    }

    @ProcessElement
    public void process(@Element Long i, OutputReceiver<Embedding> out) {
      out.output(gen.embedding(i));
    }
  }

  static final class CheckCountFn extends DoFn<Long, Void> {
    private static final long serialVersionUID = 1L;
    private final long expected;

    CheckCountFn(long expected) {
      this.expected = expected;
    }

    @ProcessElement
    public void process(@Element Long count) {
      if (count != expected) {
        throw new IllegalStateException("scored " + count + " of " + expected + " documents");
      }
    }
  }

  /** The first m points of the corpus as a reference sample, bandwidth by the default heuristic. */
  static ReferenceSample sample(SyntheticEmbeddings.Generator gen, int m) {
    List<Embedding> refs = new ArrayList<>(m);
    for (int i = 0; i < m; i++) {
      refs.add(gen.embedding(i));
    }
    return ReferenceSample.of(refs, BandwidthHeuristic.MEDIAN_NEAREST_NEIGHBOR_DISTANCE);
  }

  /**
   * GFLOP/s of the kernel step, counted as {@code 2 n m d / wall}: the first {@code n} queries in
   * batches of {@code batch}, {@code callers} threads taking batches in turn.
   */
  static double kernelRate(
      ReferenceSample sample, float[] queries, int n, int batch, int callers, boolean exact)
      throws Exception {
    int d = sample.dimension();
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    long t0 = System.nanoTime();
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        done.add(
            pool.submit(
                () -> {
                  float[] q = new float[batch * d];
                  int[] exclude = new int[batch];
                  java.util.Arrays.fill(exclude, -1);
                  double[] out = new double[batch];
                  for (int start = next.getAndAdd(batch); start < n; start = next.getAndAdd(batch)) {
                    int size = Math.min(batch, n - start);
                    System.arraycopy(queries, start * d, q, 0, size * d);
                    if (exact) {
                      sample.exactDensities(q, size, exclude, Kernel.GAUSSIAN, out);
                    } else {
                      sample.densities(q, size, exclude, Kernel.GAUSSIAN, out);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return 2.0 * n * sample.size() * d / seconds / 1e9;
  }

  /** max |fp32 - exact| / exact over the first n queries, each also excluding reference row i. */
  static double maxRelativeDifference(ReferenceSample sample, float[] queries, int n, Kernel k) {
    int[] exclude = new int[n];
    for (int i = 0; i < n; i++) {
      exclude[i] = i % 2 == 0 ? -1 : i % sample.size();
    }
    float[] q = java.util.Arrays.copyOf(queries, n * sample.dimension());
    double[] fast = new double[n];
    double[] exact = new double[n];
    sample.densities(q, n, exclude, k, fast);
    sample.exactDensities(q, n, exclude, k, exact);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(fast[i] - exact[i]) / exact[i]);
    }
    return worst;
  }

  private static double max(double[] v) {
    double m = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      m = Math.max(m, x);
    }
    return m;
  }

  private static double[] divide(double[] v, double by) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] / by;
    }
    return out;
  }

  private static String join(double[] v) {
    StringBuilder s = new StringBuilder();
    for (double x : v) {
      s.append(s.length() == 0 ? "" : ",").append(String.format(java.util.Locale.ROOT, "%.3g", x));
    }
    return s.toString();
  }
}
