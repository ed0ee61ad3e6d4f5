package dev.dataselect.models.score;

import dev.dataselect.models.text.TextTokenizer;
import java.io.Serializable;
import java.util.List;
import java.util.OptionalLong;

/**
 * The vocabulary entries scored as "yes" and "no".
 *
 * <p>Found deterministically: the first of the variants {@code ▁yes} (sentencepiece: T5, Llama,
 * Gemma), {@code Ġyes} (byte-level BPE: GPT-2, Qwen), {@code yes}, {@code ▁Yes}, {@code ĠYes},
 * {@code Yes} for which both the yes and the no form are in the vocabulary; if no variant has both,
 * the first present form of each. A caller can name the entries instead.
 */
public record YesNoTokens(long yesId, String yesToken, long noId, String noToken)
    implements Serializable {

  private static final List<String> PREFIXES = List.of("▁", "Ġ", "");

  /** The variants tried, in order, for {@code word} ("yes" or "no"). */
  static List<String> variants(String word) {
    String capital = Character.toUpperCase(word.charAt(0)) + word.substring(1);
    List<String> out = new java.util.ArrayList<>();
    for (String w : List.of(word, capital)) {
      for (String p : PREFIXES) {
        out.add(p + w);
      }
    }
    return out;
  }

  /** Resolves the entries in {@code tokenizer}; a non-null override names the entry to use. */
  static YesNoTokens resolve(TextTokenizer tokenizer, String yesOverride, String noOverride) {
    if (yesOverride != null || noOverride != null) {
      String yes = yesOverride != null ? yesOverride : pick(tokenizer, "yes");
      String no = noOverride != null ? noOverride : pick(tokenizer, "no");
      return new YesNoTokens(id(tokenizer, yes), yes, id(tokenizer, no), no);
    }
    List<String> yesVariants = variants("yes");
    List<String> noVariants = variants("no");
    for (int i = 0; i < yesVariants.size(); i++) {
      OptionalLong y = tokenizer.tokenId(yesVariants.get(i));
      OptionalLong n = tokenizer.tokenId(noVariants.get(i));
      if (y.isPresent() && n.isPresent()) {
        return new YesNoTokens(
            y.getAsLong(), yesVariants.get(i), n.getAsLong(), noVariants.get(i));
      }
    }
    String yes = pick(tokenizer, "yes");
    String no = pick(tokenizer, "no");
    return new YesNoTokens(id(tokenizer, yes), yes, id(tokenizer, no), no);
  }

  private static String pick(TextTokenizer tokenizer, String word) {
    for (String v : variants(word)) {
      if (tokenizer.tokenId(v).isPresent()) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "The tokenizer has no single token for '" + word + "' (tried " + variants(word)
            + "); name one with AskLlmOptions.withYesNoTokens");
  }

  private static long id(TextTokenizer tokenizer, String token) {
    return tokenizer
        .tokenId(token)
        .orElseThrow(
            () -> new IllegalArgumentException("The tokenizer has no token '" + token + "'"));
  }
}
