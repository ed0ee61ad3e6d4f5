package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.DocumentScore;
import static dev.dataselect.transforms.inference.AskLlmScoreTest.assertMessage;
import static dev.dataselect.transforms.inference.InferenceTesting.counter;
import static dev.dataselect.transforms.inference.InferenceTesting.oneBundle;
import static dev.dataselect.transforms.inference.InferenceTesting.words;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.score.PerplexityScorer;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;

class PerplexityScoreTest {

  /** Mean NLL of {@code ids} under the fixture's closed form. */
  private static double expectedNll(long[] ids) {
    double sum = 0;
    for (int t = 1; t < ids.length; t++) {
      double[] l = Fixtures.causalLogits(ids[t - 1], t - 1, true);
      sum += Fixtures.logSumExp(l) - l[(int) ids[t]];
    }
    return sum / (ids.length - 1);
  }

  @Test
  void scoresMatchTheClosedFormAndUnusableDocumentsAreDeadLetters() {
    ModelConfig config = InferenceTesting.causal();
    List<Document> docs = new ArrayList<>(InferenceTesting.documents(10, 40));
    docs.add(Document.of("empty", "", "t#empty")); // only BOS: nothing to predict
    docs.add(Document.of("too-long", words(80, 4), "t#long")); // past the 64 positions
    Map<String, Double> expected = new HashMap<>();
    try (LoadedModel model = LoadedModel.load(config)) {
      PerplexityScorer direct = new PerplexityScorer(model);
      for (Document d : docs.subList(0, 10)) {
        double nll = expectedNll(direct.inputIds(d.text()));
        assertEquals(nll, direct.score(List.of(d.text())).meanNll()[0], 1e-5, d.id());
        expected.put(d.id(), nll);
      }
    }
    Pipeline p = TestPipelines.create();
    PCollectionTuple out =
        oneBundle(p, "Docs", docs).apply("Score", PerplexityScore.with(config).withMaxBatchSize(8));
    PAssert.that(out.get(PerplexityScore.SCORES))
        .satisfies(
            all -> {
              int n = 0;
              for (DocumentScore s : all) {
                n++;
                Double e = expected.get(s.id());
                assertNotNull(e, s.id());
                assertEquals(e, s.score(), 1e-5, s.id());
              }
              assertEquals(10, n);
              return null;
            });
    PAssert.that(out.get(PerplexityScore.DEAD_LETTERS))
        .satisfies(
            all -> {
              Map<String, DeadLetter> bySource = new HashMap<>();
              all.forEach(d -> bySource.put(d.source(), d));
              assertEquals(2, bySource.size(), bySource.toString());
              DeadLetter empty = bySource.get("t#empty");
              assertEquals(DeadLetter.Reason.INFERENCE_FAILED, empty.reason());
              assertTrue(empty.detail().contains("no token to predict"), empty.detail());
              DeadLetter tooLong = bySource.get("t#long");
              assertEquals(DeadLetter.Reason.INFERENCE_FAILED, tooLong.reason());
              assertTrue(tooLong.detail().contains("'too-long'"), tooLong.detail());
              return null;
            });
    PipelineResult result = p.run();
    TestPipelines.await(result);
    assertEquals(12, counter(result, PerplexityScore.class, "documents", null));
    assertEquals(10, counter(result, PerplexityScore.class, "results", null));
    assertEquals(2, counter(result, PerplexityScore.class, "deadLetters", null));
  }

  @Test
  void validationDisplayDataAndMetadata() {
    assertMessage(
        () -> PerplexityScore.with(InferenceTesting.encoderDecoder(false)), "model", "CAUSAL_LM");
    PerplexityScore s = PerplexityScore.with(InferenceTesting.causal()).withMaxBatchSize(3);
    assertMessage(() -> s.withMaxBatchSize(0), "maxBatchSize", "got: 0");
    Map<String, Object> items = new HashMap<>();
    for (DisplayData.Item i : DisplayData.from(s).items()) {
      items.put(i.getKey(), i.getValue());
    }
    assertEquals(InferenceTesting.causal().model().toString(), items.get("modelUri"));
    assertEquals(3, ((Number) items.get("maxBatchSize")).intValue());
    assertEquals("perplexity", items.get("scorer"));
    assertEquals("perplexity", s.metadata().get("stage"));
    assertEquals("mean token NLL (nats)", s.metadata().get("score"));
  }
}
