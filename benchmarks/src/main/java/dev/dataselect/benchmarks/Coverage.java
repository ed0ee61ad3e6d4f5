package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.density.BandwidthHeuristic;
import dev.dataselect.transforms.density.KdeDensity;
import dev.dataselect.transforms.density.KeepRule;
import dev.dataselect.transforms.density.Kernel;
import dev.dataselect.transforms.density.LogHistogram;
import dev.dataselect.transforms.density.ReferenceSample;
import dev.dataselect.transforms.density.SampleByDensity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How well a sample covers the corpus: the mean, over every corpus point, of the L2 distance to its
 * nearest kept point (0 for kept points), for DENSITY (inverse-propensity) sampling and random
 * sampling at each rate, each averaged over 5 seeds; also the 99th percentile and the maximum, and
 * the single-seed top-k / bottom-k by density, SemDeDup (the rate least similar to a preceding
 * document of their k-means cluster) and SSL prototypes (the rate farthest from their centroid),
 * with {@code --kmeans-k=50} clusters. Lower is better coverage.
 *
 * <p>Densities are the transforms' defaults: the reference-sample KDE (m = min(10,000, N),
 * Gaussian, bandwidth by the default heuristic, seed 0) scored by {@link ReferenceSample}; samples
 * are drawn by {@link KeepRule} from a {@link LogHistogram} exactly as {@link SampleByDensity}
 * does, and random ones by {@code Hashes.unit(id, seed) < rate} as {@code Select.random} does.
 * Prints a table as {@code #} lines, then {@code name: value} lines, the headline last.
 *
 * <pre>
 * --embeddings=PATH | --synthetic [--n=6000 --dim=64 --clusters=20 --data-seed=1]
 * --rates=10,20,40,60,80 --seeds=5 --m=10000
 * --bandwidth=(by heuristic) --bandwidth-heuristic=MEDIAN_NEAREST_NEIGHBOR_DISTANCE
 * </pre>
 */
public final class Coverage {
  private Coverage() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    BenchArgs.Corpus corpus = a.corpus();
    List<Embedding> e = corpus.embeddings;
    int n = e.size();
    int seeds = a.integer("seeds", 5);
    int m = Math.min(a.integer("m", KdeDensity.DEFAULT_SAMPLE_SIZE), n);
    int[] rates =
        Arrays.stream(a.string("rates", "10,20,40,60,80").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    KdeAccuracy.print("corpus", corpus.description);
    KdeAccuracy.print("documents", n);

    long t = System.nanoTime();
    BandwidthHeuristic heuristic =
        BandwidthHeuristic.valueOf(
            a.string("bandwidth-heuristic", KdeDensity.DEFAULT_BANDWIDTH_HEURISTIC.name()));
    ReferenceSample sample =
        a.string("bandwidth", null) == null
            ? ReferenceSample.draw(e, m, 0, heuristic)
            : ReferenceSample.draw(e, m, 0, a.number("bandwidth", 0));
    double[] density = sample.densitiesOf(e, Kernel.GAUSSIAN, KdeDensity.DEFAULT_BATCH_SIZE);
    KdeAccuracy.print(
        "densities",
        "reference KDE m="
            + m
            + " GAUSSIAN bandwidth="
            + KdeAccuracy.fmt(sample.bandwidth())
            + (a.string("bandwidth", null) == null ? " (" + heuristic + ")" : " (given)")
            + " seconds="
            + KdeAccuracy.fmt(KdeAccuracy.seconds(t)));
    LogHistogram histogram =
        LogHistogram.withRelativeAccuracy(SampleByDensity.DEFAULT_RELATIVE_ACCURACY);
    for (double d : density) {
      histogram.add(d);
    }
    t = System.nanoTime();
    NearestKept nearest = new NearestKept(e);
    KdeAccuracy.print("seconds_distances", KdeAccuracy.fmt(KdeAccuracy.seconds(t)));

    t = System.nanoTime();
    int k = a.integer("kmeans-k", 50);
    double[] prototypeDistance = new double[n];
    double[] semdedupSimilarity = new double[n];
    clusterScores(e, k, prototypeDistance, semdedupSimilarity);
    KdeAccuracy.print("clusters", "KMeans.of(" + k + ") seed 1, 10 iterations, then SemDeDup (hash order) on Flink local; seconds="
        + KdeAccuracy.fmt(KdeAccuracy.seconds(t)));

    List<String> lines = new ArrayList<>();
    List<String> table = new ArrayList<>();
    table.add(
        String.format(
            Locale.ROOT,
            "%5s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %s",
            "rate",
            "dens.mean",
            "rand.mean",
            "dens.p99",
            "rand.p99",
            "dens.max",
            "rand.max",
            "sparsest",
            "densest",
            "semdedup",
            "protos",
            "density lower (mean)?"));
    int wins = 0;
    for (int rate : rates) {
      double r = rate / 100.0;
      Stats dens = new Stats();
      Stats rand = new Stats();
      long keptDensity = 0;
      for (int s = 1; s <= seeds; s++) {
        KeepRule rule = KeepRule.inversePropensity(histogram, r);
        boolean[] kd = new boolean[n];
        boolean[] kr = new boolean[n];
        for (int i = 0; i < n; i++) {
          kd[i] = rule.keep(e.get(i).id(), density[i], s);
          kr[i] = Hashes.unit(e.get(i).id(), s) < r;
          keptDensity += kd[i] ? 1 : 0;
        }
        dens.add(nearest.distances(kd));
        rand.add(nearest.distances(kr));
      }
      double sparsest = mean(nearest.distances(keep(KeepRule.sparsest(histogram, r), e, density)));
      double densest = mean(nearest.distances(keep(KeepRule.densest(histogram, r), e, density)));
      // The lowest similarity to a preceding document of the cluster first; the farthest from the centroid first.
      double semdedup = mean(nearest.distances(topByScore(e, semdedupSimilarity, r, false)));
      double prototypes = mean(nearest.distances(topByScore(e, prototypeDistance, r, true)));
      boolean lower = dens.mean() < rand.mean();
      wins += lower ? 1 : 0;
      table.add(
          String.format(
              Locale.ROOT,
              "%4d%% | %8.4f %8.4f | %8.4f %8.4f | %8.4f %8.4f | %8.4f %8.4f | %8.4f %8.4f | %s",
              rate,
              dens.mean(),
              rand.mean(),
              dens.p99(),
              rand.p99(),
              dens.max(),
              rand.max(),
              sparsest,
              densest,
              semdedup,
              prototypes,
              lower ? "yes" : "no"));
      String p = "rate" + rate + "_";
      lines.add(p + "density_kept_mean: " + KdeAccuracy.fmt((double) keptDensity / seeds));
      lines.add(p + "density_mean_nn_distance: " + KdeAccuracy.fmt(dens.mean()));
      lines.add(p + "random_mean_nn_distance: " + KdeAccuracy.fmt(rand.mean()));
      lines.add(p + "density_p99_nn_distance: " + KdeAccuracy.fmt(dens.p99()));
      lines.add(p + "random_p99_nn_distance: " + KdeAccuracy.fmt(rand.p99()));
      lines.add(p + "density_max_nn_distance: " + KdeAccuracy.fmt(dens.max()));
      lines.add(p + "random_max_nn_distance: " + KdeAccuracy.fmt(rand.max()));
      lines.add(p + "sparsest_mean_nn_distance: " + KdeAccuracy.fmt(sparsest));
      lines.add(p + "densest_mean_nn_distance: " + KdeAccuracy.fmt(densest));
      lines.add(p + "semdedup_mean_nn_distance: " + KdeAccuracy.fmt(semdedup));
      lines.add(p + "prototypes_mean_nn_distance: " + KdeAccuracy.fmt(prototypes));
      lines.add(p + "density_lower_than_random: " + (lower ? "yes" : "no"));
    }
    for (String line : table) {
      System.out.println("# " + line);
    }
    lines.forEach(System.out::println);
    KdeAccuracy.print(
        "density_lower_mean_nn_distance_than_random_at", wins + "/" + rates.length + " rates");
  }

  /** The round(rate x n) documents first by score (highest first, or lowest), ties by hash(id, 1). */
  static boolean[] topByScore(List<Embedding> e, double[] score, double rate, boolean highestFirst) {
    Integer[] order = new Integer[e.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Comparator<Integer> byScore = java.util.Comparator.comparingDouble(i -> score[i]);
    Arrays.sort(order, (highestFirst ? byScore.reversed() : byScore)
        .thenComparingDouble(i -> Hashes.unit(e.get(i).id(), 1)));
    boolean[] k = new boolean[order.length];
    long wanted = Math.round(rate * order.length);
    for (int i = 0; i < wanted; i++) {
      k[order[i]] = true;
    }
    return k;
  }

  private static final java.util.Map<String, Double> DISTANCES = new java.util.concurrent.ConcurrentHashMap<>();
  private static final java.util.Map<String, Double> SIMILARITIES = new java.util.concurrent.ConcurrentHashMap<>();

  /** KMeans then SemDeDup over {@code e} on Flink in process: each point's distance to its centroid and nearest-preceding similarity. */
  static void clusterScores(List<Embedding> e, int k, double[] distance, double[] similarity) {
    DISTANCES.clear();
    SIMILARITIES.clear();
    org.apache.beam.sdk.Pipeline p = org.apache.beam.sdk.Pipeline.create(org.apache.beam.sdk.options.PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2").create());
    org.apache.beam.sdk.values.PCollection<Embedding> in = p.apply(org.apache.beam.sdk.transforms.Create.of(e));
    dev.dataselect.transforms.cluster.KMeans.Result r = in.apply(dev.dataselect.transforms.cluster.KMeans.of(k).withSeed(1));
    r.assignments().apply("KeepDistances", org.apache.beam.sdk.transforms.ParDo.of(new KeepDistanceFn()));
    in.apply(dev.dataselect.transforms.cluster.SemDeDup.within(r.centroidsView()).withSeed(1).withShards(64))
        .apply("KeepSimilarities", org.apache.beam.sdk.transforms.ParDo.of(new KeepSimilarityFn()));
    p.run().waitUntilFinish();
    for (int i = 0; i < e.size(); i++) {
      distance[i] = DISTANCES.get(e.get(i).id());
      similarity[i] = SIMILARITIES.get(e.get(i).id());
    }
  }

  private static final class KeepDistanceFn extends org.apache.beam.sdk.transforms.DoFn<dev.dataselect.transforms.cluster.ClusterAssignment, Void> {
    @ProcessElement
    public void process(@Element dev.dataselect.transforms.cluster.ClusterAssignment a) {
      DISTANCES.put(a.id(), a.distance());
    }
  }

  private static final class KeepSimilarityFn extends org.apache.beam.sdk.transforms.DoFn<dev.dataselect.transforms.cluster.NearestPreceding, Void> {
    @ProcessElement
    public void process(@Element dev.dataselect.transforms.cluster.NearestPreceding n) {
      SIMILARITIES.put(n.id(), n.similarity());
    }
  }

  private static boolean[] keep(KeepRule rule, List<Embedding> e, double[] density) {
    boolean[] k = new boolean[e.size()];
    for (int i = 0; i < k.length; i++) {
      k[i] = rule.keep(e.get(i).id(), density[i], 1);
    }
    return k;
  }

  private static double mean(double[] x) {
    return Arrays.stream(x).average().orElse(Double.NaN);
  }

  /** Seed-averaged mean, 99th percentile and maximum of nearest-kept distances. */
  private static final class Stats {
    private double mean;
    private double p99;
    private double max;
    private int runs;

    void add(double[] distances) {
      double[] sorted = distances.clone();
      Arrays.sort(sorted);
      mean += Coverage.mean(sorted);
      p99 += sorted[(int) Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)];
      max += sorted[sorted.length - 1];
      runs++;
    }

    double mean() {
      return mean / runs;
    }

    double p99() {
      return p99 / runs;
    }

    double max() {
      return max / runs;
    }
  }

  /**
   * Distances from every point to its nearest kept point. Keeps the full N x N distance matrix (as
   * floats) up to 16,000 points, computing rows on demand above that.
   */
  static final class NearestKept {
    private final float[][] vectors;
    private final float[][] matrix;

    NearestKept(List<Embedding> e) {
      int n = e.size();
      vectors = new float[n][];
      for (int i = 0; i < n; i++) {
        vectors[i] = e.get(i).vector();
      }
      if (n <= 16_000) {
        matrix = new float[n][n];
        for (int i = 0; i < n; i++) {
          for (int j = i + 1; j < n; j++) {
            float dist = (float) distance(vectors[i], vectors[j]);
            matrix[i][j] = dist;
            matrix[j][i] = dist;
          }
        }
      } else {
        matrix = null;
      }
    }

    private static double distance(float[] a, float[] b) {
      double s = 0;
      for (int c = 0; c < a.length; c++) {
        double diff = (double) a[c] - b[c];
        s += diff * diff;
      }
      return Math.sqrt(s);
    }

    double[] distances(boolean[] kept) {
      int n = vectors.length;
      int[] keptIdx = new int[n];
      int k = 0;
      for (int i = 0; i < n; i++) {
        if (kept[i]) {
          keptIdx[k++] = i;
        }
      }
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        if (kept[i]) {
          continue;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int q = 0; q < k; q++) {
          int j = keptIdx[q];
          double dist = matrix != null ? matrix[i][j] : distance(vectors[i], vectors[j]);
          if (dist < best) {
            best = dist;
          }
        }
        out[i] = best;
      }
      return out;
    }
  }
}
