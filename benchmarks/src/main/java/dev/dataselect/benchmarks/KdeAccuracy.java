package dev.dataselect.benchmarks;

import dev.dataselect.transforms.student.HeldOutMetrics;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.density.BandwidthHeuristic;
import dev.dataselect.transforms.density.KdeDensity;
import dev.dataselect.transforms.density.Kernel;
import dev.dataselect.transforms.density.LshFamily;
import dev.dataselect.transforms.density.RaceHashes;
import dev.dataselect.transforms.density.RaceSketch;
import dev.dataselect.transforms.density.ReferenceSample;
import java.util.List;
import java.util.Locale;

/**
 * How well the density estimators rank documents: Spearman rank correlation of each estimator's
 * densities with the exact leave-one-out KDE, {@code (1 / (N - 1)) sum over x != y of k(x, y)},
 * computed here by a plain double loop (not the blocked product). Estimators: the reference-sample
 * KDE at {@code m} (default 1,000) and at m = all, and the RACE sketch (p-stable and SRP), whose
 * rank correlation with its own exact LSH kernel is printed too, to separate the sketch's noise
 * from the kernel mismatch. All estimators run the transforms' own code ({@link ReferenceSample},
 * {@link RaceHashes}, {@link RaceSketch}). Prints {@code name: value} lines, the headline last.
 *
 * <pre>
 * --embeddings=PATH | --synthetic [--n=6000 --dim=64 --clusters=20 --data-seed=1]
 * --m=1000 --seed=0 --kernel=GAUSSIAN
 * --bandwidth=(by heuristic) --bandwidth-heuristic=MEDIAN_NEAREST_NEIGHBOR_DISTANCE
 * --rows=1000 --buckets=20000 --hashes-per-row=1 --width=1.0 --srp-bits=1
 * </pre>
 */
public final class KdeAccuracy {
  private KdeAccuracy() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    BenchArgs.Corpus corpus = a.corpus();
    List<Embedding> e = corpus.embeddings;
    int n = e.size();
    long seed = a.integer("seed", 0);
    int m = a.integer("m", 1000);
    Kernel kernel = Kernel.valueOf(a.string("kernel", "GAUSSIAN"));
    print("corpus", corpus.description);
    print("documents", n);
    print("dimension", e.get(0).dimension());

    BandwidthHeuristic heuristic =
        BandwidthHeuristic.valueOf(
            a.string("bandwidth-heuristic", KdeDensity.DEFAULT_BANDWIDTH_HEURISTIC.name()));
    long t = System.nanoTime();
    ReferenceSample all =
        a.string("bandwidth", null) == null
            ? ReferenceSample.draw(e, n, seed, heuristic)
            : ReferenceSample.draw(e, n, seed, a.number("bandwidth", 0));
    double h = all.bandwidth();
    print("kernel", kernel.name());
    print(
        "bandwidth",
        fmt(h) + (a.string("bandwidth", null) == null ? " (" + heuristic + ")" : " (given)"));
    double[] referenceAll = all.densitiesOf(e, kernel, 256);
    double secondsAll = seconds(t);

    t = System.nanoTime();
    double[] exact = exactKde(e, kernel, h);
    double secondsExact = seconds(t);

    t = System.nanoTime();
    double[] referenceM = ReferenceSample.draw(e, m, seed, h).densitiesOf(e, kernel, 256);
    double secondsM = seconds(t);

    int rows = a.integer("rows", 1000);
    int buckets = a.integer("buckets", 20000);
    int k = a.integer("hashes-per-row", 1);
    double w = a.number("width", 1.0);
    int srpBits = a.integer("srp-bits", 1);
    t = System.nanoTime();
    RaceHashes pStable =
        RaceHashes.create(LshFamily.P_STABLE, rows, k, buckets, w, e.get(0).dimension(), seed);
    double[] sketch = sketchScores(pStable, e);
    double secondsSketch = seconds(t);
    RaceHashes srp =
        RaceHashes.create(
            LshFamily.SIGNED_RANDOM_PROJECTION,
            rows,
            srpBits,
            buckets,
            1.0,
            e.get(0).dimension(),
            seed);
    double[] sketchSrp = sketchScores(srp, e);

    print("seconds_exact_plain_loop", fmt(secondsExact));
    print("seconds_reference_all", fmt(secondsAll));
    print(
        "max_abs_difference_reference_all_vs_exact",
        String.format(Locale.ROOT, "%.3g", maxAbsDifference(referenceAll, exact)));
    print("spearman_reference_all", fmt(HeldOutMetrics.spearman(referenceAll, exact)));
    print("seconds_reference_m" + m, fmt(secondsM));
    print(
        "sketch_p_stable",
        "R=" + rows + " B=" + buckets + " K=" + k + " w=" + w + " seconds=" + fmt(secondsSketch));
    print(
        "spearman_sketch_p_stable_vs_its_lsh_kernel",
        fmt(HeldOutMetrics.spearman(sketch, lshKernel(pStable, e))));
    print("spearman_sketch_p_stable", fmt(HeldOutMetrics.spearman(sketch, exact)));
    print("sketch_srp", "R=" + rows + " B=" + buckets + " K=" + srpBits);
    print(
        "spearman_sketch_srp_vs_its_lsh_kernel", fmt(HeldOutMetrics.spearman(sketchSrp, lshKernel(srp, e))));
    print("spearman_sketch_srp", fmt(HeldOutMetrics.spearman(sketchSrp, exact)));
    print("spearman_reference_m" + m, fmt(HeldOutMetrics.spearman(referenceM, exact)));
  }

  /** The exact leave-one-out KDE by a plain loop over pairs (differences, not dot products). */
  static double[] exactKde(List<Embedding> e, Kernel kernel, double h) {
    int n = e.size();
    int d = e.get(0).dimension();
    float[][] v = new float[n][];
    for (int i = 0; i < n; i++) {
      v[i] = e.get(i).vector();
    }
    double[] sum = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double s = 0;
        for (int c = 0; c < d; c++) {
          double diff = (double) v[i][c] - v[j][c];
          s += diff * diff;
        }
        double kv = kernel.of(Math.sqrt(s), h);
        sum[i] += kv;
        sum[j] += kv;
      }
    }
    for (int i = 0; i < n; i++) {
      sum[i] = n > 1 ? sum[i] / (n - 1) : 0;
    }
    return sum;
  }

  /** Pass 1 and pass 2 of the sketch, as KdeDensity runs them. */
  static double[] sketchScores(RaceHashes hashes, List<Embedding> e) {
    RaceSketch sketch = RaceSketch.empty(hashes.rows(), hashes.buckets());
    int[][] buckets = new int[e.size()][];
    for (int i = 0; i < e.size(); i++) {
      buckets[i] = hashes.bucketsOf(e.get(i).vector());
      sketch.add(buckets[i], e.get(i).dimension());
    }
    double[] scores = new double[e.size()];
    for (int i = 0; i < e.size(); i++) {
      scores[i] = sketch.score(buckets[i]);
    }
    return scores;
  }

  /** The sketch's exact target: mean LSH collision probability with the other points. */
  static double[] lshKernel(RaceHashes hashes, List<Embedding> e) {
    int n = e.size();
    double[] sum = new double[n];
    float[][] v = new float[n][];
    for (int i = 0; i < n; i++) {
      v[i] = e.get(i).vector();
    }
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double p = hashes.collisionProbability(v[i], v[j]);
        sum[i] += p;
        sum[j] += p;
      }
    }
    for (int i = 0; i < n; i++) {
      sum[i] /= Math.max(1, n - 1);
    }
    return sum;
  }

  static double maxAbsDifference(double[] a, double[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  static String fmt(double x) {
    return String.format(Locale.ROOT, "%.4f", x);
  }

  static void print(String name, Object value) {
    System.out.println(name + ": " + value);
  }
}
