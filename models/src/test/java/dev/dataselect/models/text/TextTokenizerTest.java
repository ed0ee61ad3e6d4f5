package dev.dataselect.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.dataselect.models.Fixtures;
import dev.dataselect.models.PaddingSide;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextTokenizerTest {

  private static long id(String t) {
    return Fixtures.id(t);
  }

  @Test
  void framingMatchesTheTokenizersOwnPostProcessor() throws Exception {
    for (Fixtures.Frame frame : Fixtures.Frame.values()) {
      byte[] json = Fixtures.tokenizerJson(frame);
      try (TextTokenizer t = TextTokenizer.fromJson(json, -1);
          HuggingFaceTokenizer raw =
              HuggingFaceTokenizer.newInstance(
                  new ByteArrayInputStream(json), Map.of("padding", "false", "truncation", "false"))) {
        String text = "the cat sat on the mat";
        assertArrayEquals(raw.encode(text, true, false).getIds(), t.encode(text, 100).ids(), "" + frame);
        assertArrayEquals(raw.encode(text, true, false).getIds(), t.encodeWithSpecialTokens(text));
      }
    }
  }

  @Test
  void truncationKeepsTheSpecialTokens() throws Exception {
    try (TextTokenizer t = TextTokenizer.fromJson(Fixtures.tokenizerJson(Fixtures.Frame.WRAPPED), -1)) {
      TextTokenizer.Encoded e = t.encode("the cat sat on the mat", 4);
      assertArrayEquals(new long[] {id("<s>"), id("▁the"), id("▁cat"), id("</s>")}, e.ids());
      assertTrue(e.truncated());
      assertFalse(t.encode("the cat", 4).truncated());
      assertEquals(0, t.padId());
    }
    try (TextTokenizer t = TextTokenizer.fromJson(Fixtures.tokenizerJson(Fixtures.Frame.T5), -1)) {
      assertArrayEquals(
          new long[] {id("▁the"), id("▁cat"), Fixtures.EOS}, t.encode("the cat sat", 3).ids());
      assertEquals(id("▁yes"), t.tokenId("▁yes").getAsLong());
      assertEquals("▁yes", t.token(id("▁yes")));
    }
  }

  @Test
  void paddingGoesToTheLongestRowOnTheChosenSide() {
    List<long[]> rows = List.of(new long[] {5, 6, 7}, new long[] {8});
    TokenBatch right = TokenBatch.pad(rows, 0, PaddingSide.RIGHT);
    assertEquals(3, right.width());
    assertArrayEquals(new long[] {5, 6, 7, 8, 0, 0}, right.ids());
    assertArrayEquals(new long[] {1, 1, 1, 1, 0, 0}, right.attentionMask());
    assertArrayEquals(new long[] {0, 1, 2, 0, 1, 1}, right.positionIds());
    assertEquals(0, right.lastIndex(1));
    TokenBatch left = TokenBatch.pad(rows, 0, PaddingSide.LEFT);
    assertArrayEquals(new long[] {5, 6, 7, 0, 0, 8}, left.ids());
    assertArrayEquals(new long[] {1, 1, 1, 0, 0, 1}, left.attentionMask());
    assertArrayEquals(new long[] {0, 1, 2, 1, 1, 0}, left.positionIds());
    assertEquals(2, left.lastIndex(1));
    assertEquals(2, left.offset(1));
  }

  @Test
  void lengthBucketingRestoresInputOrder() {
    int[] lengths = {5, 1, 4, 1, 9, 2};
    assertArrayEquals(new int[] {1, 3, 5, 2, 0, 4}, LengthBucketing.sortedOrder(lengths));
    StringBuilder calls = new StringBuilder();
    List<String> out =
        LengthBucketing.mapInLengthOrder(
            lengths,
            4,
            chunk -> {
              calls.append(Arrays.toString(chunk));
              return Arrays.stream(chunk).mapToObj(i -> "r" + i).toList();
            });
    assertEquals(List.of("r0", "r1", "r2", "r3", "r4", "r5"), out);
    assertEquals("[1, 3, 5, 2][0, 4]", calls.toString());
  }
}
