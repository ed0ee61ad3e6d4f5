package dev.dataselect.transforms.student;

import static java.util.Objects.requireNonNull;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.DocumentScore;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;

/**
 * Scores documents from their embeddings alone with a {@link StudentModel} (no language model):
 * {@code b + w·x}, or its sigmoid for a logistic head; higher is better. The model (a few KB) travels
 * inside the transform. Counter {@code scored} in namespace {@code ScoreWithStudent}.
 */
public final class ScoreWithStudent extends PTransform<PCollection<Embedding>, PCollection<DocumentScore>> {
  private final StudentModel model;

  private ScoreWithStudent(StudentModel model) {
    this.model = model;
  }

  public static ScoreWithStudent with(StudentModel model) {
    return new ScoreWithStudent(requireNonNull(model, "model"));
  }

  @Override
  public PCollection<DocumentScore> expand(PCollection<Embedding> embeddings) {
    return embeddings
        .apply("Score", ParDo.of(new ScoreFn(model)))
        .setCoder(DocumentScore.DocumentScoreCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("task", model.task().label()).withLabel("Student head"))
        .add(DisplayData.item("dimension", model.dimension()).withLabel("Embedding dimension"))
        .add(DisplayData.item("lambda", model.lambda()).withLabel("Regularisation"))
        .add(DisplayData.item("embeddingModel", model.embedding().getOrDefault("model", "")).withLabel("Embedding model"));
  }

  private static final class ScoreFn extends DoFn<Embedding, DocumentScore> {
    private final Counter scored = Metrics.counter(ScoreWithStudent.class, "scored");
    private final StudentModel model;
    private transient double[] w;

    ScoreFn(StudentModel model) {
      this.model = model;
    }

    @Setup
    public void setup() {
      w = model.weights();
    }

    @ProcessElement
    public void process(@Element Embedding e, OutputReceiver<DocumentScore> out) {
      if (e.dimension() != w.length) {
        throw new IllegalArgumentException("embedding of " + e.id() + " has dimension " + e.dimension()
            + ", the student model expects " + w.length);
      }
      double z = model.intercept();
      for (int i = 0; i < w.length; i++) {
        z += w[i] * e.get(i);
      }
      out.output(DocumentScore.of(e.id(), model.task() == StudentModel.Task.LOGISTIC ? LogisticStatistics.sigmoid(z) : z));
      scored.inc();
    }
  }
}
