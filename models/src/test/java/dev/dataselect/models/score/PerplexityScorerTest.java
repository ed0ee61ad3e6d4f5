package dev.dataselect.models.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.PaddingSide;
import java.util.List;
import org.junit.jupiter.api.Test;

class PerplexityScorerTest {
  private static final List<String> DOCS = List.of("the cat sat on the mat", "a dog", "cat", "");

  private static double expectedNll(long[] ids) {
    double sum = 0;
    for (int t = 1; t < ids.length; t++) {
      double[] l = Fixtures.causalLogits(ids[t - 1], t - 1, true);
      sum += Fixtures.logSumExp(l) - l[(int) ids[t]];
    }
    return sum / (ids.length - 1);
  }

  @Test
  void meanNllEqualsAHandComputationUnderEitherPadding() {
    // past = false: the head runs at the predicting positions only (LogitPositions); true: at all.
    for (boolean past : new boolean[] {true, false})
    for (PaddingSide side : PaddingSide.values()) {
      ModelConfig config =
          ModelConfig.causalLm(
                  ModelLocation.ofBytes("lm", Fixtures.causalModel(true, past)),
                  Fixtures.tokenizer(Fixtures.Frame.BOS))
              .withPaddingSide(side)
              .withMaxTokens(5);
      try (LoadedModel lm = LoadedModel.load(config)) {
        assertEquals(!past, lm.logitPositions(), lm.logitsNote());
        PerplexityScorer scorer = new PerplexityScorer(lm);
        PerplexityScores scores = scorer.score(DOCS);
        PerplexityScores bucketed = scorer.score(DOCS, 2);
        assertArrayEquals(new int[] {4, 2, 1, 0}, scores.predictedTokens());
        assertTrue(scores.truncated()[0]);
        assertTrue(Double.isNaN(scores.meanNll()[3]));
        for (int i = 0; i < 3; i++) {
          double expected = expectedNll(scorer.inputIds(DOCS.get(i)));
          assertEquals(expected, scores.meanNll()[i], 1e-5, side + " " + DOCS.get(i));
          assertEquals(expected, bucketed.meanNll()[i], 1e-5);
          assertEquals(
              expected, scorer.score(List.of(DOCS.get(i))).meanNll()[0], 1e-5, "alone " + i);
        }
        assertEquals(Math.exp(scores.meanNll()[0]), scores.perplexity(0), 1e-9);
        PerplexityScores fromIds =
            scorer.scoreEncoded(DOCS.stream().map(scorer::encodeDocument).toList());
        assertArrayEquals(scores.meanNll(), fromIds.meanNll(), 0.0);
        assertEquals(5, scorer.inputTokens(scorer.encodeDocument(DOCS.get(0))));
        assertArrayEquals(
            new long[] {Fixtures.BOS, Fixtures.id("▁the"), Fixtures.id("▁cat"),
              Fixtures.id("▁sat"), Fixtures.id("▁on")},
            scorer.inputIds(DOCS.get(0)));
      }
    }
  }
}
