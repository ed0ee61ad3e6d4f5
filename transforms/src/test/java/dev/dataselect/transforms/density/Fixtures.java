package dev.dataselect.transforms.density;

import dev.dataselect.transforms.Embedding;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Test data and brute-force references, written independently of the code under test. */
final class Fixtures {
  private Fixtures() {}

  /**
   * {@code n} embeddings of dimension {@code d} around {@code clusters} centres with unequal sizes
   * and spreads, ids {@code prefix + i}.
   */
  static List<Embedding> clustered(int n, int d, int clusters, long seed, String prefix) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] centres = new double[clusters][d];
    for (double[] c : centres) {
      for (int k = 0; k < d; k++) {
        c[k] = 2 * random.nextDouble() - 1;
      }
    }
    List<Embedding> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // cluster j with probability proportional to 1 / (j + 1)
      int j =
          (int) Math.min(clusters - 1, Math.floor(Math.pow(clusters + 1, random.nextDouble())) - 1);
      double spread = 0.05 + 0.1 * j;
      float[] v = new float[d];
      for (int k = 0; k < d; k++) {
        v[k] = (float) (centres[j][k] + spread * gaussian(random));
      }
      out.add(Embedding.of(prefix + i, v));
    }
    return out;
  }

  static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  static double distance(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      double diff = (double) a[k] - b[k];
      s += diff * diff;
    }
    return Math.sqrt(s);
  }

  static double kernel(Kernel kernel, double distance, double h) {
    return kernel == Kernel.GAUSSIAN
        ? Math.exp(-distance * distance / (2 * h * h))
        : Math.exp(-distance / h);
  }

  /** The m embeddings with the smallest (rankKey(id, seed), id). */
  static List<Embedding> references(List<Embedding> corpus, int m, long seed) {
    List<Embedding> sorted = new ArrayList<>(corpus);
    sorted.sort(
        Comparator.comparingDouble((Embedding e) -> ReferenceSample.rankKey(e.id(), seed))
            .thenComparing(Embedding::id));
    return sorted.subList(0, Math.min(m, sorted.size()));
  }

  /** Brute-force median of pairwise distances among the first min(m, 1000) references. */
  static double medianDistance(List<Embedding> refs) {
    int n = Math.min(refs.size(), 1000);
    List<Double> ds = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < i; j++) {
        ds.add(distance(refs.get(i).vector(), refs.get(j).vector()));
      }
    }
    ds.sort(Double::compare);
    int s = ds.size();
    return s % 2 == 1 ? ds.get(s / 2) : (ds.get(s / 2 - 1) + ds.get(s / 2)) / 2;
  }

  /** Brute-force median over the first min(m, 1000) references of the nearest-other distance. */
  static double medianNearestNeighborDistance(List<Embedding> refs) {
    int n = Math.min(refs.size(), 1000);
    List<Double> nearest = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double best = Double.POSITIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        if (j != i) {
          best = Math.min(best, distance(refs.get(i).vector(), refs.get(j).vector()));
        }
      }
      nearest.add(best);
    }
    nearest.sort(Double::compare);
    return n % 2 == 1 ? nearest.get(n / 2) : (nearest.get(n / 2 - 1) + nearest.get(n / 2)) / 2;
  }

  /** Brute-force reference KDE: mean kernel over the references other than the query itself. */
  static Map<String, Double> bruteForceKde(
      List<Embedding> corpus, List<Embedding> refs, Kernel kernel, double h) {
    Map<String, Double> out = new HashMap<>();
    for (Embedding q : corpus) {
      double sum = 0;
      int count = 0;
      for (Embedding r : refs) {
        if (!r.id().equals(q.id())) {
          sum += kernel(kernel, distance(q.vector(), r.vector()), h);
          count++;
        }
      }
      out.put(q.id(), count == 0 ? 0.0 : sum / count);
    }
    return out;
  }
}
