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

  private static double[] densities(ReferenceSample sample, List<Embedding> queries, Kernel k) {
    int d = sample.dimension();
    float[] q = new float[queries.size() * d];
    int[] exclude = new int[queries.size()];
    for (int i = 0; i < queries.size(); i++) {
      queries.get(i).copyTo(q, i * d);
      exclude[i] = sample.rowOf(queries.get(i).id());
    }
    double[] out = new double[queries.size()];
    sample.densities(q, queries.size(), exclude, k, out);
    return out;
  }

  @ParameterizedTest
  @EnumSource(Kernel.class)
  void blockedProductEqualsBruteForceWithSelfExclusion(Kernel kernel) {
    // 70 references: one full tile of 64 and a ragged one; 203 queries: groups of 4 and a tail.
    List<Embedding> refs = Fixtures.references(CORPUS, 70, 5);
    ReferenceSample sample = ReferenceSample.of(refs, 0.7);
    Map<String, Double> expected = Fixtures.bruteForceKde(CORPUS, refs, kernel, 0.7);
    double[] got = densities(sample, CORPUS, kernel);
    int selves = 0;
    for (int i = 0; i < CORPUS.size(); i++) {
      assertEquals(expected.get(CORPUS.get(i).id()), got[i], 1e-9, CORPUS.get(i).id());
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
    double[] out = new double[2];
    s.densities(new float[] {0f, 0f, 0f, 0f}, 2, new int[] {0, -1}, Kernel.LAPLACIAN, out);
    assertEquals(Math.exp(-1.0), out[0], 1e-15); // only b counts, divided by 1
    assertEquals((1 + Math.exp(-1.0)) / 2, out[1], 1e-15); // both count, divided by 2
  }

  @Test
  void aQueryGetsTheSameBitsInAnyBatch() {
    ReferenceSample sample = ReferenceSample.of(Fixtures.references(CORPUS, 100, 1), PAIRWISE);
    double[] whole = densities(sample, CORPUS, Kernel.GAUSSIAN);
    for (int batch : new int[] {1, 3, 4, 7}) {
      for (int start = 0; start < CORPUS.size(); start += batch) {
        List<Embedding> part = CORPUS.subList(start, Math.min(CORPUS.size(), start + batch));
        double[] got = densities(sample, part, Kernel.GAUSSIAN);
        for (int i = 0; i < part.size(); i++) {
          assertEquals(Double.doubleToLongBits(whole[start + i]), Double.doubleToLongBits(got[i]));
        }
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
