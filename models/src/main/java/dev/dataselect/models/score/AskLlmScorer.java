package dev.dataselect.models.score;

import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelKind;
import dev.dataselect.models.text.LengthBucketing;
import dev.dataselect.models.text.TextTokenizer;
import dev.dataselect.models.text.TokenBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * ASK-LLM (Sachdeva et al. 2024): the probability that an instruction-tuned model answers "yes"
 * when asked whether a document is worth pre-training on.
 *
 * <p>The prompt template is split at {@code {document}}; its two parts are tokenized once, the
 * document separately, and the ids are spliced as {@code [leading specials] prefix document suffix
 * [trailing specials]} (e.g. T5's {@code </s>} stays last). Only the document is truncated, so the
 * prompt always reaches the model whole. Tokenizing the parts separately can differ from
 * tokenizing the joined string at the two seams; a SentencePiece tokenizer's bare "▁" before the
 * document is dropped, which makes Flan-T5's ids equal those of the whole prompt.
 *
 * <p>Layouts: an encoder-decoder (one encoder pass, one decoder step from the decoder start token;
 * plain or merged decoder), or a causal LM (logits at the last real prompt token, left or right
 * padded). A causal LM's graph is rewritten at load time ({@link
 * dev.dataselect.models.LogitPositions}) so that its LM head runs at the scored position only: a
 * batch returns {@code rows x vocabulary} logits. Where the graph's shape does not allow the
 * rewrite (the load logs why, {@link LoadedModel#logitsNote()}), the export's logits at every
 * position are read, {@code rows x width x vocabulary} floats: keep batches small for large
 * vocabularies then. Either way ONNX Runtime writes a causal LM's logits straight into an off-heap buffer read in
 * place (when the export declares the vocabulary size), not copied a second time onto the Java
 * heap. Thread-safe; cheap to create over a shared model.
 */
public final class AskLlmScorer {
  private final LoadedModel model;
  private final ModelConfig config;
  private final AskLlmOptions options;
  private final LmRunner runner;
  private final YesNoTokens tokens;
  private final long[] head;
  private final long[] tail;
  private final int documentBudget;

  public AskLlmScorer(LoadedModel model, AskLlmOptions options) {
    this.model = model;
    this.config = model.config();
    this.options = options;
    this.runner = new LmRunner(model);
    TextTokenizer tokenizer = model.tokenizer();
    this.tokens = YesNoTokens.resolve(tokenizer, options.yesToken(), options.noToken());
    this.head = concat(tokenizer.leadingSpecialIds(), encodePrefix(tokenizer, options.prefix()));
    this.tail = concat(encodePart(tokenizer, options.suffix()), tokenizer.trailingSpecialIds());
    this.documentBudget = config.maxTokens() - head.length - tail.length;
    if (documentBudget < 1) {
      throw new IllegalArgumentException(
          "The prompt takes "
              + (head.length + tail.length)
              + " tokens, which leaves no room for the document within maxTokens="
              + config.maxTokens()
              + " of "
              + config.name());
    }
  }

  /** The yes/no entries scored. */
  public YesNoTokens yesNoTokens() {
    return tokens;
  }

  public ScoreMode mode() {
    return options.mode();
  }

  public AskLlmOptions options() {
    return options;
  }

  /** Document tokens that fit beside the prompt. */
  public int documentTokenBudget() {
    return documentBudget;
  }

  /** Prompt tokens (special tokens included) around every document. */
  public int promptTokens() {
    return head.length + tail.length;
  }

  /** The exact ids fed to the model for {@code document}. */
  public long[] inputIds(String document) {
    return assemble(model.tokenizer().encodeContent(document, documentBudget).ids());
  }

  /**
   * The document's tokens as the scorer uses them: truncated to {@link #documentTokenBudget()},
   * without the prompt. With {@link #scoreEncoded}, callers that batch by token count tokenize once.
   */
  public TextTokenizer.Encoded encodeDocument(String document) {
    return model.tokenizer().encodeContent(document, documentBudget);
  }

  /** Scores documents made by {@link #encodeDocument} as one padded batch, in input order. */
  public AskLlmScores scoreEncoded(List<TextTokenizer.Encoded> documents) {
    if (documents.isEmpty()) {
      throw new IllegalArgumentException("documents must be non-empty");
    }
    return result(documents, scoreBatch(documents));
  }

  /** Scores {@code documents} as one padded batch. */
  public AskLlmScores score(List<String> documents) {
    List<TextTokenizer.Encoded> docs = encode(documents);
    double[] scores = scoreBatch(docs);
    return result(docs, scores);
  }

  /** Scores in length-sorted batches of at most {@code maxBatchSize}; results in input order. */
  public AskLlmScores score(List<String> documents, int maxBatchSize) {
    List<TextTokenizer.Encoded> docs = encode(documents);
    int[] lengths = docs.stream().mapToInt(TextTokenizer.Encoded::length).toArray();
    List<Double> out =
        LengthBucketing.mapInLengthOrder(
            lengths,
            maxBatchSize,
            chunk -> {
              List<TextTokenizer.Encoded> rows = new ArrayList<>(chunk.length);
              for (int i : chunk) {
                rows.add(docs.get(i));
              }
              List<Double> s = new ArrayList<>(chunk.length);
              for (double v : scoreBatch(rows)) {
                s.add(v);
              }
              return s;
            });
    return result(docs, out.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private List<TextTokenizer.Encoded> encode(List<String> documents) {
    if (documents.isEmpty()) {
      throw new IllegalArgumentException("documents must be non-empty");
    }
    List<TextTokenizer.Encoded> out = new ArrayList<>(documents.size());
    for (String d : documents) {
      out.add(encodeDocument(d));
    }
    return out;
  }

  private double[] scoreBatch(List<TextTokenizer.Encoded> docs) {
    List<long[]> inputs = new ArrayList<>(docs.size());
    for (TextTokenizer.Encoded d : docs) {
      inputs.add(assemble(d.ids()));
    }
    TokenBatch batch = TokenBatch.pad(inputs, model.tokenizer().padId(), config.paddingSide());
    double[] scores = new double[docs.size()];
    if (config.kind() == ModelKind.ENCODER_DECODER) {
      Logits logits = runner.firstDecoderStep(batch);
      for (int r = 0; r < scores.length; r++) {
        scores[r] = logits.yesProbability(r, 0, tokens, options.mode());
      }
    } else {
      long[] last = new long[batch.rows()];
      for (int r = 0; r < last.length; r++) {
        last[r] = batch.lastIndex(r);
      }
      Logits logits = runner.causal(batch, last, 1);
      boolean lastOnly = runner.logitPositions();
      for (int r = 0; r < scores.length; r++) {
        int at = lastOnly ? 0 : batch.lastIndex(r);
        scores[r] = logits.yesProbability(r, at, tokens, options.mode());
      }
    }
    return scores;
  }

  private AskLlmScores result(List<TextTokenizer.Encoded> docs, double[] scores) {
    int n = docs.size();
    int[] inputTokens = new int[n];
    int[] documentTokens = new int[n];
    boolean[] truncated = new boolean[n];
    for (int i = 0; i < n; i++) {
      documentTokens[i] = docs.get(i).length();
      inputTokens[i] = documentTokens[i] + head.length + tail.length;
      truncated[i] = docs.get(i).truncated();
    }
    return new AskLlmScores(scores, options.mode(), tokens, inputTokens, documentTokens, truncated);
  }

  private long[] assemble(long[] document) {
    return concat(concat(head, document), tail);
  }

  /**
   * The prompt's part before the document. A SentencePiece (Metaspace) tokenizer turns the
   * whitespace that ends it ("###\n") into a bare "▁" token on its own, where the joined prompt
   * has none (the document's first token carries its "▁"): it is dropped, so the ids equal the
   * tokenization of the whole prompt (checked on the real Flan-T5 tokenizer).
   */
  private static long[] encodePrefix(TextTokenizer tokenizer, String prefix) {
    long[] ids = encodePart(tokenizer, prefix);
    if (ids.length > 0
        && !prefix.isEmpty()
        && Character.isWhitespace(prefix.charAt(prefix.length() - 1))
        && "\u2581".equals(tokenizer.token(ids[ids.length - 1]))) {
      return java.util.Arrays.copyOf(ids, ids.length - 1);
    }
    return ids;
  }

  private static long[] encodePart(TextTokenizer tokenizer, String part) {
    return part.isEmpty() ? new long[0] : tokenizer.encodeContent(part);
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = new long[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
