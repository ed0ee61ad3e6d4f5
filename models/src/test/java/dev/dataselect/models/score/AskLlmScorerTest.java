package dev.dataselect.models.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.PaddingSide;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AskLlmScorerTest {
  /** A template whose words are all in the fixture vocabulary. */
  private static final String TEMPLATE = "### {document} ### the yes no";

  private static final List<String> DOCS =
      List.of("the cat sat on the mat", "a dog ran", "the big red ball", "cat");

  private static LoadedModel seq2seq;
  private static LoadedModel merged;

  private static ModelConfig encoderDecoder(boolean mergedDecoder) {
    byte[] decoder = mergedDecoder ? Fixtures.mergedDecoderModel() : Fixtures.decoderModel();
    return ModelConfig.encoderDecoder(
            ModelLocation.ofPath(Fixtures.write("encoder_model.onnx", Fixtures.encoderModel())),
            ModelLocation.ofPath(
                Fixtures.write(
                    mergedDecoder ? "decoder_model_merged.onnx" : "decoder_model.onnx", decoder)),
            Fixtures.tokenizer(Fixtures.Frame.T5))
        .withIntraOpThreads(1);
  }

  @BeforeAll
  static void load() {
    seq2seq = LoadedModel.load(encoderDecoder(false));
    merged = LoadedModel.load(encoderDecoder(true));
  }

  @AfterAll
  static void close() {
    seq2seq.close();
    merged.close();
  }

  private static double[] logs(double[] p) {
    return Arrays.stream(p).map(Math::log).toArray();
  }

  private static long[] words(String text) {
    return Arrays.stream(text.split(" ")).mapToLong(w -> Fixtures.id("▁" + w)).toArray();
  }

  /** The ids the scorer should feed for {@code doc} under TEMPLATE with a T5 tokenizer. */
  private static long[] expectedIds(String doc) {
    long[] d = words(doc);
    long[] head = words("###");
    long[] tail = words("### the yes no");
    long[] out = new long[head.length + d.length + tail.length + 1];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(d, 0, out, head.length, d.length);
    System.arraycopy(tail, 0, out, head.length + d.length, tail.length);
    out[out.length - 1] = Fixtures.EOS;
    return out;
  }

  @Test
  void fullVocabularyScoreIsTheSoftmaxOfTheFixtureLogits() {
    AskLlmScorer scorer = new AskLlmScorer(seq2seq, AskLlmOptions.defaults().withTemplate(TEMPLATE));
    AskLlmScores scores = scorer.score(DOCS);
    assertEquals(ScoreMode.FULL_VOCABULARY, scores.mode());
    assertEquals(new YesNoTokens(Fixtures.id("▁yes"), "▁yes", Fixtures.id("▁no"), "▁no"),
        scores.tokens());
    for (int i = 0; i < DOCS.size(); i++) {
      assertArrayEquals(expectedIds(DOCS.get(i)), scorer.inputIds(DOCS.get(i)));
      double[] logits = Fixtures.decoderLogits(expectedIds(DOCS.get(i)), 0);
      double expected = logits[(int) Fixtures.id("▁yes")] - Fixtures.logSumExp(logits);
      assertEquals(expected, Math.log(scores.scores()[i]), 1e-5, DOCS.get(i));
    }
  }

  @Test
  void yesNoScoreIsTheTwoWaySoftmax() {
    AskLlmScorer scorer =
        new AskLlmScorer(
            seq2seq, AskLlmOptions.defaults().withTemplate(TEMPLATE).withMode(ScoreMode.YES_NO));
    AskLlmScores scores = scorer.score(DOCS);
    assertEquals(ScoreMode.YES_NO, scores.mode());
    for (int i = 0; i < DOCS.size(); i++) {
      double[] l = Fixtures.decoderLogits(expectedIds(DOCS.get(i)), 0);
      double yes = l[(int) Fixtures.id("▁yes")];
      double no = l[(int) Fixtures.id("▁no")];
      double expected = Math.exp(yes) / (Math.exp(yes) + Math.exp(no));
      assertEquals(Math.log(expected), Math.log(scores.scores()[i]), 1e-5, DOCS.get(i));
    }
  }

  @Test
  void namedYesNoTokensAreUsedAndReported() {
    AskLlmScorer scorer =
        new AskLlmScorer(
            seq2seq,
            AskLlmOptions.defaults().withTemplate(TEMPLATE).withYesNoTokens("yes", "no"));
    AskLlmScores scores = scorer.score(DOCS.subList(0, 1));
    assertEquals(Fixtures.id("yes"), scores.tokens().yesId());
    double[] l = Fixtures.decoderLogits(expectedIds(DOCS.get(0)), 0);
    assertEquals(
        l[(int) Fixtures.id("yes")] - Fixtures.logSumExp(l), Math.log(scores.scores()[0]), 1e-5);
  }

  @Test
  void thePromptIsNeverTruncatedButTheDocumentIs() {
    // Prompt: "###" + "### the yes no" + </s> = 6 tokens; 9 leaves 3 for the document.
    try (LoadedModel small = LoadedModel.load(encoderDecoder(false).withMaxTokens(9))) {
      AskLlmScorer scorer = new AskLlmScorer(small, AskLlmOptions.defaults().withTemplate(TEMPLATE));
      assertEquals(6, scorer.promptTokens());
      assertEquals(3, scorer.documentTokenBudget());
      long[] ids = scorer.inputIds("the cat sat on the mat");
      assertArrayEquals(expectedIds("the cat sat"), ids);
      assertEquals(Fixtures.EOS, ids[ids.length - 1]);
      AskLlmScores scores = scorer.score(List.of("the cat sat on the mat", "a dog"));
      assertTrue(scores.truncated()[0]);
      assertFalse(scores.truncated()[1]);
      assertArrayEquals(new int[] {3, 2}, scores.documentTokens());
      assertArrayEquals(new int[] {9, 8}, scores.inputTokens());
      double[] l = Fixtures.decoderLogits(expectedIds("the cat sat"), 0);
      assertEquals(
          l[(int) Fixtures.id("▁yes")] - Fixtures.logSumExp(l), Math.log(scores.scores()[0]), 1e-5);
    }
    try (LoadedModel tiny = LoadedModel.load(encoderDecoder(false).withMaxTokens(6))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> new AskLlmScorer(tiny, AskLlmOptions.defaults().withTemplate(TEMPLATE)));
      assertTrue(e.getMessage().contains("maxTokens=6"), e.getMessage());
    }
  }

  @Test
  void theDefaultTemplateIsThePapersPrompt() {
    AskLlmScorer scorer = new AskLlmScorer(seq2seq, AskLlmOptions.defaults());
    assertTrue(AskLlmOptions.DEFAULT_TEMPLATE.startsWith("###\n{document}\n###\nDoes the previous"));
    assertTrue(AskLlmOptions.DEFAULT_TEMPLATE.endsWith("OPTIONS:\n- yes\n- no"));
    long[] ids = scorer.inputIds("the cat");
    assertEquals(Fixtures.EOS, ids[ids.length - 1]);
    assertEquals(scorer.promptTokens() + 2, ids.length);
  }

  @Test
  void mergedAndPlainDecodersGiveTheSameScores() {
    AskLlmOptions options = AskLlmOptions.defaults().withTemplate(TEMPLATE);
    double[] plain = new AskLlmScorer(seq2seq, options).score(DOCS).scores();
    double[] fromMerged = new AskLlmScorer(merged, options).score(DOCS).scores();
    assertArrayEquals(logs(plain), logs(fromMerged), 1e-6);
    for (int i = 0; i < DOCS.size(); i++) {
      double[] l = Fixtures.decoderLogits(expectedIds(DOCS.get(i)), 0);
      assertEquals(
          l[(int) Fixtures.id("▁yes")] - Fixtures.logSumExp(l), Math.log(fromMerged[i]), 1e-5);
    }
  }

  @Test
  void scoresAreTheSameAloneAndInBatches() {
    AskLlmScorer scorer = new AskLlmScorer(seq2seq, AskLlmOptions.defaults().withTemplate(TEMPLATE));
    double[] batch = scorer.score(DOCS).scores();
    double[] bucketed = scorer.score(DOCS, 2).scores();
    for (int i = 0; i < DOCS.size(); i++) {
      double alone = Math.log(scorer.score(List.of(DOCS.get(i))).scores()[0]);
      assertEquals(alone, Math.log(batch[i]), 1e-6);
      assertEquals(alone, Math.log(bucketed[i]), 1e-6);
    }
  }

  @Test
  void preTokenizedScoringEqualsTextScoring() {
    AskLlmScorer scorer = new AskLlmScorer(seq2seq, AskLlmOptions.defaults().withTemplate(TEMPLATE));
    List<dev.dataselect.models.text.TextTokenizer.Encoded> encoded =
        DOCS.stream().map(scorer::encodeDocument).toList();
    AskLlmScores fromText = scorer.score(DOCS);
    AskLlmScores fromIds = scorer.scoreEncoded(encoded);
    assertArrayEquals(fromText.scores(), fromIds.scores(), 0.0);
    assertArrayEquals(fromText.inputTokens(), fromIds.inputTokens());
    for (int i = 0; i < DOCS.size(); i++) {
      assertEquals(scorer.inputIds(DOCS.get(i)).length, fromIds.inputTokens()[i]);
    }
    assertThrows(IllegalArgumentException.class, () -> scorer.scoreEncoded(List.of()));
  }

  // ------------------------------------------------------------------ decoder-only

  private static ModelConfig causal(boolean positionIds, boolean past, PaddingSide side) {
    return ModelConfig.causalLm(
            ModelLocation.ofBytes("lm-" + positionIds + past, Fixtures.causalModel(positionIds, past)),
            Fixtures.tokenizer(Fixtures.Frame.BOS))
        .withPaddingSide(side)
        .withIntraOpThreads(1);
  }

  @Test
  void decoderOnlyScoresTheLastRealPositionUnderEitherPadding() {
    AskLlmOptions options = AskLlmOptions.defaults().withTemplate(TEMPLATE);
    // Without past inputs the graph is rewritten to run its head at the last position only
    // (LogitPositions); with them (an Add of the past tensors after the head) it is not, and the
    // logits at every position are read: both must give the reference scores.
    for (boolean past : new boolean[] {true, false})
    for (boolean positionIds : new boolean[] {true, false}) {
      double[] previous = null;
      for (PaddingSide side : PaddingSide.values()) {
        try (LoadedModel lm = LoadedModel.load(causal(positionIds, past, side))) {
          assertEquals(!past, lm.logitPositions(), lm.logitsNote());
          AskLlmScorer scorer = new AskLlmScorer(lm, options);
          long[] first = scorer.inputIds(DOCS.get(0));
          assertEquals(Fixtures.BOS, first[0]);
          AskLlmScores scores = scorer.score(DOCS);
          for (int i = 0; i < DOCS.size(); i++) {
            long[] ids = scorer.inputIds(DOCS.get(i));
            // The prompt ends with "no": the last real token, at position length - 1.
            double[] l = Fixtures.causalLogits(ids[ids.length - 1], ids.length - 1, positionIds);
            double expected = l[(int) Fixtures.id("▁yes")] - Fixtures.logSumExp(l);
            assertEquals(expected, Math.log(scores.scores()[i]), 1e-5, side + " " + DOCS.get(i));
          }
          if (previous != null) {
            assertArrayEquals(previous, logs(scores.scores()), 1e-6);
          }
          previous = logs(scores.scores());
        }
      }
    }
  }

  @Test
  void aPadPositionWouldGiveADifferentScore() {
    // Guards the test above: the logits at a pad differ from those at the last real token.
    double[] real = Fixtures.causalLogits(Fixtures.id("▁no"), 9, true);
    double[] pad = Fixtures.causalLogits(Fixtures.PAD, 1, true);
    assertNotEquals(
        real[(int) Fixtures.id("▁yes")] - Fixtures.logSumExp(real),
        pad[(int) Fixtures.id("▁yes")] - Fixtures.logSumExp(pad),
        1e-3);
  }
}
