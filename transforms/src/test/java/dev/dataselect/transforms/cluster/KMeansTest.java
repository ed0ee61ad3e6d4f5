package dev.dataselect.transforms.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.junit.jupiter.api.Test;

/** KMeans on the DirectRunner: planted clusters, exact sums, bundling-independent centroids. */
public class KMeansTest {
  /**
   * {@code clusters} random unit directions in d dimensions, {@code perCluster} points around each
   * (noise 0.05 per component: within-cluster cosine about 0.97, between clusters about 0 ± 0.25).
   * Ids are {@code c<cluster>-<i>}.
   */
  public static List<Embedding> planted(int clusters, int perCluster, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Embedding> out = new ArrayList<>();
    for (int c = 0; c < clusters; c++) {
      float[] center = new float[d];
      for (int k = 0; k < d; k++) {
        center[k] = (float) gaussian(r);
      }
      DotKernel.normalize(center, 0, d);
      for (int i = 0; i < perCluster; i++) {
        float[] v = new float[d];
        for (int k = 0; k < d; k++) {
          v[k] = center[k] + 0.05f * (float) gaussian(r);
        }
        out.add(Embedding.of("c" + c + "-" + i, v));
      }
    }
    return out;
  }

  static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  @Test
  void recoversPlantedWellSeparatedClustersExactly() {
    List<Embedding> points = planted(6, 40, 24, 3);
    Pipeline p = TestPipelines.create();
    KMeans.Result result = p.apply(Create.of(points)).apply(KMeans.of(6).withSeed(11).withMaxIterations(3));
    PAssert.that(result.assignments()).satisfies(new SamePartition());
    PAssert.thatSingleton(result.centroids()).satisfies(c -> {
      assertEquals(6, c.k());
      assertTrue(c.converged(), "converged within 3 iterations: " + c);
      long total = 0;
      for (int i = 0; i < c.k(); i++) {
        assertEquals(40, c.size(i));
        total += c.size(i);
      }
      assertEquals(240, total);
      return null;
    });
    TestPipelines.run(p);
  }

  /** Every planted cluster maps to one found cluster and back. */
  private static final class SamePartition implements SerializableFunction<Iterable<ClusterAssignment>, Void>, Serializable {
    @Override
    public Void apply(Iterable<ClusterAssignment> in) {
      Map<String, Set<Integer>> foundByPlanted = new HashMap<>();
      Map<Integer, Set<String>> plantedByFound = new HashMap<>();
      int n = 0;
      for (ClusterAssignment a : in) {
        String planted = a.id().substring(0, a.id().indexOf('-'));
        foundByPlanted.computeIfAbsent(planted, x -> new HashSet<>()).add(a.cluster());
        plantedByFound.computeIfAbsent(a.cluster(), x -> new HashSet<>()).add(planted);
        assertTrue(a.similarity() > 0.9f, "far from its centroid: " + a);
        n++;
      }
      assertEquals(240, n);
      assertEquals(6, foundByPlanted.size());
      foundByPlanted.forEach((k, v) -> assertEquals(1, v.size(), k + " split over " + v));
      plantedByFound.forEach((k, v) -> assertEquals(1, v.size(), "cluster " + k + " mixes " + v));
      return null;
    }
  }

  @Test
  void mergedPartialSumsEqualOnePieceExactly() {
    List<Embedding> points = planted(3, 50, 16, 5);
    int d = 16;
    float[] rows = new float[points.size() * d];
    for (int i = 0; i < points.size(); i++) {
      KMeans.unitRow(points.get(i), rows, i * d);
    }
    KMeans.ClusterSum whole = new KMeans.ClusterSum(d);
    for (int i = 0; i < points.size(); i++) {
      whole.add(rows, i * d);
    }
    // Three uneven pieces, merged in two different orders.
    KMeans.ClusterSum[] parts = {new KMeans.ClusterSum(d), new KMeans.ClusterSum(d), new KMeans.ClusterSum(d)};
    for (int i = 0; i < points.size(); i++) {
      parts[i % 7 == 0 ? 0 : i % 3 == 0 ? 1 : 2].add(rows, i * d);
    }
    KMeans.ClusterSum left = parts[0].plus(parts[1]).plus(parts[2]);
    KMeans.ClusterSum right = parts[2].plus(parts[0].plus(parts[1]));
    assertEquals(whole.count, left.count);
    assertArrayEquals(whole.sum, left.sum);
    assertArrayEquals(whole.sum, right.sum);

    // And the update from merged sums is the update from one piece, bit for bit.
    List<Embedding> ordered = KMeans.ordered(points, 1);
    Centroids seeds = KMeans.seeds(ordered, 1, 1);
    Centroids a = KMeans.update(seeds, new TreeMap<>(Map.of(0, whole)), ordered, 1, 1e-4);
    Centroids b = KMeans.update(seeds, new TreeMap<>(Map.of(0, right)), ordered, 1, 1e-4);
    assertEquals(a, b);
  }

  @Test
  void theSameSeedGivesTheSameCentroidsHoweverTheInputIsBundled() {
    List<Embedding> points = planted(8, 30, 12, 9);
    // One Create, versus the same points in five Creates of different sizes flattened (other bundles, other order).
    Pipeline p = TestPipelines.create();
    PCollection<Embedding> whole = p.apply("Whole", Create.of(points));
    List<PCollection<Embedding>> pieces = new ArrayList<>();
    int[] cuts = {0, 7, 50, 51, 160, points.size()};
    for (int i = 0; i + 1 < cuts.length; i++) {
      List<Embedding> piece = new ArrayList<>(points.subList(cuts[i], cuts[i + 1]));
      java.util.Collections.reverse(piece);
      pieces.add(p.apply("Piece" + i, Create.of(piece)));
    }
    PCollection<Embedding> split = PCollectionList.of(pieces).apply(Flatten.pCollections());
    // Fewer clusters than planted ones: the centroids are not pinned by the data alone, so equality
    // tests the seeding and the sums, not just convergence.
    KMeans kmeans = KMeans.of(5).withSeed(4).withMaxIterations(2).withTolerance(0);
    PCollection<Centroids> a = whole.apply("KMeansWhole", kmeans).centroids();
    PCollection<Centroids> b = split.apply("KMeansSplit", kmeans).centroids();
    PAssert.thatSingleton("whole", a).satisfies(c -> {
      assertEquals(2, c.iteration());
      return null;
    });
    PCollection<Centroids> both = PCollectionList.of(a).and(b).apply("Both", Flatten.pCollections());
    PAssert.that("identical", both).satisfies(cs -> {
      List<Centroids> list = new ArrayList<>();
      cs.forEach(list::add);
      assertEquals(2, list.size());
      assertEquals(list.get(0), list.get(1));
      return null;
    });
    TestPipelines.run(p);
  }

  @Test
  void fewerDocumentsThanClustersGiveOneCentroidPerDocument() {
    List<Embedding> points = planted(1, 3, 8, 2);
    Pipeline p = TestPipelines.create();
    KMeans.Result r = p.apply(Create.of(points)).apply(KMeans.of(10).withMaxIterations(2));
    PAssert.thatSingleton(r.centroids()).satisfies(c -> {
      assertEquals(3, c.k());
      return null;
    });
    PAssert.that(r.assignments()).satisfies(in -> {
      Set<Integer> clusters = new HashSet<>();
      in.forEach(a -> clusters.add(a.cluster()));
      assertEquals(3, clusters.size());
      return null;
    });
    TestPipelines.run(p);
  }

  @Test
  void kMeansPlusPlusSpreadsSeedsOverPlantedClusters() {
    // k-means++ draws far points: on 4 well-separated clusters (squared distance about 2 between
    // clusters, 0.1 within) its 4 seeds land in 4 different clusters with probability about 0.8;
    // uniform draws would do so with probability 4!/4^4 = 0.09. Over 20 seeds: at least 10.
    List<Embedding> points = planted(4, 25, 20, 13);
    int spread = 0;
    for (long seed = 0; seed < 20; seed++) {
      List<Embedding> ordered = KMeans.ordered(points, seed);
      Centroids c = KMeans.seeds(ordered, 4, seed);
      Set<String> planted = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        float[] v = c.centroid(i);
        for (Embedding e : points) {
          float[] u = new float[e.dimension()];
          KMeans.unitRow(e, u, 0);
          if (java.util.Arrays.equals(u, v)) {
            planted.add(e.id().substring(0, e.id().indexOf('-')));
          }
        }
      }
      spread += planted.size() == 4 ? 1 : 0;
    }
    assertTrue(spread >= 10, "seeds spread over all 4 planted clusters for only " + spread + " of 20 seeds");
  }

  @Test
  void theKernelFindsTheMostSimilarColumnWhateverTheBatch() {
    SplittableRandom r = new SplittableRandom(1);
    int n = 300;
    int d = 37;
    float[] cols = new float[n * d];
    for (int i = 0; i < cols.length; i++) {
      cols[i] = (float) gaussian(r);
    }
    int q = 11;
    float[] queries = new float[q * d];
    for (int i = 0; i < queries.length; i++) {
      queries[i] = (float) gaussian(r);
    }
    DotKernel kernel = new DotKernel(cols, n, d);
    int[] best = new int[q];
    float[] sim = new float[q];
    kernel.nearest(queries, q, best, sim);
    for (int i = 0; i < q; i++) {
      double bestDot = Double.NEGATIVE_INFINITY;
      int bestJ = -1;
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          s += (double) queries[i * d + k] * cols[j * d + k];
        }
        if (s > bestDot) {
          bestDot = s;
          bestJ = j;
        }
      }
      assertEquals(bestJ, best[i]);
      assertEquals(bestDot, sim[i], 1e-4);
      // One query alone gives the same float as in the batch of eleven.
      int[] one = new int[1];
      float[] oneSim = new float[1];
      kernel.nearest(java.util.Arrays.copyOfRange(queries, i * d, i * d + d), 1, one, oneSim);
      assertEquals(best[i], one[0]);
      assertEquals(Float.floatToIntBits(sim[i]), Float.floatToIntBits(oneSim[0]));
    }
  }

  @Test
  void theOnnxAssignmentAgreesWithThePlainKernelAndDoesNotDependOnTheBatch() {
    SplittableRandom r = new SplittableRandom(3);
    int k = 37; // not a multiple of 16: padding columns must never win
    int d = 24;
    float[] cents = new float[k * d];
    for (int i = 0; i < cents.length; i++) {
      cents[i] = (float) gaussian(r);
    }
    for (int c = 0; c < k; c++) {
      DotKernel.normalize(cents, c * d, d);
    }
    Centroids centroids = new Centroids(k, d, cents, new long[k], 1, 0, false);
    int q = 300;
    float[] queries = new float[q * d];
    for (int i = 0; i < queries.length; i++) {
      queries[i] = (float) gaussian(r);
    }
    for (int i = 0; i < q; i++) {
      DotKernel.normalize(queries, i * d, d);
    }
    int[] best = new int[q];
    float[] sim = new float[q];
    centroids.nearest(queries, q, best, sim);
    int[] plainBest = new int[q];
    float[] plainSim = new float[q];
    new DotKernel(cents, k, d).nearest(queries, q, plainBest, plainSim);
    for (int i = 0; i < q; i++) {
      assertEquals(plainBest[i], best[i], "query " + i);
      assertEquals(plainSim[i], sim[i], 1e-5);
      // Alone, or at another position of another batch: the same bits.
      int[] one = new int[3];
      float[] oneSim = new float[3];
      float[] three = new float[3 * d];
      System.arraycopy(queries, ((i + 1) % q) * d, three, 0, d);
      System.arraycopy(queries, i * d, three, d, d);
      System.arraycopy(queries, ((i + 2) % q) * d, three, 2 * d, d);
      centroids.nearest(three, 3, one, oneSim);
      assertEquals(best[i], one[1]);
      assertEquals(Float.floatToIntBits(sim[i]), Float.floatToIntBits(oneSim[1]), "query " + i);
    }
  }

  @Test
  void windowedInputIsAClearError() {
    Pipeline p = TestPipelines.create();
    PCollection<Embedding> windowed = p.apply(Create.of(planted(1, 3, 4, 1)))
        .apply(org.apache.beam.sdk.transforms.windowing.Window.into(
            org.apache.beam.sdk.transforms.windowing.FixedWindows.of(org.joda.time.Duration.standardMinutes(1))));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> windowed.apply(KMeans.of(2)));
    assertTrue(e.getMessage().contains("globally windowed"), e.getMessage());
  }
}
