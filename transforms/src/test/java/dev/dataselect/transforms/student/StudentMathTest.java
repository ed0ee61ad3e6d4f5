package dev.dataselect.transforms.student;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Beam-free math: Cholesky, ridge and logistic statistics, metrics, the model file. */
class StudentMathTest {
  private static float[][] gaussian(Random r, int n, int d) {
    float[][] x = new float[n][d];
    for (float[] row : x) {
      for (int j = 0; j < d; j++) {
        row[j] = (float) r.nextGaussian();
      }
    }
    return x;
  }

  @Test
  void choleskySolvesAKnownSystemAndRefusesAnIndefiniteOne() {
    double[] a = {4, 2, 0, 2, 5, 1, 0, 1, 3};
    double[] x = Cholesky.solve(a, 3, new double[] {4 * 1 + 2 * 2, 2 * 1 + 5 * 2 + 1 * 3, 2 + 3 * 3});
    assertEquals(1, x[0], 1e-12);
    assertEquals(2, x[1], 1e-12);
    assertEquals(3, x[2], 1e-12);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Cholesky.solve(new double[] {1, 2, 2, 1}, 2, new double[] {1, 1}));
    assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
  }

  @Test
  void ridgeRecoversAKnownLinearFunctionExactly() {
    Random r = new Random(1);
    int d = 12;
    double[] w = new double[d];
    for (int j = 0; j < d; j++) {
      w[j] = r.nextGaussian();
    }
    double b = 3.5;
    float[][] x = gaussian(r, 400, d);
    RidgeStatistics s = RidgeStatistics.empty(d, 5);
    for (int i = 0; i < x.length; i++) {
      double y = b;
      for (int j = 0; j < d; j++) {
        y += w[j] * x[i][j];
      }
      s.add(i % 5, x[i], y);
    }
    RidgeStatistics.Solution sol = s.fit(new double[] {1e-10, 1e-2, 1});
    assertEquals(1e-10, sol.lambda, "the noiseless function needs the smallest penalty");
    for (int j = 0; j < d; j++) {
      assertEquals(w[j], sol.all.weights[j], 1e-6, "weight " + j);
    }
    assertEquals(b, sol.all.intercept, 1e-6);
    assertEquals(1.0, sol.chosen().heldOutR2, 1e-9);
    // a strong penalty shrinks towards the mean: held-out R² must drop
    assertTrue(sol.cv.get(2).heldOutR2 < 0.9, "lambda=1 R² " + sol.cv.get(2).heldOutR2);
  }

  @Test
  void ridgeCrossValidationPrefersAPenaltyOnNoisyData() {
    Random r = new Random(2);
    int d = 40;
    float[][] x = gaussian(r, 60, d);
    RidgeStatistics s = RidgeStatistics.empty(d, 5);
    for (int i = 0; i < x.length; i++) {
      s.add(i % 5, x[i], x[i][0] + 3 * r.nextGaussian());
    }
    RidgeStatistics.Solution sol = s.fit(new double[] {1e-8, 1e-1, 1, 10});
    assertTrue(sol.lambda >= 0.1, "chosen " + sol.lambda);
    // the held-out SSE computed from statistics equals the SSE of explicit predictions
    RidgeStatistics fold0 = RidgeStatistics.empty(d, 1);
    double explicit = 0;
    Random r2 = new Random(2);
    gaussian(r2, 60, d);
    for (int i = 0; i < x.length; i++) {
      double y = x[i][0] + 3 * r2.nextGaussian();
      fold0.add(0, x[i], y);
      double p = sol.all.intercept;
      for (int j = 0; j < d; j++) {
        p += sol.all.weights[j] * x[i][j];
      }
      explicit += (y - p) * (y - p);
    }
    assertEquals(explicit, fold0.sse(0, sol.all), 1e-6 * explicit);
  }

  @Test
  void mergedPartialRidgeStatisticsEqualStatisticsBuiltInOnePiece() throws IOException {
    Random r = new Random(3);
    int d = 8;
    float[][] x = gaussian(r, 300, d);
    RidgeStatistics whole = RidgeStatistics.empty(d, 3);
    RidgeStatistics[] parts = {RidgeStatistics.empty(d, 3), RidgeStatistics.empty(d, 3), RidgeStatistics.empty(d, 3)};
    for (int i = 0; i < x.length; i++) {
      // small integers keep every sum exact, so the equality can be bit for bit
      float[] xi = new float[d];
      for (int j = 0; j < d; j++) {
        xi[j] = Math.round(x[i][j] * 4);
      }
      double y = Math.round(r.nextGaussian() * 8);
      whole.add(i % 3, xi, y);
      parts[(i * 7) % 3].add(i % 3, xi, y);
    }
    RidgeStatistics merged = RidgeStatistics.empty(d, 3).merge(parts[2]).merge(parts[0]).merge(parts[1]);
    assertTrue(merged.sameNumbers(whole));
    assertEquals(0, merged.maxDifference(whole));
    // and with real-valued features, equal up to rounding
    RidgeStatistics a = RidgeStatistics.empty(d, 2);
    RidgeStatistics b1 = RidgeStatistics.empty(d, 2);
    RidgeStatistics b2 = RidgeStatistics.empty(d, 2);
    for (int i = 0; i < x.length; i++) {
      a.add(i % 2, x[i], i * 0.1);
      (i < 100 ? b1 : b2).add(i % 2, x[i], i * 0.1);
    }
    assertTrue(b1.merge(b2).maxDifference(a) < 1e-9);
    // the coder round trip keeps every number
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    whole.writeTo(new DataOutputStream(bytes));
    assertTrue(RidgeStatistics.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))).sameNumbers(whole));
    assertThrows(IllegalArgumentException.class, () -> whole.merge(RidgeStatistics.empty(d, 2)));
  }

  private static LogisticStatistics.Models fit(float[][] x, double[] y, int[] fold, LogisticStatistics.Models m, int passes) {
    for (int t = 0; t < passes; t++) {
      LogisticStatistics s = LogisticStatistics.empty(m, true);
      for (int i = 0; i < x.length; i++) {
        s.add(fold[i], x[i], y[i]);
      }
      m = s.step();
    }
    return m;
  }

  @Test
  void logisticSeparatesASeparableLabelling() {
    Random r = new Random(4);
    int d = 6;
    float[][] x = gaussian(r, 300, d);
    double[] y = new double[x.length];
    int[] fold = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      double margin = 2 * x[i][0] - x[i][1] + 0.5;
      y[i] = margin > 0 ? 1 : 0;
      fold[i] = i % 4;
    }
    LogisticStatistics.Models m =
        fit(x, y, fold, LogisticStatistics.Models.start(d, new int[] {-1, 0}, new double[] {1e-4, 1e-4}), 12);
    double[] p = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      p[i] = m.probability(0, x[i]);
      assertEquals(y[i], Math.round(p[i]), "example " + i + " p=" + p[i]);
    }
    assertEquals(1.0, HeldOutMetrics.auc(y, p), 0);
    // the direction of the separating hyperplane is recovered: w1/w0 = -1/2, b/w0 = 1/4
    double[] w = m.weights(0);
    assertEquals(-0.5, w[1] / w[0], 0.05);
    assertEquals(0.25, w[d] / w[0], 0.05);
    // the model that held fold 0 out also separates it
    LogisticStatistics eval = LogisticStatistics.empty(m, false);
    for (int i = 0; i < x.length; i++) {
      eval.add(fold[i], x[i], y[i]);
    }
    assertEquals(75, eval.heldOutCount(1));
    assertTrue(eval.heldOutLogLoss(1) < 0.1, "held-out log-loss " + eval.heldOutLogLoss(1));
  }

  @Test
  void logisticMatchesAnUnregularisedMaximumLikelihoodFitOnNoisyLabels() {
    // the gradient of the penalised likelihood vanishes at the returned weights
    Random r = new Random(5);
    int d = 4;
    float[][] x = gaussian(r, 500, d);
    double[] y = new double[x.length];
    int[] fold = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = r.nextDouble() < LogisticStatistics.sigmoid(x[i][0] - 0.5 * x[i][2]) ? 1 : 0;
    }
    LogisticStatistics.Models m = fit(x, y, fold, LogisticStatistics.Models.start(d, new int[] {-1}, new double[] {1e-3}), 10);
    LogisticStatistics s = LogisticStatistics.empty(m, false);
    for (int i = 0; i < x.length; i++) {
      s.add(0, x[i], y[i]);
    }
    assertTrue(s.gradientNorm(0) < 1e-10, "gradient " + s.gradientNorm(0));
    assertEquals(1.0, m.weights(0)[0], 0.35);
  }

  @Test
  void mergedPartialLogisticStatisticsEqualStatisticsBuiltInOnePiece() {
    Random r = new Random(6);
    int d = 5;
    float[][] x = gaussian(r, 100, d);
    LogisticStatistics.Models m = LogisticStatistics.Models.start(d, new int[] {0, -1}, new double[] {0.1, 0.1});
    LogisticStatistics whole = LogisticStatistics.empty(m, true);
    LogisticStatistics a = LogisticStatistics.empty(m, true);
    LogisticStatistics b = LogisticStatistics.empty(m, true);
    for (int i = 0; i < x.length; i++) {
      // at zero weights p = 1/2 and p(1-p) = 1/4: with integer features every sum is exact
      float[] xi = new float[d];
      for (int j = 0; j < d; j++) {
        xi[j] = Math.round(x[i][j] * 4);
      }
      whole.add(i % 3, xi, i % 2);
      (i % 5 == 0 ? a : b).add(i % 3, xi, i % 2);
    }
    assertTrue(b.merge(a).sameNumbers(whole, 1e-9));
    assertTrue(whole.heldOutCount(0) > 0);
  }

  @Test
  void metricsOnKnownValues() {
    assertEquals(1.0, HeldOutMetrics.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 1000}), 1e-12);
    assertEquals(-1.0, HeldOutMetrics.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
    assertEquals(0.75, HeldOutMetrics.auc(new double[] {0, 1, 0, 1}, new double[] {0.1, 0.3, 0.35, 0.8}), 1e-12);
    assertEquals(1.0, HeldOutMetrics.auc(new double[] {0, 1, 0, 1}, new double[] {0.1, 0.4, 0.35, 0.8}), 1e-12);
    assertEquals(0.5, HeldOutMetrics.auc(new double[] {0, 1}, new double[] {0.3, 0.3}), 1e-12);
    assertEquals(1.0, HeldOutMetrics.r2(new double[] {1, 2, 3}, new double[] {1, 2, 3}), 1e-12);
    assertEquals(0.0, HeldOutMetrics.r2(new double[] {1, 2, 3}, new double[] {2, 2, 2}), 1e-12);
    var bins = HeldOutMetrics.calibration(new double[] {0, 0, 1, 1}, new double[] {0.1, 0.2, 0.7, 0.9}, 2);
    assertEquals(2, bins.size());
    assertEquals(0.15, bins.get(0).meanPredicted, 1e-12);
    assertEquals(1.0, bins.get(1).meanTeacher, 1e-12);
  }

  @Test
  void modelFileRoundTripsAndRefusesOtherFormats() {
    StudentModel m = StudentModel.of(StudentModel.Task.RIDGE, new double[] {0.5, -2}, 1.25, 1e-3,
        Map.of("model", "all-MiniLM-L6-v2", "pooling", "MEAN"), Map.of("kind", "scores"), 2, 3, "{\"n\":10}");
    StudentModel back = StudentModel.fromJson(m.toJson());
    assertEquals(1.25 + 0.5 * 2 - 2 * 1, back.score(new float[] {2, 1}), 1e-12);
    assertEquals(m.embedding(), back.embedding());
    assertEquals(m.teacher(), back.teacher());
    assertTrue(back.fitJson().contains("\"n\":10"), back.fitJson());
    assertTrue(back.positiveScore(-1e9) >= 0 && back.positiveScore(1) < back.positiveScore(2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StudentModel.fromJson(m.toJson().replace("\"format\" : 2", "\"format\" : 3")));
    assertTrue(e.getMessage().contains("format"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> StudentModel.fromJson("{\"format\": 1, \"task\": \"svm\"}"));
    assertThrows(IllegalArgumentException.class, () -> back.score(new float[3]));
  }
}
