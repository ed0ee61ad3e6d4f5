package dev.dataselect.transforms.student;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
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

/** The student on embeddings ⊕ signals: two penalties, standardised signals, each block's worth. */
class TwoBlockStudentTest {
  private static final double[] WE = {1, -2, 0.5, 0, 3, -1};
  /** Weights per raw unit of three signals on very different scales. */
  private static final double[] WS = {0.02, -4, 1.5};
  private static final double[] SCALE = {100, 0.5, 2};
  private static final double[] OFFSET = {1000, 0.3, -5};
  private static final List<String> NAMES = List.of("chars", "fraction", "count");

  /** y = 0.75 + WE·e + WS·s: half the variance from each block, so neither block alone can fit it. */
  private static List<Example> examples(int n, boolean labels, long seed) {
    Random r = new Random(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] e = new float[WE.length];
      float[] s = new float[WS.length];
      double y = 0.75;
      for (int j = 0; j < e.length; j++) {
        e[j] = (float) r.nextGaussian();
        y += WE[j] * e[j];
      }
      for (int j = 0; j < s.length; j++) {
        s[j] = (float) (OFFSET[j] + SCALE[j] * r.nextGaussian());
        y += WS[j] * (s[j] - OFFSET[j]);
      }
      out.add(Example.of("doc-" + seed + "-" + i, e, s, labels ? (y > 0.75 ? 1 : 0) : y));
    }
    return out;
  }

  private static double truth(Example x) {
    float[] e = x.vector();
    float[] s = x.signals();
    double y = 0.75;
    for (int j = 0; j < e.length; j++) {
      y += WE[j] * e[j];
    }
    for (int j = 0; j < s.length; j++) {
      y += WS[j] * (s[j] - OFFSET[j]);
    }
    return y;
  }

  private static TrainStudent.Result train(TrainStudent t, List<Example> examples) {
    return TrainStudentTest.train(t, examples);
  }

  @Test
  void twoBlockRidgeRecoversAPlantedFunctionWhereEitherBlockAloneCannot() throws IOException {
    TrainStudent.Result r = train(TrainStudent.ridge().withFeatures(StudentModel.Features.BOTH).withSignalNames(NAMES)
        .withLambdas(1e-9, 1e-2, 1).withSignalLambdas(1e-9, 1e-2, 1).withFolds(4), examples(300, false, 1));
    JsonNode blocks = new ObjectMapper().readTree(r.model.fitJson()).get("blocks");
    assertEquals(1.0, blocks.get("both").get("heldOutR2").asDouble(), 1e-6, blocks.toString());
    assertTrue(blocks.get("embedding").get("heldOutR2").asDouble() < 0.7, blocks.toString());
    assertTrue(blocks.get("signals").get("heldOutR2").asDouble() < 0.7, blocks.toString());
    assertEquals(1e-9, blocks.get("both").get("lambda").asDouble());
    assertEquals(1e-9, blocks.get("both").get("lambdaSignals").asDouble());
    // the model file's raw form predicts the planted function on new documents
    StudentModel m = StudentModel.fromJson(r.model.toJson());
    assertEquals(StudentModel.Features.BOTH, m.features());
    assertEquals(NAMES, m.signalNames());
    for (Example x : examples(50, false, 2)) {
      assertEquals(truth(x), m.score(x.vector(), x.signals()), 1e-4);
    }
    // weights per standard deviation: the signal with the largest WS · sd weighs most
    double[] v = m.signalWeights();
    double[] sd = m.signalSds();
    for (int j = 0; j < v.length; j++) {
      assertEquals(WS[j] * sd[j], v[j], 1e-4 * Math.max(1, Math.abs(v[j])));
      assertEquals(SCALE[j], sd[j], 0.15 * SCALE[j], "sd of signal " + j);
    }
  }

  @Test
  void eachBlockGetsItsOwnPenalty() throws IOException {
    // noisy targets, few examples: the many embedding dimensions need a strong penalty, the one
    // informative signal none
    Random r = new Random(5);
    List<Example> ex = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      float[] e = new float[60];
      for (int j = 0; j < e.length; j++) {
        e[j] = (float) r.nextGaussian();
      }
      float s = (float) r.nextGaussian();
      ex.add(Example.of("d" + i, e, new float[] {s}, 3 * s + r.nextGaussian()));
    }
    TrainStudent.Result res = train(TrainStudent.ridge().withFeatures(StudentModel.Features.BOTH).withSignalNames(List.of("s"))
        .withLambdas(1e-6, 1e-2, 10).withSignalLambdas(1e-6, 1e-2, 10).withFolds(5), ex);
    assertEquals(10, res.model.lambda(), res.model.fitJson());
    assertTrue(res.model.lambdaSignals() < 1, res.model.fitJson());
  }

  @Test
  void twoBlockLogisticBeatsEachBlockAlone() throws IOException {
    TrainStudent.Result r = train(TrainStudent.logistic().withFeatures(StudentModel.Features.BOTH).withSignalNames(NAMES)
        .withLambdas(1e-4, 1e-2).withSignalLambdas(1e-4, 1e-2).withFolds(4).withPasses(10), examples(600, true, 3));
    JsonNode fit = new ObjectMapper().readTree(r.model.fitJson());
    assertTrue(fit.get("binaryTargets").asBoolean(), fit.toString());
    JsonNode blocks = fit.get("blocks");
    double both = blocks.get("both").get("heldOutAuc").asDouble();
    assertTrue(both > 0.98, blocks.toString());
    assertTrue(blocks.get("embedding").get("heldOutAuc").asDouble() < both - 0.05, blocks.toString());
    assertTrue(blocks.get("signals").get("heldOutAuc").asDouble() < both - 0.05, blocks.toString());
    int wrong = 0;
    for (Example x : examples(200, true, 4)) {
      if (Math.round(r.model.score(x.vector(), x.signals())) != x.target()) {
        wrong++;
      }
    }
    assertTrue(wrong <= 10, wrong + " of 200 new documents misclassified");
  }

  @Test
  void aSignalsOnlyStudentNeedsNoEmbeddings() {
    List<Example> ex = new ArrayList<>();
    for (Example x : examples(200, false, 6)) {
      double y = 0.75;
      for (int j = 0; j < WS.length; j++) {
        y += WS[j] * (x.signals()[j] - OFFSET[j]);
      }
      ex.add(Example.of(x.id(), new float[0], x.signals(), y));
    }
    TrainStudent.Result r = train(TrainStudent.ridge().withFeatures(StudentModel.Features.SIGNALS).withSignalNames(NAMES)
        .withSignalLambdas(1e-9), ex);
    assertEquals(0, r.model.dimension());
    for (Example x : ex.subList(0, 20)) {
      assertEquals(x.target(), r.model.score(new float[0], x.signals()), 1e-4);
    }
    assertThrows(IllegalArgumentException.class, () -> r.model.score(new float[0]));
  }

  @Test
  void examplesWithoutTheSignalsTheStudentReadsFailTheFit() {
    Pipeline p = TestPipelines.create();
    p.apply(Create.of(examples(20, false, 7).get(0), Example.of("no-signals", new float[WE.length], 1.0)))
        .apply(TrainStudent.ridge().withFeatures(StudentModel.Features.BOTH).withSignalNames(NAMES).withLambdas(1e-3));
    Exception e = assertThrows(Exception.class, () -> TestPipelines.run(p));
    assertTrue(String.valueOf(e.getMessage()).contains("signal features"), e.toString());
  }

  @Test
  void modelFilesOfFormatOneStillRead() {
    StudentModel m = StudentModel.fromJson("{\"format\": 1, \"task\": \"ridge\", \"dimension\": 2, \"intercept\": 1,"
        + " \"lambda\": 0.1, \"weights\": [2, 3]}");
    assertEquals(StudentModel.Features.EMBEDDING, m.features());
    assertEquals(1 + 2 + 6, m.score(new float[] {1, 2}), 1e-12);
    StudentModel back = StudentModel.fromJson(m.toJson());
    assertEquals(m.toJson(), back.toJson());
  }

  @Test
  void scoreWithStudentJoinsTheDocumentsSignals() {
    String[] texts = {"The cat sat on the mat. It was warm.", "BUY NOW!!! http://spam.example www.x.example", "Short"};
    List<String> names = SignalFeatures.names();
    double[] means = new double[names.size()];
    double[] sds = new double[names.size()];
    double[] sw = new double[names.size()];
    java.util.Arrays.fill(sds, 1);
    for (int j = 0; j < sw.length; j++) {
      sw[j] = 0.1 * (j % 5) - 0.2;
    }
    StudentModel both = StudentModel.of(StudentModel.Task.LOGISTIC, StudentModel.Features.BOTH, new double[] {1, -1}, 0.3, 1e-3,
        names, means, sds, sw, 1e-2, Map.of(), Map.of(), 0.5, 0.5, "{}");
    StudentModel signalsOnly = StudentModel.of(StudentModel.Task.RIDGE, StudentModel.Features.SIGNALS, new double[0], 0.3, Double.NaN,
        names, means, sds, sw, 1e-2, Map.of(), Map.of(), 0, 1, "{}");
    List<Document> docs = new ArrayList<>();
    List<Embedding> embeddings = new ArrayList<>();
    List<DocumentScore> expectBoth = new ArrayList<>();
    List<DocumentScore> expectSignals = new ArrayList<>();
    for (int i = 0; i < texts.length; i++) {
      docs.add(Document.of("d" + i, texts[i], "test", Map.of()));
      float[] e = {i, 2 - i};
      embeddings.add(Embedding.of("d" + i, e));
      expectBoth.add(DocumentScore.of("d" + i, both.score(e, SignalFeatures.of(texts[i]))));
      expectSignals.add(DocumentScore.of("d" + i, signalsOnly.score(new float[0], SignalFeatures.of(texts[i]))));
    }
    Pipeline p = TestPipelines.create();
    PCollection<Document> d = p.apply("Docs", Create.of(docs));
    PCollection<Embedding> e = p.apply("Embeddings", Create.of(embeddings));
    PAssert.that(e.apply("Both", ScoreWithStudent.with(both).withDocuments(d).withShards(3))).containsInAnyOrder(expectBoth);
    PAssert.that(e.apply("SignalsOnly", ScoreWithStudent.with(signalsOnly).withDocuments(d))).containsInAnyOrder(expectSignals);
    TestPipelines.run(p);
    assertThrows(IllegalArgumentException.class, () -> e.apply("NoDocs", ScoreWithStudent.with(both)));
  }

  @Test
  void uncertaintyPeaksAtTheDecisionBoundary() {
    StudentModel logistic = StudentModel.of(StudentModel.Task.LOGISTIC, new double[] {1}, 0, 0.1, Map.of(), Map.of(), 0.5, 0.5, "{}");
    assertEquals(1.0, logistic.uncertainty(0.5), 1e-12);
    assertEquals(0.36, logistic.uncertainty(0.1), 1e-12);
    assertEquals(StudentModel.MIN_UNCERTAINTY, logistic.uncertainty(1.0), 1e-12);
    // ridge on scores: centred on the teacher's mean; on 0/1 labels (imbalanced: mean 0.1), on 0.5
    StudentModel scores = StudentModel.of(StudentModel.Task.RIDGE, new double[] {1}, 0, 0.1, Map.of(), Map.of(), 0.1, 0.3, "{}");
    assertEquals(1.0, scores.uncertainty(0.1), 1e-12);
    StudentModel labels = StudentModel.of(StudentModel.Task.RIDGE, new double[] {1}, 0, 0.1, Map.of(), Map.of(), 0.1, 0.3,
        "{\"binaryTargets\": true}");
    assertEquals(1.0, labels.uncertainty(0.5), 1e-12);
    assertTrue(labels.uncertainty(0.05) < labels.uncertainty(0.4));
    assertTrue(StudentModel.fromJson(labels.toJson()).uncertainty(0.5) == 1.0, "kept in the model file");
  }

  @Test
  void signalFeaturesLogTheHeavyTailedCounts() {
    List<String> names = SignalFeatures.names();
    assertEquals(SignalFeatures.size(), names.size());
    float[] x = SignalFeatures.of("one two three");
    assertEquals(Math.log1p(13), x[names.indexOf("log1p_chars")], 1e-6);
    assertEquals(Math.log1p(3), x[names.indexOf("log1p_words")], 1e-6);
    assertEquals(1.0, x[names.indexOf("alphabetic_word_fraction")], 1e-6);
  }
}
