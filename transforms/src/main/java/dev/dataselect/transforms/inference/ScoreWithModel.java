package dev.dataselect.transforms.inference;

import static java.util.Objects.requireNonNull;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
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

/**
 * A scoring stage of your own: documents in, one {@link DocumentScore} per document in {@link
 * #SCORES} and {@link #DEAD_LETTERS} out, computed by an {@link InferenceTask} you implement (how to
 * tokenize a text, how to run a batch on the loaded model, when a result is unusable). It runs
 * exactly as the built-in stages do ({@link BatchInference}): batches cut by documents and padded
 * tokens, one shared session per JVM and model, the JVM's inference threads, failed batches
 * retried one document at a time, and the same metrics under the namespace {@code
 * ScoreWithModel}. Its scores go wherever a built-in stage's do ({@code Select.top}, {@code
 * WriteScores}).
 *
 * <pre>{@code
 * PCollectionTuple scored = docs.apply(ScoreWithModel.of(new MyClassifierTask(modelConfig)).withMaxBatchSize(16));
 * docs.apply(Select.top(scored.get(ScoreWithModel.SCORES)).withRate(0.3));
 * }</pre>
 */
public final class ScoreWithModel extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<DocumentScore> SCORES = new TupleTag<>("scores") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};

  public static final int DEFAULT_MAX_BATCH_SIZE = 16;
  public static final int DEFAULT_MAX_BATCH_TOKENS = 8_192;

  private final InferenceTask<?, DocumentScore> task;
  private final Batching batching;

  private ScoreWithModel(InferenceTask<?, DocumentScore> task, Batching batching) {
    this.task = task;
    this.batching = batching;
  }

  /** Scores with {@code task}; {@link #DEFAULT_MAX_BATCH_SIZE} documents per call at most. */
  public static <P> ScoreWithModel of(InferenceTask<P, DocumentScore> task) {
    requireNonNull(task, "task");
    requireNonNull(task.model(), "task.model()");
    return new ScoreWithModel(task, Batching.of(DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS));
  }

  /**
   * Also routes every dead letter, as a Beam {@code BadRecord}, to {@code handler} (as Beam's own
   * IOs do); {@link #DEAD_LETTERS} still holds them.
   */
  public ScoreWithModel withBadRecordErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    return new ScoreWithModel(task, batching.withErrorHandler(handler));
  }

  /** Documents per model call at most. */
  public ScoreWithModel withMaxBatchSize(int maxBatchSize) {
    return new ScoreWithModel(task, batching.withMaxBatchSize(maxBatchSize));
  }

  /** Padded tokens (documents x longest) per model call at most. */
  public ScoreWithModel withMaxBatchTokens(int maxBatchTokens) {
    return new ScoreWithModel(task, batching.withMaxBatchTokens(maxBatchTokens));
  }

  /** The model's name, kind, URIs and token budget, for {@link WriteScores#withMetadata}. */
  public SortedMap<String, String> metadata() {
    Map<String, String> m = new TreeMap<>(BatchInference.modelMetadata(task.model()));
    m.put("stage", "custom");
    m.put("task", task.getClass().getName());
    return new TreeMap<>(m);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> documents) {
    return BatchInference.apply(documents, "Score", ScoreWithModel.class, new FiniteScores<>(task), batching, SCORES,
        DocumentScore.DocumentScoreCoder.of(), DEAD_LETTERS);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    ModelConfig model = task.model();
    BatchInference.populateModelDisplayData(model, builder);
    builder.add(DisplayData.item("task", task.getClass().getName()).withLabel("Inference task"));
    batching.populateDisplayData(builder);
  }

  /**
   * The user's task, with every result checked as the built-in scorers check theirs: a missing
   * result or a score that is NaN or infinite is the document's dead letter, so the scores are fit
   * for any selection.
   */
  private static final class FiniteScores<P> implements InferenceTask<P, DocumentScore> {
    private static final long serialVersionUID = 1L;
    private final InferenceTask<P, DocumentScore> task;

    FiniteScores(InferenceTask<P, DocumentScore> task) {
      this.task = task;
    }

    @Override
    public ModelConfig model() {
      return task.model();
    }

    @Override
    public Runner<P, DocumentScore> open(dev.dataselect.models.LoadedModel model) {
      Runner<P, DocumentScore> runner = task.open(model);
      return new Runner<>() {
        @Override
        public P prepare(String text) {
          return runner.prepare(text);
        }

        @Override
        public int tokens(P input) {
          return runner.tokens(input);
        }

        @Override
        public java.util.List<DocumentScore> run(java.util.List<P> inputs, java.util.List<String> ids) {
          return runner.run(inputs, ids);
        }

        @Override
        public String problem(DocumentScore result) {
          if (result == null) {
            return "the task returned no score";
          }
          if (!Double.isFinite(result.score())) {
            return "the score is " + result.score();
          }
          return runner.problem(result);
        }
      };
    }
  }
}
