package dev.dataselect.models.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A Hugging Face {@code tokenizer.json} (through DJL's {@link HuggingFaceTokenizer}) with the
 * file's own truncation and padding switched off: this class truncates to a token budget and
 * {@link TokenBatch} pads each batch to its longest row.
 *
 * <p>Truncation keeps the special tokens the post-processor adds (BERT's {@code [CLS] ... [SEP]},
 * T5's trailing {@code </s>}, a leading BOS): they are found once by encoding a probe with and
 * without special tokens, and every input is encoded without them, cut to the budget, and framed.
 * Thread-safe.
 */
public final class TextTokenizer implements AutoCloseable {

  /**
   * Inputs are cut to {@code budget * MAX_CHARS_PER_TOKEN} characters before tokenizing, so a huge
   * document costs no more than a long one. No vocabulary in use has tokens this long, so the cut
   * never shortens what fits in the budget in practice.
   */
  public static final int MAX_CHARS_PER_TOKEN = 64;

  private static final String PROBE = "yes";

  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Long> vocabulary;
  private final Map<Long, String> tokensById;
  private final long padId;
  private final long[] leading;
  private final long[] trailing;

  private TextTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Long> vocabulary, long padId) {
    this.tokenizer = tokenizer;
    this.vocabulary = Collections.unmodifiableMap(vocabulary);
    Map<Long, String> byId = new HashMap<>();
    vocabulary.forEach((token, id) -> byId.putIfAbsent(id, token));
    this.tokensById = byId;
    this.padId = padId;
    long[] content = tokenizer.encode(PROBE, false, false).getIds();
    long[] full = tokenizer.encode(PROBE, true, false).getIds();
    int at = indexOf(full, content);
    if (at < 0) {
      throw new IllegalArgumentException(
          "Cannot locate the special tokens of this tokenizer: '"
              + PROBE
              + "' encodes to "
              + Arrays.toString(content)
              + " without them and "
              + Arrays.toString(full)
              + " with them");
    }
    this.leading = Arrays.copyOfRange(full, 0, at);
    this.trailing = Arrays.copyOfRange(full, at + content.length, full.length);
  }

  /**
   * Loads a {@code tokenizer.json}.
   *
   * @param padIdOverride the pad id to use, or a negative value to take {@code padding.pad_id}
   *     from the file (else 0)
   */
  public static TextTokenizer fromJson(byte[] json, long padIdOverride) throws IOException {
    JsonObject root;
    try (InputStreamReader reader =
        new InputStreamReader(new ByteArrayInputStream(json), StandardCharsets.UTF_8)) {
      root = JsonParser.parseReader(reader).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IOException("Not a tokenizer.json: " + e.getMessage(), e);
    }
    Map<String, Long> vocabulary = readVocabulary(root);
    long padId = padIdOverride >= 0 ? padIdOverride : readPadId(root);
    Map<String, String> options = new HashMap<>();
    options.put("addSpecialTokens", "true");
    options.put("truncation", "false");
    options.put("padding", "false");
    HuggingFaceTokenizer tokenizer =
        HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
    try {
      return new TextTokenizer(tokenizer, vocabulary, padId);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** Token ids of {@code text} without special tokens and without truncation. */
  public long[] encodeContent(String text) {
    return tokenizer.encode(text, false, false).getIds();
  }

  /** Token ids as the tokenizer's own post-processor frames them, without truncation. */
  public long[] encodeWithSpecialTokens(String text) {
    Encoding e = tokenizer.encode(text, true, false);
    return e.getIds();
  }

  /** {@code text} framed by the special tokens and truncated to {@code maxTokens} in all. */
  public Encoded encode(String text, int maxTokens) {
    int budget = maxTokens - leading.length - trailing.length;
    if (budget < 0) {
      throw new IllegalArgumentException(
          "maxTokens must leave room for the " + specialTokenCount() + " special tokens, got: "
              + maxTokens);
    }
    Encoded content = encodeContent(text, budget);
    long[] ids = new long[leading.length + content.ids().length + trailing.length];
    System.arraycopy(leading, 0, ids, 0, leading.length);
    System.arraycopy(content.ids(), 0, ids, leading.length, content.ids().length);
    System.arraycopy(trailing, 0, ids, leading.length + content.ids().length, trailing.length);
    return new Encoded(ids, content.truncated());
  }

  /** {@code text} without special tokens, truncated to its first {@code budget} tokens. */
  public Encoded encodeContent(String text, int budget) {
    if (budget < 0) {
      throw new IllegalArgumentException("budget must be >= 0, got: " + budget);
    }
    long maxChars = (long) budget * MAX_CHARS_PER_TOKEN;
    boolean cut = false;
    if (text.length() > maxChars) {
      int end = (int) maxChars;
      if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
        end--;
      }
      text = text.substring(0, end);
      cut = true;
    }
    long[] ids = budget == 0 || text.isEmpty() ? new long[0] : encodeContent(text);
    if (ids.length > budget) {
      return new Encoded(Arrays.copyOf(ids, budget), true);
    }
    return new Encoded(ids, cut);
  }

  /** Special tokens the post-processor puts before a single sequence (e.g. BOS, [CLS]). */
  public long[] leadingSpecialIds() {
    return leading.clone();
  }

  /** Special tokens the post-processor puts after a single sequence (e.g. T5's </s>, [SEP]). */
  public long[] trailingSpecialIds() {
    return trailing.clone();
  }

  public int specialTokenCount() {
    return leading.length + trailing.length;
  }

  /** The pad id used by {@link TokenBatch}. */
  public long padId() {
    return padId;
  }

  /** The id of a vocabulary entry (model vocabulary or added token), if present. */
  public OptionalLong tokenId(String token) {
    Long id = vocabulary.get(token);
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  /** The vocabulary entry for an id, or null. */
  public String token(long id) {
    return tokensById.get(id);
  }

  /** Vocabulary entries (model vocabulary plus added tokens). */
  public int vocabularySize() {
    return tokensById.size();
  }

  /** Decodes ids to text (special tokens skipped). */
  public String decode(long[] ids) {
    return tokenizer.decode(ids, true);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /** Token ids and whether the text was cut to fit. */
  public record Encoded(long[] ids, boolean truncated) {
    public int length() {
      return ids.length;
    }
  }

  private static Map<String, Long> readVocabulary(JsonObject root) throws IOException {
    Map<String, Long> vocabulary = new HashMap<>();
    JsonElement model = root.get("model");
    if (model != null && model.isJsonObject()) {
      JsonElement vocab = model.getAsJsonObject().get("vocab");
      if (vocab != null && vocab.isJsonObject()) {
        // WordLevel, WordPiece, BPE: {"token": id}
        for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
          vocabulary.put(e.getKey(), e.getValue().getAsLong());
        }
      } else if (vocab != null && vocab.isJsonArray()) {
        // Unigram (T5, sentencepiece): [["token", score], ...], id = index
        JsonArray pieces = vocab.getAsJsonArray();
        for (int i = 0; i < pieces.size(); i++) {
          vocabulary.putIfAbsent(pieces.get(i).getAsJsonArray().get(0).getAsString(), (long) i);
        }
      }
    }
    JsonElement added = root.get("added_tokens");
    if (added != null && added.isJsonArray()) {
      for (JsonElement t : added.getAsJsonArray()) {
        JsonObject o = t.getAsJsonObject();
        vocabulary.put(o.get("content").getAsString(), o.get("id").getAsLong());
      }
    }
    if (vocabulary.isEmpty()) {
      throw new IOException("tokenizer.json has no model.vocab and no added_tokens");
    }
    return vocabulary;
  }

  private static long readPadId(JsonObject root) {
    JsonElement padding = root.get("padding");
    if (padding != null && padding.isJsonObject()) {
      JsonElement id = padding.getAsJsonObject().get("pad_id");
      if (id != null && id.isJsonPrimitive()) {
        return id.getAsLong();
      }
    }
    return 0;
  }

  private static int indexOf(long[] haystack, long[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
