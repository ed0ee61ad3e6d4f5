package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.DocumentScore;
import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableSortedMap;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelKind;
import dev.dataselect.models.score.PerplexityScorer;
import dev.dataselect.models.text.TextTokenizer;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;

/**
 * Scores documents for the perplexity-filter baseline: the mean token negative log-likelihood
 * (nats) of each document's first tokens under a causal LM (lower = more typical text; keep the
 * lowest). {@code exp(score)} is the perplexity.
 *
 * <p>Returns {@link #SCORES} and {@link #DEAD_LETTERS}; a document with fewer than two tokens has
 * nothing to predict and becomes a dead letter rather than a NaN score. Batching, the per-JVM
 * model, failure isolation and metrics (namespace {@code
 * dev.dataselect.transforms.inference.PerplexityScore}) are described in {@link BatchInference}.
 */
public final class PerplexityScore extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<DocumentScore> SCORES = new TupleTag<>("scores") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};

  /** Default documents per model call. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 8;
  /** Default padded tokens per model call. */
  public static final int DEFAULT_MAX_BATCH_TOKENS = 4_096;

  private final ModelConfig model;
  private final Batching batching;

  private PerplexityScore(ModelConfig model, Batching batching) {
    this.model = model;
    this.batching = batching;
  }

  /** Scores with {@code model}, a {@link ModelKind#CAUSAL_LM} config. */
  public static PerplexityScore with(ModelConfig model) {
    return new PerplexityScore(
        checkModel(model), Batching.of(DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS));
  }

  public PerplexityScore withModel(ModelConfig model) {
    return new PerplexityScore(checkModel(model), batching);
  }

  /**
   * Also routes every dead letter, as a Beam {@code BadRecord}, to {@code handler} (as Beam's own
   * IOs do); {@link #DEAD_LETTERS} still holds them.
   */
  public PerplexityScore withBadRecordErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    return new PerplexityScore(model, batching.withErrorHandler(handler));
  }

  /** Documents per model call, in [1, 65536]; default {@value #DEFAULT_MAX_BATCH_SIZE}. */
  public PerplexityScore withMaxBatchSize(int maxBatchSize) {
    return new PerplexityScore(model, batching.withMaxBatchSize(maxBatchSize));
  }

  /**
   * Padded tokens per model call, in [1, 2^30]; default {@value #DEFAULT_MAX_BATCH_TOKENS}. The
   * logits of a batch take about this many x vocabulary floats.
   */
  public PerplexityScore withMaxBatchTokens(int maxBatchTokens) {
    return new PerplexityScore(model, batching.withMaxBatchTokens(maxBatchTokens));
  }

  /** Documents buffered per window before a length-sorted flush; default 16 x the batch size. */
  public PerplexityScore withMaxBufferedDocuments(int maxBufferedDocuments) {
    return new PerplexityScore(model, batching.withMaxBufferedDocuments(maxBufferedDocuments));
  }

  /** Longest a document waits in the buffer (checked as documents arrive); default 10 s. */
  public PerplexityScore withMaxBufferingDuration(Duration maxBufferingDuration) {
    return new PerplexityScore(model, batching.withMaxBufferingDuration(maxBufferingDuration));
  }

  public ModelConfig model() {
    return model;
  }

  /**
   * What the scores mean, for {@link WriteScores#withMetadata}: {@code stage=perplexity}, {@code
   * score=mean token NLL (nats)}, and the model's name, kind, URIs and max tokens.
   */
  public SortedMap<String, String> metadata() {
    Map<String, String> m = new TreeMap<>(BatchInference.modelMetadata(model));
    m.put("stage", "perplexity");
    m.put("score", "mean token NLL (nats)");
    return ImmutableSortedMap.copyOf(m);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> documents) {
    return BatchInference.apply(
        documents,
        "Score",
        PerplexityScore.class,
        new PerplexityTask(model),
        batching,
        SCORES,
        DocumentScore.DocumentScoreCoder.of(),
        DEAD_LETTERS);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    BatchInference.populateModelDisplayData(model, builder);
    builder
        .add(DisplayData.item("scorer", "perplexity").withLabel("Scorer"))
        .add(DisplayData.item("score", "mean token NLL (nats)").withLabel("Score"));
    batching.populateDisplayData(builder);
  }

  private static ModelConfig checkModel(ModelConfig model) {
    requireNonNull(model, "model must be a CAUSAL_LM config, got: null");
    checkArgument(
        model.kind() == ModelKind.CAUSAL_LM,
        "model must be a CAUSAL_LM config, got: %s (%s)",
        model.kind(),
        model.name());
    return model;
  }

  /** Document tokens per document; mean NLL per document. */
  private static final class PerplexityTask
      implements InferenceTask<TextTokenizer.Encoded, DocumentScore> {
    private static final long serialVersionUID = 1L;
    private final ModelConfig model;

    PerplexityTask(ModelConfig model) {
      this.model = model;
    }

    @Override
    public ModelConfig model() {
      return model;
    }

    @Override
    public Runner<TextTokenizer.Encoded, DocumentScore> open(LoadedModel loaded) {
      PerplexityScorer scorer = new PerplexityScorer(loaded);
      return new Runner<>() {
        @Override
        public TextTokenizer.Encoded prepare(String text) {
          return scorer.encodeDocument(text);
        }

        @Override
        public int tokens(TextTokenizer.Encoded input) {
          return scorer.inputTokens(input);
        }

        @Override
        public List<DocumentScore> run(List<TextTokenizer.Encoded> inputs, List<String> ids) {
          double[] nll = scorer.scoreEncoded(inputs).meanNll();
          List<DocumentScore> out = new ArrayList<>(nll.length);
          for (int i = 0; i < nll.length; i++) {
            out.add(DocumentScore.of(ids.get(i), nll[i]));
          }
          return out;
        }

        @Override
        public String problem(DocumentScore result) {
          if (Double.isNaN(result.score())) {
            return "fewer than two tokens, so no token to predict";
          }
          return Double.isFinite(result.score()) ? null : "mean NLL is " + result.score();
        }
      };
    }
  }
}
