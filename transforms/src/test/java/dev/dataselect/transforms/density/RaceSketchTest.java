package dev.dataselect.transforms.density;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.Embedding;
import java.util.List;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/** The RACE sketch math, without a pipeline. */
class RaceSketchTest {
  private static final List<Embedding> POINTS = Fixtures.clustered(40, 6, 3, 21, "p");

  private static RaceSketch sketch(RaceHashes h, List<Embedding> points) {
    RaceSketch s = RaceSketch.empty(h.rows(), h.buckets());
    for (Embedding e : points) {
      s.add(h.bucketsOf(e.vector()), e.dimension());
    }
    return s;
  }

  /** p-stable collision probability by Simpson's rule on its defining integral, 1e-10 or so. */
  private static double pStableByIntegral(double c, double w) {
    if (c == 0) {
      return 1;
    }
    // P = integral over t in [0, w] of (2/c) phi(t/c) (1 - t/w) dt
    int n = 20_000;
    double step = w / n;
    double sum = 0;
    for (int i = 0; i <= n; i++) {
      double t = i * step;
      double f = 2 / c * Math.exp(-(t / c) * (t / c) / 2) / Math.sqrt(2 * Math.PI) * (1 - t / w);
      sum += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
    }
    return sum * step / 3;
  }

  private static double srp(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int k = 0; k < a.length; k++) {
      dot += (double) a[k] * b[k];
      na += (double) a[k] * a[k];
      nb += (double) b[k] * b[k];
    }
    return 1 - Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)))) / Math.PI;
  }

  /** Exact mean collision probability of each point with the others, computed independently. */
  private static double[] exactMeans(LshFamily family, int k, double w) {
    double[] out = new double[POINTS.size()];
    for (int i = 0; i < POINTS.size(); i++) {
      double sum = 0;
      for (int j = 0; j < POINTS.size(); j++) {
        if (i != j) {
          float[] a = POINTS.get(i).vector();
          float[] b = POINTS.get(j).vector();
          double p =
              family == LshFamily.P_STABLE
                  ? pStableByIntegral(Fixtures.distance(a, b), w)
                  : srp(a, b);
          sum += Math.pow(p, k);
        }
      }
      out[i] = sum / (POINTS.size() - 1);
    }
    return out;
  }

  /**
   * Each row's term (S[r, h_r(x)] - 1) / (N - 1) lies in [0, 1] and the rows are independent with
   * mean the exact kernel mean (plus at most 1/B of spurious collisions where codes are mixed), so
   * by Hoeffding and a union bound over the N points, max error <= sqrt(ln(2N / delta) / (2R)) +
   * bias with probability 1 - delta. delta = 1e-6.
   */
  private static void assertConverges(LshFamily family, int k, int buckets, double bias) {
    double w = 1.0;
    double[] exact = exactMeans(family, k, w);
    double previousMeanError = Double.POSITIVE_INFINITY;
    for (int rows : new int[] {64, 1024, 16384}) {
      RaceHashes h = RaceHashes.create(family, rows, k, buckets, w, 6, 77);
      RaceSketch s = sketch(h, POINTS);
      double tolerance = Math.sqrt(Math.log(2 * POINTS.size() / 1e-6) / (2 * rows)) + bias;
      double meanError = 0;
      for (int i = 0; i < POINTS.size(); i++) {
        double score = s.score(h.bucketsOf(POINTS.get(i).vector()));
        double error = Math.abs(score - exact[i]);
        assertTrue(
            error <= tolerance,
            family + " K=" + k + " R=" + rows + " point " + i + ": |" + score + " - " + exact[i]
                + "| > " + tolerance);
        meanError += error / POINTS.size();
      }
      if (bias == 0) {
        assertTrue(meanError < previousMeanError, "error must shrink as R grows");
      }
      previousMeanError = meanError;
    }
    // At R = 16384 the mean error is near its 1/sqrt(R) scale (~0.004), far below the R = 64 bound.
    assertTrue(previousMeanError < 0.01 + bias, "mean error at R=16384: " + previousMeanError);
  }

  @Test
  void pStableScoresConvergeToTheCollisionKernel() {
    // K = 1: buckets are floorMod(h, B); |h| stays far below B = 4096, so no spurious collisions.
    assertConverges(LshFamily.P_STABLE, 1, 4096, 0);
  }

  @Test
  void srpScoresConvergeToTheAngularKernel() {
    // K = 3 bits, 8 codes <= B: the code is the bucket, no spurious collisions.
    assertConverges(LshFamily.SIGNED_RANDOM_PROJECTION, 3, 8, 0);
  }

  @Test
  void mixedCodesConvergeUpToTheOneOverBBias() {
    assertConverges(LshFamily.P_STABLE, 2, 1024, 1.0 / 1024);
    assertConverges(LshFamily.SIGNED_RANDOM_PROJECTION, 8, 64, 1.0 / 64);
  }

  @Test
  void closedFormCollisionProbabilityMatchesTheIntegral() {
    for (double c : new double[] {0.01, 0.1, 0.5, 1, 2, 5, 40}) {
      for (double w : new double[] {0.25, 1, 4}) {
        assertEquals(pStableByIntegral(c, w), RaceHashes.pStableCollision(c, w), 1e-9);
      }
    }
    for (double x : new double[] {0.1, 1, 2.49, 2.51, 4, 6}) {
      // erf against Simpson's rule on 2/sqrt(pi) exp(-t^2)
      int n = 20_000;
      double sum = 0;
      for (int i = 0; i <= n; i++) {
        double t = x * i / n;
        sum += Math.exp(-t * t) * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
      }
      assertEquals(sum * x / n / 3 * 2 / Math.sqrt(Math.PI), RaceHashes.erf(x), 1e-12);
    }
  }

  @Test
  void mergedPartialSketchesEqualTheSketchBuiltInOnePiece() throws Exception {
    RaceHashes h = RaceHashes.create(LshFamily.P_STABLE, 50, 2, 97, 0.8, 6, 3);
    RaceSketch whole = sketch(h, POINTS);
    RaceSketch a = sketch(h, POINTS.subList(0, 7));
    RaceSketch b = sketch(h, POINTS.subList(7, 30));
    RaceSketch c = sketch(h, POINTS.subList(30, 40));
    RaceSketch empty = RaceSketch.empty(50, 97);
    assertEquals(whole, RaceSketch.empty(50, 97).merge(a).merge(b).merge(c));
    assertEquals(whole, RaceSketch.empty(50, 97).merge(c).merge(empty).merge(a).merge(b));
    RaceSketch viaCoder =
        CoderUtils.decodeFromByteArray(
            RaceSketch.RaceSketchCoder.of(),
            CoderUtils.encodeToByteArray(RaceSketch.RaceSketchCoder.of(), a));
    assertEquals(whole, viaCoder.merge(b).merge(c));
    assertEquals(40, whole.count());
    for (int r = 0; r < 50; r++) {
      int rowSum = 0;
      for (int k = 0; k < 97; k++) {
        rowSum += whole.count(r, k);
      }
      assertEquals(40, rowSum);
    }
  }

  @Test
  void sameSeedSameFunctionsOtherSeedOtherFunctions() {
    float[] x = POINTS.get(0).vector();
    for (LshFamily f : LshFamily.values()) {
      int[] one = RaceHashes.create(f, 200, 2, 1000, 1.0, 6, 5).bucketsOf(x);
      assertArrayEquals(one, RaceHashes.create(f, 200, 2, 1000, 1.0, 6, 5).bucketsOf(x));
      assertFalse(
          java.util.Arrays.equals(one, RaceHashes.create(f, 200, 2, 1000, 1.0, 6, 6).bucketsOf(x)));
    }
  }

  @Test
  void aPointAloneInItsBucketsScoresZero() {
    RaceHashes h = RaceHashes.create(LshFamily.P_STABLE, 30, 1, 1000, 0.1, 2, 1);
    List<Embedding> points =
        List.of(
            Embedding.of("near1", new float[] {0f, 0f}),
            Embedding.of("near2", new float[] {0f, 0f}),
            Embedding.of("far", new float[] {100f, -100f}));
    RaceSketch s = sketch(h, points);
    assertEquals(0.0, s.score(h.bucketsOf(new float[] {100f, -100f})));
    assertEquals(0.5, s.score(h.bucketsOf(new float[] {0f, 0f})), 1e-12); // 1 of 2 others
    assertEquals(0.0, RaceSketch.empty(3, 3).score(new int[] {0, 0, 0}));
  }

  @Test
  void coderIsCompactForSparseTablesAndRoundTrips() throws Exception {
    RaceHashes h = RaceHashes.create(LshFamily.SIGNED_RANDOM_PROJECTION, 100, 10, 1000, 1, 6, 1);
    RaceSketch s = sketch(h, POINTS);
    byte[] bytes = CoderUtils.encodeToByteArray(RaceSketch.RaceSketchCoder.of(), s);
    assertTrue(bytes.length < 100 * 1000 + 20, "one byte per small counter: " + bytes.length);
    assertEquals(s, CoderUtils.decodeFromByteArray(RaceSketch.RaceSketchCoder.of(), bytes));
    RaceSketch empty = RaceSketch.empty(1000, 20000);
    assertTrue(CoderUtils.encodeToByteArray(RaceSketch.RaceSketchCoder.of(), empty).length < 10);
  }

  @Test
  void rejectsMismatchedMergesAndDimensions() {
    RaceSketch s = RaceSketch.empty(2, 3).add(new int[] {0, 1}, 4);
    assertThrows(IllegalArgumentException.class, () -> s.merge(RaceSketch.empty(2, 4)));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> s.add(new int[] {0, 1}, 5));
    assertTrue(e.getMessage().contains("dimension 5"), e.getMessage());
    assertNotEquals(s, RaceSketch.empty(2, 3));
  }
}
