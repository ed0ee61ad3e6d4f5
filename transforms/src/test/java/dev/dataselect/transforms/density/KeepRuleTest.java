package dev.dataselect.transforms.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/** The histogram and the keep rules solved from it, without a pipeline. */
class KeepRuleTest {
  private static final int N = 20_000;
  private static final double[] DENSITIES = densities();

  /** Log-normal densities spanning ~4 decades, plus 50 zeros (points with no neighbour). */
  private static double[] densities() {
    SplittableRandom r = new SplittableRandom(3);
    double[] d = new double[N];
    for (int i = 0; i < N; i++) {
      d[i] = i < 50 ? 0.0 : Math.exp(1.5 * Fixtures.gaussian(r) - 3);
    }
    return d;
  }

  private static LogHistogram histogram(double alpha, int from, int to) {
    LogHistogram h = LogHistogram.withRelativeAccuracy(alpha);
    for (int i = from; i < to; i++) {
      h.add(DENSITIES[i]);
    }
    return h;
  }

  private static Set<Integer> kept(KeepRule rule, long seed) {
    Set<Integer> kept = new HashSet<>();
    for (int i = 0; i < N; i++) {
      if (rule.keep("doc-" + i, DENSITIES[i], seed)) {
        kept.add(i);
      }
    }
    return kept;
  }

  private static double expected(KeepRule rule) {
    double sum = 0;
    for (double d : DENSITIES) {
      sum += rule.probability(d);
    }
    return sum;
  }

  /** 5 standard deviations of a sum of independent Bernoulli(p_i), plus 1 for rounding. */
  private static double bernoulliTolerance(KeepRule rule) {
    double var = 0;
    for (double d : DENSITIES) {
      double p = rule.probability(d);
      var += p * (1 - p);
    }
    return 5 * Math.sqrt(var) + 1;
  }

  @Test
  void histogramMergesExactlyInAnyOrder() throws Exception {
    LogHistogram whole = histogram(0.001, 0, N);
    LogHistogram a = histogram(0.001, 0, 5000);
    LogHistogram b = histogram(0.001, 5000, 12000);
    LogHistogram c = histogram(0.001, 12000, N);
    assertEquals(whole, LogHistogram.withRelativeAccuracy(0.001).merge(a).merge(b).merge(c));
    assertEquals(whole, LogHistogram.withRelativeAccuracy(0.001).merge(c).merge(a).merge(b));
    LogHistogram decoded =
        CoderUtils.decodeFromByteArray(
            LogHistogram.LogHistogramCoder.of(),
            CoderUtils.encodeToByteArray(LogHistogram.LogHistogramCoder.of(), whole));
    assertEquals(whole, decoded);
    assertEquals(N, whole.total());
    assertEquals(50, whole.zeros());
    assertThrows(
        IllegalArgumentException.class, () -> whole.merge(LogHistogram.withRelativeAccuracy(0.01)));
  }

  @Test
  void binRepresentativesAreWithinAlpha() {
    LogHistogram h = LogHistogram.withRelativeAccuracy(0.01);
    for (int i = 50; i < 2000; i++) {
      double d = DENSITIES[i];
      double v = LogHistogram.representative(h.binOf(d), h.logGamma());
      assertEquals(1.0, v / d, 0.01 + 1e-12);
    }
  }

  @Test
  void binsFoldBelowTheLowestKeptBinWhateverTheOrder() {
    double alpha = 0.001;
    LogHistogram up = LogHistogram.withRelativeAccuracy(alpha);
    LogHistogram down = LogHistogram.withRelativeAccuracy(alpha);
    double[] values = {1e-300, 1e-200, 1e-100, 1e-60, 1e-3, 0.5};
    for (int i = 0; i < values.length; i++) {
      up.add(values[i]);
      down.add(values[values.length - 1 - i]);
    }
    assertEquals(up, down);
    assertEquals(6, up.total());
    // The top bin minus MAX_BINS - 1 is the floor: about a factor 1e57 below 0.5.
    assertTrue(up.occupiedBins().length <= 3, "folded: " + up.occupiedBins().length);
    assertEquals(4, up.occupiedBins()[0][1]);
  }

  @Test
  void inversePropensityExpectsExactlyRateTimesN() {
    LogHistogram h = histogram(0.001, 0, N);
    for (double rate : new double[] {0.001, 0.01, 0.1, 0.2, 0.4, 0.6, 0.8, 0.99}) {
      KeepRule rule = KeepRule.inversePropensity(h, rate);
      assertEquals(rate * N, expected(rule), 1e-6 * N, "rate " + rate);
      int achieved = kept(rule, 17).size();
      assertEquals(rate * N, achieved, bernoulliTolerance(rule), "rate " + rate);
    }
  }

  @Test
  void coarseHistogramsStillExpectRateTimesN() {
    // alpha only quantises densities; the expected count stays exact.
    KeepRule rule = KeepRule.inversePropensity(histogram(0.1, 0, N), 0.3);
    assertEquals(0.3 * N, expected(rule), 1e-6 * N);
  }

  @Test
  void sparserDocumentsAreKeptMoreOften() {
    KeepRule rule = KeepRule.inversePropensity(histogram(0.001, 0, N), 0.2);
    double previous = 1.0;
    for (double d = 1e-4; d < 10; d *= 1.5) {
      double p = rule.probability(d);
      assertTrue(p <= previous, "p must not grow with density");
      previous = p;
    }
    assertEquals(1.0, rule.probability(0.0)); // zeros: nothing nearby, always kept
    // Empirically: the sparsest fifth is kept far more often than the densest fifth.
    Set<Integer> kept = kept(rule, 5);
    Integer[] order = new Integer[N];
    for (int i = 0; i < N; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(DENSITIES[x], DENSITIES[y]));
    int sparse = 0;
    int dense = 0;
    for (int k = 0; k < N / 5; k++) {
      sparse += kept.contains(order[k]) ? 1 : 0;
      dense += kept.contains(order[N - 1 - k]) ? 1 : 0;
    }
    assertTrue(sparse > 3 * dense, "sparse " + sparse + " vs dense " + dense);
  }

  @Test
  void sameSeedSameSelectionOtherSeedOtherSelectionOfSimilarSize() {
    KeepRule rule = KeepRule.inversePropensity(histogram(0.001, 0, N), 0.25);
    Set<Integer> a = kept(rule, 1);
    assertEquals(a, kept(rule, 1));
    Set<Integer> b = kept(rule, 2);
    assertNotEquals(a, b);
    assertEquals(a.size(), b.size(), 2 * bernoulliTolerance(rule));
    Set<Integer> both = new HashSet<>(a);
    both.retainAll(b);
    assertTrue(both.size() < 0.8 * a.size(), "overlap " + both.size() + " of " + a.size());
  }

  @Test
  void densestAndSparsestKeepTheExtremesWithRateTimesNExpected() {
    double alpha = 0.001;
    double slack = (1 + alpha) / (1 - alpha);
    LogHistogram h = histogram(alpha, 0, N);
    for (double rate : new double[] {0.0, 0.1, 0.5, 0.9, 1.0}) {
      KeepRule top = KeepRule.densest(h, rate);
      KeepRule bottom = KeepRule.sparsest(h, rate);
      assertEquals(rate * N, expected(top), 1e-6 * N);
      assertEquals(rate * N, expected(bottom), 1e-6 * N);
      assertEquals(rate * N, kept(top, 3).size(), bernoulliTolerance(top));
      assertEquals(rate * N, kept(bottom, 3).size(), bernoulliTolerance(bottom));
      double minKeptTop = Double.POSITIVE_INFINITY;
      double maxRejectedTop = 0;
      Set<Integer> k = kept(top, 3);
      for (int i = 0; i < N; i++) {
        if (k.contains(i)) {
          minKeptTop = Math.min(minKeptTop, DENSITIES[i]);
        } else {
          maxRejectedTop = Math.max(maxRejectedTop, DENSITIES[i]);
        }
      }
      // Kept and rejected only interleave inside the boundary bin.
      assertTrue(minKeptTop * slack >= maxRejectedTop, "rate " + rate);
    }
    // The zero densities are the sparsest of all.
    KeepRule fifty = KeepRule.sparsest(h, 50.0 / N);
    for (int i = 0; i < 50; i++) {
      assertEquals(1.0, fifty.probability(DENSITIES[i]));
    }
  }

  @Test
  void edgeRates() {
    LogHistogram h = histogram(0.001, 0, N);
    assertEquals(0, kept(KeepRule.inversePropensity(h, 0), 1).size());
    assertEquals(N, kept(KeepRule.inversePropensity(h, 1), 1).size());
    // A target below the zero count: only zeros, each with probability target / zeros.
    KeepRule few = KeepRule.inversePropensity(h, 10.0 / N);
    assertEquals(0.2, few.probability(0.0), 1e-12);
    assertEquals(0.0, few.probability(1e-9));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KeepRule.densest(h, 1.5));
    assertTrue(e.getMessage().contains("rate") && e.getMessage().contains("1.5"));
    assertThrows(IllegalArgumentException.class, () -> h.add(-1));
    assertThrows(IllegalArgumentException.class, () -> h.add(Double.NaN));
  }

  @Test
  void ruleCoderRoundTrips() throws Exception {
    LogHistogram h = histogram(0.001, 0, N);
    for (KeepRule rule :
        new KeepRule[] {
          KeepRule.inversePropensity(h, 0.3), KeepRule.densest(h, 0.3), KeepRule.sparsest(h, 0.3)
        }) {
      KeepRule back =
          CoderUtils.decodeFromByteArray(
              KeepRule.KeepRuleCoder.of(),
              CoderUtils.encodeToByteArray(KeepRule.KeepRuleCoder.of(), rule));
      assertEquals(rule, back);
      assertEquals(kept(rule, 9), kept(back, 9));
    }
  }
}
