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
 * The perplexity-filter baseline: mean token negative log-likelihood of each document under a
 * causal LM ({@link ModelKind#CAUSAL_LM}). A document is {@code [leading specials, e.g. BOS]} plus
 * its first tokens within the budget; every token after the first is predicted from the ones
 * before it. Trailing special tokens (an EOS some tokenizers append) are not scored, since a
 * truncated document does not end there. The LM head runs only at the positions that predict a
 * token (each row's real positions but its last) where the graph allows the rewrite ({@link
 * dev.dataselect.models.LogitPositions}); the logits land in an off-heap buffer that is read row by
 * row in place, with no second copy on the Java heap. Thread-safe.
 */
public final class PerplexityScorer {
  private final LoadedModel model;
  private final ModelConfig config;
  private final LmRunner runner;
  private final long[] leading;
  private final int budget;

  public PerplexityScorer(LoadedModel model) {
    if (model.config().kind() != ModelKind.CAUSAL_LM) {
      throw new IllegalArgumentException(
          "PerplexityScorer needs a CAUSAL_LM model, got " + model.config().kind() + " for "
              + model.config().name());
    }
    this.model = model;
    this.config = model.config();
    this.runner = new LmRunner(model);
    this.leading = model.tokenizer().leadingSpecialIds();
    this.budget = config.maxTokens() - leading.length;
  }

  /** The exact ids fed to the model for {@code document}. */
  public long[] inputIds(String document) {
    return frame(model.tokenizer().encodeContent(document, budget).ids());
  }

  /**
   * The document's tokens as the scorer uses them (truncated, without the leading special tokens).
   * With {@link #scoreEncoded}, callers that batch by token count tokenize once.
   */
  public TextTokenizer.Encoded encodeDocument(String document) {
    return model.tokenizer().encodeContent(document, budget);
  }

  /** Tokens fed to the model for a document made by {@link #encodeDocument}. */
  public int inputTokens(TextTokenizer.Encoded document) {
    return leading.length + document.length();
  }

  /** Scores documents made by {@link #encodeDocument} as one padded batch, in input order. */
  public PerplexityScores scoreEncoded(List<TextTokenizer.Encoded> documents) {
    if (documents.isEmpty()) {
      throw new IllegalArgumentException("documents must be non-empty");
    }
    return result(documents, scoreBatch(documents));
  }

  /** Scores {@code documents} as one padded batch. */
  public PerplexityScores score(List<String> documents) {
    List<TextTokenizer.Encoded> docs = encode(documents);
    List<double[]> rows = scoreBatch(docs);
    return result(docs, rows);
  }

  /** Scores in length-sorted batches of at most {@code maxBatchSize}; results in input order. */
  public PerplexityScores score(List<String> documents, int maxBatchSize) {
    List<TextTokenizer.Encoded> docs = encode(documents);
    int[] lengths = docs.stream().mapToInt(TextTokenizer.Encoded::length).toArray();
    List<double[]> rows =
        LengthBucketing.mapInLengthOrder(
            lengths,
            maxBatchSize,
            chunk -> {
              List<TextTokenizer.Encoded> part = new ArrayList<>(chunk.length);
              for (int i : chunk) {
                part.add(docs.get(i));
              }
              return scoreBatch(part);
            });
    return result(docs, rows);
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

  /** Per document: {mean NLL, predicted tokens}. */
  private List<double[]> scoreBatch(List<TextTokenizer.Encoded> docs) {
    List<long[]> inputs = new ArrayList<>(docs.size());
    for (TextTokenizer.Encoded d : docs) {
      inputs.add(frame(d.ids()));
    }
    TokenBatch batch = TokenBatch.pad(inputs, model.tokenizer().padId(), config.paddingSide());
    // Logits where a next token is predicted: the first n - 1 real positions of each row (padded
    // with repeats to the longest), so the head skips each row's last position and the pads.
    int perRow = 1;
    for (int r = 0; r < batch.rows(); r++) {
      perRow = Math.max(perRow, batch.length(r) - 1);
    }
    long[] positions = new long[batch.rows() * perRow];
    for (int r = 0; r < batch.rows(); r++) {
      int last = Math.max(batch.length(r) - 2, 0);
      for (int j = 0; j < perRow; j++) {
        positions[r * perRow + j] = batch.offset(r) + Math.min(j, last);
      }
    }
    Logits logits = runner.causal(batch, positions, perRow);
    boolean selected = runner.logitPositions();
    List<double[]> out = new ArrayList<>(docs.size());
    for (int r = 0; r < batch.rows(); r++) {
      int start = batch.offset(r);
      int n = batch.length(r);
      double sum = 0;
      for (int t = 1; t < n; t++) {
        int at = selected ? t - 1 : start + t - 1;
        sum -= logits.logProb(r, at, batch.id(r, start + t));
      }
      int predicted = Math.max(n - 1, 0);
      out.add(new double[] {predicted == 0 ? Double.NaN : sum / predicted, predicted});
    }
    return out;
  }

  private PerplexityScores result(List<TextTokenizer.Encoded> docs, List<double[]> rows) {
    int n = docs.size();
    double[] nll = new double[n];
    int[] predicted = new int[n];
    boolean[] truncated = new boolean[n];
    for (int i = 0; i < n; i++) {
      nll[i] = rows.get(i)[0];
      predicted[i] = (int) rows.get(i)[1];
      truncated[i] = docs.get(i).truncated();
    }
    return new PerplexityScores(nll, predicted, truncated);
  }

  private long[] frame(long[] content) {
    long[] out = new long[leading.length + content.length];
    System.arraycopy(leading, 0, out, 0, leading.length);
    System.arraycopy(content, 0, out, leading.length, content.length);
    return out;
  }
}
