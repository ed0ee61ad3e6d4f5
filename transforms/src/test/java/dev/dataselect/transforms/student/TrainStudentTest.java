package dev.dataselect.transforms.student;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/** TrainStudent and ScoreWithStudent on the DirectRunner. */
class TrainStudentTest {
  private static final int D = 8;
  private static final double[] W = {1, -2, 0.5, 0, 3, -1, 0.25, 2};

  private static List<Example> examples(int n, boolean labels) {
    Random r = new Random(11);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] x = new float[D];
      double y = 0.75;
      for (int j = 0; j < D; j++) {
        x[j] = (float) r.nextGaussian();
        y += W[j] * x[j];
      }
      out.add(Example.of("doc-" + i, x, labels ? (y > 0 ? 1 : 0) : y));
    }
    return out;
  }

  // PAssert runs a serialized copy of its function: results come back through a static list
  private static final List<TrainStudent.Result> GOT = new java.util.concurrent.CopyOnWriteArrayList<>();

  static TrainStudent.Result train(TrainStudent t, List<Example> examples) {
    Pipeline p = TestPipelines.create();
    PCollection<TrainStudent.Result> result = p.apply(Create.of(examples)).apply(t);
    GOT.clear();
    PAssert.thatSingleton(result).satisfies(r -> {
      GOT.add(r);
      return null;
    });
    TestPipelines.run(p);
    assertEquals(1, GOT.size());
    return GOT.get(0);
  }

  @Test
  void ridgeRecoversALinearFunctionThroughThePipeline() throws IOException {
    TrainStudent.Result r = train(TrainStudent.ridge().withLambdas(1e-9, 1e-3, 1).withFolds(4).withSeed(7)
        .withEmbeddingMetadata(Map.of("model", "m")).withTeacher(Map.of("kind", "test")), examples(200, false));
    double[] w = r.model.weights();
    for (int j = 0; j < D; j++) {
      assertEquals(W[j], w[j], 1e-5, "weight " + j);
    }
    assertEquals(0.75, r.model.intercept(), 1e-5);
    assertEquals(1e-9, r.model.lambda());
    JsonNode fit = new ObjectMapper().readTree(r.model.fitJson());
    assertEquals(200, fit.get("n").asLong());
    assertEquals(1.0, fit.get("heldOutR2").asDouble(), 1e-9);
    assertEquals(1.0, fit.get("heldOutSpearman").asDouble(), 1e-9);
    assertEquals(200, r.ids.length, "every example is held out once");
    assertEquals("m", r.model.embedding().get("model"));
    // held-out predictions match the teacher (noiseless)
    for (int i = 0; i < r.ids.length; i++) {
      assertEquals(r.teacher[i], r.predicted[i], 1e-5);
    }
  }

  @Test
  void heldOutPairsAreCappedDeterministically() {
    TrainStudent t = TrainStudent.ridge().withLambdas(1e-3).withMaxHeldOutPairs(50);
    TrainStudent.Result a = train(t, examples(120, false));
    TrainStudent.Result b = train(t, examples(120, false));
    assertEquals(50, a.ids.length);
    assertEquals(List.of(a.ids), List.of(b.ids));
  }

  @Test
  void logisticSeparatesASeparableLabellingThroughThePipeline() throws IOException {
    TrainStudent.Result r = train(TrainStudent.logistic().withLambdas(1e-5, 1e-2).withFolds(4).withPasses(10),
        examples(240, true));
    JsonNode fit = new ObjectMapper().readTree(r.model.fitJson());
    assertTrue(fit.get("heldOutAuc").asDouble() > 0.99, fit.toString());
    assertTrue(r.ids.length > 30 && r.ids.length < 100, "fold 0 holds about a quarter: " + r.ids.length);
    int wrong = 0;
    for (Example e : examples(240, true)) {
      if (Math.round(r.model.score(e.vector())) != e.target()) {
        wrong++;
      }
    }
    assertEquals(0, wrong, "training examples misclassified");
  }

  @Test
  void scoreWithStudentScoresEmbeddings() {
    StudentModel m = StudentModel.of(StudentModel.Task.LOGISTIC, new double[] {2, -1}, 0.5, 1e-3, Map.of(), Map.of(), 0.5, 0.5, "{}");
    Pipeline p = TestPipelines.create();
    PCollection<DocumentScore> s = p.apply(Create.of(Embedding.of("a", new float[] {1, 1}), Embedding.of("b", new float[] {0, 3})))
        .apply(ScoreWithStudent.with(m));
    PAssert.that(s).containsInAnyOrder(
        DocumentScore.of("a", LogisticStatistics.sigmoid(1.5)), DocumentScore.of("b", LogisticStatistics.sigmoid(-2.5)));
    TestPipelines.run(p);
  }

  @Test
  void settingsAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> TrainStudent.ridge().withFolds(1));
    assertThrows(IllegalArgumentException.class, () -> TrainStudent.ridge().withLambdas(0));
    assertThrows(IllegalArgumentException.class, () -> TrainStudent.logistic().withPasses(0));
    assertThrows(IllegalArgumentException.class, () -> TrainStudent.ridge().withMaxHeldOutPairs(5));
  }
}
