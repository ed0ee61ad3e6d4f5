package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.density.BandwidthHeuristic;
import dev.dataselect.transforms.density.Kernel;
import dev.dataselect.transforms.density.ReferenceSample;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

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
      double headline = Double.NaN;
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
          int exactN = Math.min(n, a.integer("exact-n", 1000));
          double exact = kernelRate(sample, queries, exactN, batch, callers, true);
          BenchSupport.print("exact_gflops_m" + m + "_n" + exactN, exact);
          BenchSupport.print("ratio_m" + m, best / exact);
          headline = best;
        }
      }
      if (!Double.isNaN(peak)) {
        BenchSupport.print("kernel_fraction_of_peak", headline / peak);
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
