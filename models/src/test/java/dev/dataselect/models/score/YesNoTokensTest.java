package dev.dataselect.models.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.text.TextTokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;

class YesNoTokensTest {
  private static final List<String> SPECIALS = List.of("<pad>", "</s>", "<unk>", "<s>");

  private static YesNoTokens resolve(List<String> words, String yes, String no) throws Exception {
    List<String> vocab = new java.util.ArrayList<>(SPECIALS);
    vocab.addAll(words);
    try (TextTokenizer t =
        TextTokenizer.fromJson(Fixtures.tokenizerJson(Fixtures.Frame.T5, vocab), -1)) {
      return YesNoTokens.resolve(t, yes, no);
    }
  }

  @Test
  void variantsAreTriedInAFixedOrder() {
    assertEquals(
        List.of("▁yes", "Ġyes", "yes", "▁Yes", "ĠYes", "Yes"), YesNoTokens.variants("yes"));
  }

  @Test
  void picksTheFirstVariantPresentForBothWords() throws Exception {
    // Sentencepiece beats byte-level BPE beats bare words.
    assertEquals(
        new YesNoTokens(6, "▁yes", 7, "▁no"),
        resolve(List.of("yes", "no", "▁yes", "▁no", "Ġyes", "Ġno"), null, null));
    assertEquals(
        new YesNoTokens(6, "Ġyes", 7, "Ġno"), resolve(List.of("yes", "no", "Ġyes", "Ġno"), null, null));
    // "▁yes" without "▁no": the first pair present in both is the bare one.
    assertEquals(
        new YesNoTokens(4, "yes", 5, "no"), resolve(List.of("yes", "no", "▁yes"), null, null));
    // No common variant: each word independently.
    assertEquals(
        new YesNoTokens(4, "▁yes", 5, "No"), resolve(List.of("▁yes", "No"), null, null));
  }

  @Test
  void namedTokensWinAndMustExist() throws Exception {
    assertEquals(
        new YesNoTokens(5, "Yes", 6, "▁no"),
        resolve(List.of("▁yes", "Yes", "▁no"), "Yes", "▁no"));
    assertThrows(
        IllegalArgumentException.class, () -> resolve(List.of("▁yes", "▁no"), "YES", "▁no"));
    assertThrows(IllegalArgumentException.class, () -> resolve(List.of("maybe"), null, null));
  }
}
