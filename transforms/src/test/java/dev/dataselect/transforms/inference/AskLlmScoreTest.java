package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.DocumentScore;
import static dev.dataselect.transforms.inference.InferenceTesting.TEMPLATE;
import static dev.dataselect.transforms.inference.InferenceTesting.counter;
import static dev.dataselect.transforms.inference.InferenceTesting.distribution;
import static dev.dataselect.transforms.inference.InferenceTesting.messages;
import static dev.dataselect.transforms.inference.InferenceTesting.oneBundle;
import static dev.dataselect.transforms.inference.InferenceTesting.words;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelKind;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.score.AskLlmOptions;
import dev.dataselect.models.score.AskLlmScorer;
import dev.dataselect.models.score.ScoreMode;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;
import org.junit.jupiter.api.Test;

class AskLlmScoreTest {
  /** Six documents of 1 to 40 words; with maxTokens 24 the longest are truncated. */
  private static final List<Document> DOCS =
      List.of(
          Document.of("short", "cat", "t#0"),
          Document.of("mid", "the cat sat on the mat", "t#1"),
          Document.of("dog", "a dog ran", "t#2"),
          Document.of("ball", "the big red ball", "t#3"),
          Document.of("long", words(40, 1), "t#4"),
          Document.of("longer", words(30, 2), "t#5"));

  private static final int MAX_TOKENS = 24;

  /** Expected P(yes) per id, by the closed form of the fixture's logits. */
  private static Map<String, Double> closedForm(ModelConfig config, ScoreMode mode) {
    return closedForm(config, mode, "▁yes", "▁no");
  }

  private static Map<String, Double> closedForm(
      ModelConfig config, ScoreMode mode, String yesToken, String noToken) {
    Map<String, Double> expected = new HashMap<>();
    try (LoadedModel model = LoadedModel.load(config)) {
      AskLlmScorer direct =
          new AskLlmScorer(
              model,
              AskLlmOptions.defaults()
                  .withTemplate(TEMPLATE)
                  .withMode(mode)
                  .withYesNoTokens(yesToken, noToken));
      for (Document d : DOCS) {
        long[] ids = direct.inputIds(d.text());
        assertTrue(ids.length <= MAX_TOKENS, d.id());
        double[] l =
            config.kind() == ModelKind.ENCODER_DECODER
                ? Fixtures.decoderLogits(ids, 0)
                : Fixtures.causalLogits(ids[ids.length - 1], ids.length - 1, true);
        double yes = l[(int) Fixtures.id(yesToken)];
        double no = l[(int) Fixtures.id(noToken)];
        double p =
            mode == ScoreMode.YES_NO
                ? 1 / (1 + Math.exp(no - yes))
                : Math.exp(yes - Fixtures.logSumExp(l));
        expected.put(d.id(), p);
        // The direct scorer agrees, alone.
        assertEquals(p, direct.score(List.of(d.text())).scores()[0], 1e-6, d.id());
      }
      // The long document is truncated; the prompt's closing part is intact.
      long[] longIds = direct.inputIds(words(40, 1));
      assertEquals(MAX_TOKENS, longIds.length);
      long[] tail = Arrays.copyOfRange(longIds, longIds.length - 4, longIds.length);
      long[] expectedTail =
          config.kind() == ModelKind.ENCODER_DECODER
              ? new long[] {Fixtures.id("▁the"), Fixtures.id("▁yes"), Fixtures.id("▁no"), Fixtures.EOS}
              : new long[] {Fixtures.id("▁###"), Fixtures.id("▁the"), Fixtures.id("▁yes"), Fixtures.id("▁no")};
      assertArrayEquals(expectedTail, tail);
    }
    return expected;
  }

  private static void assertScores(PCollection<DocumentScore> scores, Map<String, Double> expected) {
    PAssert.that(scores)
        .satisfies(
            got -> {
              int n = 0;
              for (DocumentScore s : got) {
                n++;
                Double e = expected.get(s.id());
                assertNotNull(e, s.id());
                assertEquals(Math.log(e), Math.log(s.score()), 1e-5, s.id());
                assertEquals(e, s.score(), 1e-5, s.id());
              }
              assertEquals(expected.size(), n);
              return null;
            });
  }

  @Test
  void scoresMatchTheClosedFormForBothLayoutsAndBothModes() {
    Map<String, ModelConfig> layouts = new java.util.LinkedHashMap<>();
    layouts.put("Seq2seq", InferenceTesting.encoderDecoder(false).withMaxTokens(MAX_TOKENS));
    layouts.put("Merged", InferenceTesting.encoderDecoder(true).withMaxTokens(MAX_TOKENS));
    layouts.put("Causal", InferenceTesting.causal().withMaxTokens(MAX_TOKENS));
    Pipeline p = TestPipelines.create();
    PCollection<Document> docs = oneBundle(p, "Docs", DOCS);
    for (Map.Entry<String, ModelConfig> layout : layouts.entrySet()) {
      for (ScoreMode mode : ScoreMode.values()) {
        PCollectionTuple out =
            docs.apply(
                layout.getKey() + mode,
                AskLlmScore.with(layout.getValue())
                    .withTemplate(TEMPLATE)
                    .withMode(mode)
                    .withMaxBatchSize(4));
        assertScores(out.get(AskLlmScore.SCORES), closedForm(layout.getValue(), mode));
        PAssert.that(out.get(AskLlmScore.DEAD_LETTERS)).empty();
      }
    }
    // Naming other yes/no entries changes the scores, to theirs.
    ModelConfig seq2seq = layouts.get("Seq2seq");
    PCollectionTuple named =
        docs.apply(
            "NamedTokens",
            AskLlmScore.with(seq2seq).withTemplate(TEMPLATE).withYesNoTokens("yes", "no"));
    assertScores(
        named.get(AskLlmScore.SCORES),
        closedForm(seq2seq, ScoreMode.FULL_VOCABULARY, "yes", "no"));
    PipelineResult result = p.run();
    TestPipelines.await(result);
    assertEquals(7L * DOCS.size(), counter(result, AskLlmScore.class, "results", null));
  }

  /** Emits "id: |a - b|" for every id whose two scores differ by more than 1e-6 or are missing. */
  private static final class CompareFn extends DoFn<KV<String, CoGbkResult>, String> {
    private final TupleTag<Double> a;
    private final TupleTag<Double> b;

    CompareFn(TupleTag<Double> a, TupleTag<Double> b) {
      this.a = a;
      this.b = b;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> e, OutputReceiver<String> out) {
      List<Double> x = new ArrayList<>();
      e.getValue().getAll(a).forEach(x::add);
      List<Double> y = new ArrayList<>();
      e.getValue().getAll(b).forEach(y::add);
      if (x.size() != 1 || y.size() != 1 || Math.abs(x.get(0) - y.get(0)) > 1e-6) {
        out.output(e.getKey() + ": " + x + " vs " + y);
      }
    }
  }

  private static PCollection<KV<String, Double>> byId(String name, PCollection<DocumentScore> s) {
    return s.apply(
        name,
        ParDo.of(
            new DoFn<DocumentScore, KV<String, Double>>() {
              @ProcessElement
              public void process(@Element DocumentScore d, OutputReceiver<KV<String, Double>> o) {
                o.output(KV.of(d.id(), d.score()));
              }
            }));
  }

  @Test
  void batchSizeDoesNotChangeScores() {
    List<Document> docs = InferenceTesting.documents(16, 30);
    Pipeline p = TestPipelines.create();
    PCollection<Document> input = oneBundle(p, "Docs", docs);
    AskLlmScore score = AskLlmScore.with(InferenceTesting.encoderDecoder(false)).withTemplate(TEMPLATE);
    PCollection<DocumentScore> alone =
        input.apply("Batch1", score.withMaxBatchSize(1)).get(AskLlmScore.SCORES);
    PCollection<DocumentScore> batched =
        input.apply("Batch8", score.withMaxBatchSize(8)).get(AskLlmScore.SCORES);
    TupleTag<Double> a = new TupleTag<>("alone");
    TupleTag<Double> b = new TupleTag<>("batched");
    PCollection<String> differences =
        KeyedPCollectionTuple.of(a, byId("AloneById", alone))
            .and(b, byId("BatchedById", batched))
            .apply(CoGroupByKey.create())
            .apply(ParDo.of(new CompareFn(a, b)));
    PAssert.that(differences).empty();
    PAssert.thatSingleton(alone.apply("CountAlone", org.apache.beam.sdk.transforms.Count.globally()))
        .isEqualTo(16L);
    PipelineResult result = p.run();
    TestPipelines.await(result);
    DistributionResult one = distribution(result, AskLlmScore.class, "batchSize", "Batch1");
    DistributionResult eight = distribution(result, AskLlmScore.class, "batchSize", "Batch8");
    assertEquals(1, one.getMax());
    assertEquals(16, one.getCount());
    assertEquals(8, eight.getMax(), "the batched branch must really batch: " + eight);
    assertEquals(2, eight.getCount());
  }

  @Test
  void aFailingDocumentBecomesADeadLetterWhileTheRestOfItsBatchIsScored() {
    List<Document> docs = new ArrayList<>(DOCS.subList(0, 4));
    // 70 words + 7 prompt tokens run past the fixture's 64 positions: ONNX Runtime fails.
    docs.add(Document.of("too-long", words(70, 3), "t#bad"));
    ModelConfig config = InferenceTesting.causal();
    Map<String, Double> expected = new HashMap<>();
    try (LoadedModel model = LoadedModel.load(config)) {
      AskLlmScorer direct = new AskLlmScorer(model, AskLlmOptions.defaults().withTemplate(TEMPLATE));
      for (Document d : docs.subList(0, 4)) {
        expected.put(d.id(), direct.score(List.of(d.text())).scores()[0]);
      }
    }
    Pipeline p = TestPipelines.create();
    PCollectionTuple out =
        oneBundle(p, "Docs", docs)
            .apply("Score", AskLlmScore.with(config).withTemplate(TEMPLATE).withMaxBatchSize(8));
    assertScores(out.get(AskLlmScore.SCORES), expected);
    PAssert.that(out.get(AskLlmScore.DEAD_LETTERS))
        .satisfies(
            letters -> {
              List<DeadLetter> all = new ArrayList<>();
              letters.forEach(all::add);
              assertEquals(1, all.size(), all.toString());
              DeadLetter d = all.get(0);
              assertEquals(DeadLetter.Reason.INFERENCE_FAILED, d.reason());
              assertEquals("t#bad", d.source());
              assertEquals(words(70, 3), d.payload());
              assertTrue(d.detail().contains("'too-long'"), d.detail());
              assertTrue(d.detail().contains("AskLlmScore"), d.detail());
              return null;
            });
    PipelineResult result = p.run();
    TestPipelines.await(result);
    // One batch of five failed, then the bad document alone: two failed model calls.
    assertEquals(2, counter(result, AskLlmScore.class, "failedBatches", null));
    assertEquals(4, counter(result, AskLlmScore.class, "batches", null));
    assertEquals(1, counter(result, AskLlmScore.class, "deadLetters", null));
    assertEquals(4, counter(result, AskLlmScore.class, "results", null));
    assertEquals(5, counter(result, AskLlmScore.class, "documents", null));
  }

  @Test
  void aMissingModelFileFailsAtStartNamingTheFile() {
    ModelConfig missing =
        ModelConfig.encoderDecoder(
                ModelLocation.of("/nonexistent/flan-t5/encoder_model.onnx"),
                ModelLocation.of("/nonexistent/flan-t5/decoder_model.onnx"),
                Fixtures.tokenizer(Fixtures.Frame.T5));
    Pipeline p = TestPipelines.create();
    oneBundle(p, "Docs", DOCS).apply("Score", AskLlmScore.with(missing));
    Exception e = assertThrows(Exception.class, () -> TestPipelines.run(p));
    String m = messages(e);
    assertTrue(m.contains("/nonexistent/flan-t5/encoder_model.onnx"), m);
    assertTrue(m.contains("AskLlmScore cannot load its model"), m);
  }

  @Test
  void aModelWithTheWrongInputsFailsAtStartNamingThem() {
    // An embedding model (with token_type_ids) posing as a causal LM.
    ModelConfig wrong =
        ModelConfig.causalLm(
            ModelLocation.ofBytes("not-an-lm.onnx", Fixtures.embeddingModel(true)),
            Fixtures.tokenizer(Fixtures.Frame.BOS));
    Pipeline p = TestPipelines.create();
    oneBundle(p, "Docs", DOCS).apply("Score", AskLlmScore.with(wrong));
    Exception e = assertThrows(Exception.class, () -> TestPipelines.run(p));
    String m = messages(e);
    assertTrue(m.contains("not-an-lm.onnx") && m.contains("'token_type_ids'"), m);
  }

  @Test
  void withMethodsValidateAndNameTheParameter() {
    AskLlmScore s = AskLlmScore.with(InferenceTesting.encoderDecoder(false));
    assertMessage(() -> s.withMaxBatchSize(0), "maxBatchSize", "got: 0");
    assertMessage(() -> s.withMaxBatchTokens(-5), "maxBatchTokens", "got: -5");
    assertMessage(() -> s.withMaxBufferedDocuments(0), "maxBufferedDocuments", "got: 0");
    assertMessage(() -> s.withMaxBufferingDuration(Duration.ZERO), "maxBufferingDuration", "PT0S");
    assertMessage(() -> s.withTemplate("no placeholder"), "template", "{document}");
    assertMessage(() -> s.withYesNoTokens("yes", "yes"), "yes and no tokens", "yes, yes");
    assertMessage(() -> AskLlmScore.with(InferenceTesting.embedding()), "model", "EMBEDDING");
    Pipeline p = TestPipelines.create();
    PCollection<Document> docs = oneBundle(p, "Docs", DOCS);
    assertMessage(
        () -> docs.apply(s.withMaxBufferedDocuments(4).withMaxBatchSize(8)),
        "maxBufferedDocuments (4)",
        "maxBatchSize (8)");
  }

  static void assertMessage(Runnable r, String... parts) {
    RuntimeException e = assertThrows(RuntimeException.class, r::run);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), e.getMessage() + " lacks " + part);
    }
  }

  @Test
  void displayDataAndMetadataShowTheModelModeAndBatching() {
    ModelConfig config = InferenceTesting.encoderDecoder(true);
    AskLlmScore s = AskLlmScore.with(config).withMode(ScoreMode.YES_NO).withMaxBatchSize(5);
    Map<String, Object> items = new HashMap<>();
    for (DisplayData.Item i : DisplayData.from(s).items()) {
      items.put(i.getKey(), i.getValue());
    }
    assertEquals(config.model().toString(), items.get("modelUri"));
    assertEquals(config.decoder().toString(), items.get("decoderUri"));
    assertEquals(5, ((Number) items.get("maxBatchSize")).intValue());
    assertEquals("YES_NO", items.get("mode"));
    assertEquals("askllm", items.get("scorer"));
    assertEquals(AskLlmOptions.DEFAULT_TEMPLATE, items.get("template"));
    assertEquals("YES_NO", s.metadata().get("mode"));
    assertEquals("askllm", s.metadata().get("stage"));
    assertEquals("auto", s.metadata().get("yesToken"));
    assertEquals(config.name(), s.metadata().get("model"));
  }
}
