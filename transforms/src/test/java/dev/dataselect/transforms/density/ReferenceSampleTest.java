package dev.dataselect.transforms.density;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.Embedding;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The reference-KDE math, without a pipeline. */
class ReferenceSampleTest {
  private static final BandwidthHeuristic PAIRWISE = BandwidthHeuristic.MEDIAN_PAIRWISE_DISTANCE;
  private static final BandwidthHeuristic NEAREST =
      BandwidthHeuristic.MEDIAN_NEAREST_NEIGHBOR_DISTANCE;
  private static final List<Embedding> CORPUS = Fixtures.clustered(203, 13, 4, 11, "d");

  /** One of ReferenceSample's two estimators: (queries, count, exclude, kernel, out). */
  private interface Estimator {
    void run(ReferenceSample sample, float[] queries, int n, int[] exclude, Kernel k, double[] out);
  }

  private static double[] densities(ReferenceSample sample, List<Embedding> queries, Kernel k) {
    return run(ReferenceSample::densities, sample, queries, k);
  }

  private static double[] exactDensities(ReferenceSample sample, List<Embedding> queries, Kernel k) {
    return run(ReferenceSample::exactDensities, sample, queries, k);
  }

  private static double[] run(Estimator estimator, ReferenceSample sample, List<Embedding> queries, Kernel k) {
    int d = sample.dimension();
    float[] q = new float[queries.size() * d];
    int[] exclude = new int[queries.size()];
    for (int i = 0; i < queries.size(); i++) {
      queries.get(i).copyTo(q, i * d);
      exclude[i] = sample.rowOf(queries.get(i).id());
    }
    double[] out = new double[queries.size()];
    estimator.run(sample, q, queries.size(), exclude, k, out);
    return out;
  }

  @ParameterizedTest
  @EnumSource(Kernel.class)
  void blockedProductEqualsBruteForceWithSelfExclusion(Kernel kernel) {
    // 70 references: one full tile of 64 and a ragged one; 203 queries: groups of 4 and a tail.
    List<Embedding> refs = Fixtures.references(CORPUS, 70, 5);
    ReferenceSample sample = ReferenceSample.of(refs, 0.7);
    Map<String, Double> expected = Fixtures.bruteForceKde(CORPUS, refs, kernel, 0.7);
    double[] exact = exactDensities(sample, CORPUS, kernel);
    // The FP32 path: float dot products and kernel values, so a relative ~1e-7, not 1e-9.
    double[] fast = densities(sample, CORPUS, kernel);
    int selves = 0;
    for (int i = 0; i < CORPUS.size(); i++) {
      double e = expected.get(CORPUS.get(i).id());
      assertEquals(e, exact[i], 1e-9, CORPUS.get(i).id());
      assertEquals(e, fast[i], 1e-5 * e, CORPUS.get(i).id());
      selves += sample.rowOf(CORPUS.get(i).id()) >= 0 ? 1 : 0;
    }
    assertEquals(70, selves);
  }

  @Test
  void drawAndDensitiesOfAreTheTransformsPathInMemory() {
    ReferenceSample drawn = ReferenceSample.draw(CORPUS, 70, 5, 0.7);
    assertEquals(ReferenceSample.of(Fixtures.references(CORPUS, 70, 5), 0.7), drawn);
    double[] batched = drawn.densitiesOf(CORPUS, Kernel.GAUSSIAN, 16);
    assertArrayEquals(densities(drawn, CORPUS, Kernel.GAUSSIAN), batched);
    // Repeated ids keep one row: the first in (rank, id, vector) order.
    List<Embedding> twice = new ArrayList<>(CORPUS);
    twice.add(Embedding.of(CORPUS.get(0).id(), new float[13]));
    assertEquals(CORPUS.size(), ReferenceSample.draw(twice, 1000, 5, 1.0).size());
  }

  @Test
  void selfExclusionDividesByMMinusOne() {
    float[] a = {0f, 0f};
    float[] b = {3f, 4f};
    ReferenceSample s =
        ReferenceSample.of(List.of(Embedding.of("a", a), Embedding.of("b", b)), 5.0);
    float[] queries = {0f, 0f, 0f, 0f};
    int[] exclude = {0, -1};
    double[] out = new double[2];
    s.exactDensities(queries, 2, exclude, Kernel.LAPLACIAN, out);
    assertEquals(Math.exp(-1.0), out[0], 1e-15); // only b counts, divided by 1
    assertEquals((1 + Math.exp(-1.0)) / 2, out[1], 1e-15); // both count, divided by 2
    s.densities(queries, 2, exclude, Kernel.LAPLACIAN, out);
    assertEquals(Math.exp(-1.0), out[0], 1e-7); // exp in float
    assertEquals((1 + Math.exp(-1.0)) / 2, out[1], 1e-7);
    // A lone reference excluding itself has no others: 0, on both paths.
    ReferenceSample one = ReferenceSample.of(List.of(Embedding.of("a", a)), 5.0);
    one.densities(queries, 1, new int[] {0}, Kernel.GAUSSIAN, out);
    assertEquals(0.0, out[0]);
    one.densities(queries, 1, new int[] {-1}, Kernel.GAUSSIAN, out);
    assertEquals(1.0, out[0]);
  }

  @ParameterizedTest
  @EnumSource(Kernel.class)
  void aQueryGetsTheSameBitsInAnyBatchOrderAndThreadCount(Kernel kernel) {
    // 100 references: not a multiple of 16, so the graph pads; half the queries are references.
    ReferenceSample sample = ReferenceSample.of(Fixtures.references(CORPUS, 100, 1), PAIRWISE);
    double[] whole = densities(sample, CORPUS, kernel);
    for (int batch : new int[] {1, 3, 4, 7, 16, 50}) {
      for (int start = 0; start < CORPUS.size(); start += batch) {
        List<Embedding> part = CORPUS.subList(start, Math.min(CORPUS.size(), start + batch));
        double[] got = densities(sample, part, kernel);
        for (int i = 0; i < part.size(); i++) {
          assertEquals(Double.doubleToLongBits(whole[start + i]), Double.doubleToLongBits(got[i]));
        }
      }
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < CORPUS.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new java.util.Random(3));
    List<Embedding> shuffled = new ArrayList<>();
    for (int i : order) {
      shuffled.add(CORPUS.get(i));
    }
    double[] got = densities(sample, shuffled, kernel);
    for (int i = 0; i < order.size(); i++) {
      assertEquals(
          Double.doubleToLongBits(whole[order.get(i)]), Double.doubleToLongBits(got[i]), "" + i);
    }
    // A session with more intra-op threads splits the GEMM differently, never along d.
    float[] q = new float[CORPUS.size() * 13];
    int[] exclude = new int[CORPUS.size()];
    for (int i = 0; i < CORPUS.size(); i++) {
      CORPUS.get(i).copyTo(q, i * 13);
      exclude[i] = sample.rowOf(CORPUS.get(i).id());
    }
    double[] sums = new double[CORPUS.size()];
    double[] sums4 = new double[CORPUS.size()];
    KernelSums.acquire(sample, kernel, 1).sums(q, CORPUS.size(), exclude, sums);
    KernelSums.acquire(sample, kernel, 4).sums(q, CORPUS.size(), exclude, sums4);
    assertArrayEquals(sums, sums4);
  }

  @Test
  void equalSamplesShareOneSession() {
    List<Embedding> refs = Fixtures.references(CORPUS, 33, 8);
    // Bandwidths no other test uses; counted per sample, so other tests' samples being collected
    // (their sessions close on a Cleaner, whenever the GC runs) cannot change the counts.
    ReferenceSample a = ReferenceSample.of(refs, 0.6131);
    ReferenceSample b = ReferenceSample.of(new ArrayList<>(refs), 0.6131);
    ReferenceSample c = ReferenceSample.of(refs, 0.6231);
    assertEquals(0, KernelSums.openSessionsFor(a, Kernel.LAPLACIAN));
    densities(a, CORPUS, Kernel.LAPLACIAN);
    assertEquals(1, KernelSums.openSessionsFor(a, Kernel.LAPLACIAN));
    assertArrayEquals(densities(a, CORPUS, Kernel.LAPLACIAN), densities(b, CORPUS, Kernel.LAPLACIAN));
    assertEquals(1, KernelSums.openSessionsFor(b, Kernel.LAPLACIAN), "an equal sample shares the session");
    densities(c, CORPUS, Kernel.LAPLACIAN);
    assertEquals(1, KernelSums.openSessionsFor(c, Kernel.LAPLACIAN));
    assertEquals(1, KernelSums.openSessionsFor(a, Kernel.LAPLACIAN), "another bandwidth is another session");
    java.lang.ref.Reference.reachabilityFence(a);
    java.lang.ref.Reference.reachabilityFence(b);
    java.lang.ref.Reference.reachabilityFence(c);
  }

  @Test
  void aBandwidthOutsideFloatRangeTakesTheExactPath() {
    List<Embedding> refs = Fixtures.references(CORPUS, 20, 2);
    // Scales 1 / (2 h^2) (gaussian) and 1 / h (laplacian) that overflow or are subnormal.
    Map<Kernel, double[]> bandwidths =
        Map.of(Kernel.GAUSSIAN, new double[] {1e-20, 1e20}, Kernel.LAPLACIAN, new double[] {1e-40, 1e40});
    for (Map.Entry<Kernel, double[]> e : bandwidths.entrySet()) {
      for (double h : e.getValue()) {
        ReferenceSample s = ReferenceSample.of(refs, h);
        Kernel k = e.getKey();
        assertArrayEquals(exactDensities(s, CORPUS, k), densities(s, CORPUS, k), k + " h=" + h);
      }
    }
  }

  @Test
  void bandwidthHeuristicIsTheMedianPairwiseDistanceOfTheFirstThousand() {
    List<Embedding> small = Fixtures.references(CORPUS, 41, 3); // 820 pairs: even count
    assertEquals(
        Fixtures.medianDistance(small), ReferenceSample.of(small, PAIRWISE).bandwidth(), 1e-12);
    List<Embedding> odd = small.subList(0, 39); // 741 pairs: odd count
    assertEquals(
        Fixtures.medianDistance(odd), ReferenceSample.of(odd, PAIRWISE).bandwidth(), 1e-12);
    // Nearest neighbours: 41 (odd) and 40 (even) values.
    assertEquals(
        Fixtures.medianNearestNeighborDistance(small),
        ReferenceSample.of(small, NEAREST).bandwidth(),
        1e-12);
    assertEquals(
        Fixtures.medianNearestNeighborDistance(small.subList(0, 40)),
        ReferenceSample.of(small.subList(0, 40), NEAREST).bandwidth(),
        1e-12);

    List<Embedding> big = Fixtures.clustered(1100, 3, 3, 2, "b");
    List<Embedding> refs = Fixtures.references(big, 1100, 9);
    double h = ReferenceSample.of(refs, PAIRWISE).bandwidth();
    assertEquals(Fixtures.medianDistance(refs.subList(0, 1000)), h, 1e-12);
    double nn = ReferenceSample.of(refs, NEAREST).bandwidth();
    assertEquals(Fixtures.medianNearestNeighborDistance(refs.subList(0, 1000)), nn, 1e-12);
    assertTrue(nn < h / 3, "local scale " + nn + " vs global " + h);
    // Every m >= 1000 shares the first 1000 rows by hash, so the bandwidth.
    assertEquals(h, ReferenceSample.of(Fixtures.references(big, 1000, 9), PAIRWISE).bandwidth());
    assertEquals(nn, ReferenceSample.of(Fixtures.references(big, 1000, 9), NEAREST).bandwidth());
  }

  @Test
  void bandwidthHeuristicIsDeterministic() {
    for (BandwidthHeuristic heuristic : BandwidthHeuristic.values()) {
      List<Embedding> refs = Fixtures.references(CORPUS, 150, 4);
      double h = ReferenceSample.of(refs, heuristic).bandwidth();
      for (int i = 0; i < 3; i++) {
        assertEquals(
            Double.doubleToLongBits(h),
            Double.doubleToLongBits(
                ReferenceSample.of(new ArrayList<>(refs), heuristic).bandwidth()));
      }
      // A different sample (seed) gives a different bandwidth.
      double other = ReferenceSample.of(Fixtures.references(CORPUS, 150, 5), heuristic).bandwidth();
      assertNotEquals(h, other, heuristic.name());
    }
  }

  @Test
  void bandwidthHeuristicFallsBackToOneWhenDegenerate() {
    float[] v = {1f, 2f};
    assertEquals(1.0, ReferenceSample.of(List.of(Embedding.of("a", v)), NEAREST).bandwidth());
    List<Embedding> same = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      same.add(Embedding.of("s" + i, v));
    }
    assertEquals(1.0, ReferenceSample.of(same, NEAREST).bandwidth());
    assertEquals(1.0, ReferenceSample.of(same, PAIRWISE).bandwidth());
    // Mostly duplicates: nearest-neighbour median 0, so the pairwise median.
    same.add(Embedding.of("far1", new float[] {4f, 2f}));
    same.add(Embedding.of("far2", new float[] {7f, 2f}));
    assertEquals(3.0, ReferenceSample.of(same, NEAREST).bandwidth(), 1e-12);
  }

  @Test
  void referencesAreTheSmallestRankKeysAndTheSeedMatters() {
    List<Embedding> a = Fixtures.references(CORPUS, 20, 1);
    List<Embedding> b = Fixtures.references(CORPUS, 20, 2);
    assertNotEquals(a, b);
    // The rank key is independent of Hashes.unit(id, seed) with the same seed.
    List<Embedding> byUnit = new ArrayList<>(CORPUS);
    byUnit.sort(
        (x, y) ->
            Double.compare(
                dev.dataselect.transforms.Hashes.unit(x.id(), 1),
                dev.dataselect.transforms.Hashes.unit(y.id(), 1)));
    assertNotEquals(a, byUnit.subList(0, 20));
  }

  @Test
  void coderRoundTripsTheMatrixCompactly() throws Exception {
    List<Embedding> refs = Fixtures.references(CORPUS, 50, 1);
    ReferenceSample s = ReferenceSample.of(refs, NEAREST);
    byte[] bytes = CoderUtils.encodeToByteArray(ReferenceSample.ReferenceSampleCoder.of(), s);
    ReferenceSample back =
        CoderUtils.decodeFromByteArray(ReferenceSample.ReferenceSampleCoder.of(), bytes);
    assertEquals(s, back);
    assertEquals(s.bandwidth(), back.bandwidth());
    assertEquals(refs.get(7).id(), back.id(7));
    assertEquals(7, back.rowOf(refs.get(7).id()));
    int idBytes = 0;
    for (Embedding e : refs) {
      idBytes += 1 + e.id().length();
    }
    assertEquals(1 + 1 + 8 + idBytes + 50 * 13 * 4, bytes.length);
    assertArrayEquals(
        densities(s, CORPUS, Kernel.GAUSSIAN), densities(back, CORPUS, Kernel.GAUSSIAN));
  }

  @Test
  void rejectsMixedDimensionsAndRepeatedIds() {
    IllegalArgumentException dims =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ReferenceSample.of(
                    List.of(Embedding.of("a", new float[2]), Embedding.of("b", new float[3])),
                    1.0));
    assertTrue(dims.getMessage().contains("dimension 3"), dims.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> ReferenceSample.of(Collections.nCopies(2, Embedding.of("a", new float[] {1f})), 1.0));
  }

  @Test
  void kernelsAreOneAtZeroAndDecreasing() {
    SplittableRandom r = new SplittableRandom(1);
    for (Kernel k : Kernel.values()) {
      assertEquals(1.0, k.of(0, 0.5));
      double x = r.nextDouble();
      assertTrue(k.of(x, 0.5) > k.of(x + 0.1, 0.5));
    }
  }
}
