package dev.dataselect.transforms.student;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.JoinById;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Scores documents with a {@link StudentModel} (no language model); higher is better. The model (a
 * few KB) travels inside the transform. Counter {@code scored} in namespace {@code ScoreWithStudent}.
 *
 * <ul>
 *   <li>A model on embeddings alone scores the input embeddings.
 *   <li>A model that reads text signals needs the documents too ({@link #withDocuments}): their
 *       {@link SignalFeatures} are computed from the text and joined to the embeddings by id
 *       ({@link JoinById}: one shuffle of 35 floats per document); an embedding without a document
 *       (an embeddings cache that holds more) is not scored and is counted under {@code
 *       embeddingsWithoutDocument}. A signals-only model scores the documents and ignores the
 *       embeddings.
 * </ul>
 */
public final class ScoreWithStudent extends PTransform<PCollection<Embedding>, PCollection<DocumentScore>> {
  private final StudentModel model;
  @Nullable private final PCollection<Document> documents;
  private final int shards;

  private ScoreWithStudent(StudentModel model, @Nullable PCollection<Document> documents, int shards) {
    this.model = model;
    this.documents = documents;
    this.shards = shards;
  }

  public static ScoreWithStudent with(StudentModel model) {
    return new ScoreWithStudent(requireNonNull(model, "model"), null, JoinById.DEFAULT_SHARDS);
  }

  /** The documents whose texts give the signal features (each embedded document once, same ids). */
  public ScoreWithStudent withDocuments(PCollection<Document> documents) {
    return new ScoreWithStudent(model, requireNonNull(documents, "documents"), shards);
  }

  /** Groups of the join with the documents' signals ({@link JoinById#withShards}). */
  public ScoreWithStudent withShards(int shards) {
    return new ScoreWithStudent(model, documents, shards);
  }

  @Override
  public PCollection<DocumentScore> expand(PCollection<Embedding> embeddings) {
    if (!model.features().usesSignals()) {
      return embeddings
          .apply("Score", ParDo.of(new ScoreFn(model)))
          .setCoder(DocumentScore.DocumentScoreCoder.of());
    }
    checkArgument(documents != null, "this student (features=%s) reads text signals: give the documents with withDocuments(docs)",
        model.features().label());
    PCollection<KV<String, Embedding>> signals = documents
        .apply("SignalFeatures", ParDo.of(new SignalsFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Embedding.EmbeddingCoder.of()));
    if (!model.features().usesEmbedding()) {
      return signals
          .apply("Score", ParDo.of(new ScoreSignalsFn(model)))
          .setCoder(DocumentScore.DocumentScoreCoder.of());
    }
    return embeddings
        .apply("JoinSignals", JoinById.of(Embedding::id, signals).withShards(shards).withOneLeftPerId())
        .apply("Score", ParDo.of(new ScoreJoinedFn(model)))
        .setCoder(DocumentScore.DocumentScoreCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("task", model.task().label()).withLabel("Student head"))
        .add(DisplayData.item("features", model.features().label()).withLabel("Feature blocks"))
        .add(DisplayData.item("dimension", model.dimension()).withLabel("Embedding dimension"))
        .add(DisplayData.item("signals", model.signalNames().size()).withLabel("Signal features"))
        .add(DisplayData.item("lambda", model.lambda()).withLabel("Regularisation"))
        .add(DisplayData.item("embeddingModel", model.embedding().getOrDefault("model", "")).withLabel("Embedding model"));
  }

  private static final float[] NONE = new float[0];

  private static final class ScoreFn extends DoFn<Embedding, DocumentScore> {
    private final Counter scored = Metrics.counter(ScoreWithStudent.class, "scored");
    private final StudentModel model;

    ScoreFn(StudentModel model) {
      this.model = model;
    }

    @ProcessElement
    public void process(@Element Embedding e, OutputReceiver<DocumentScore> out) {
      if (e.dimension() != model.dimension()) {
        throw new IllegalArgumentException("embedding of " + e.id() + " has dimension " + e.dimension()
            + ", the student model expects " + model.dimension());
      }
      out.output(DocumentScore.of(e.id(), model.score(e.vector(), NONE)));
      scored.inc();
    }
  }

  /** A document → (id, its signal features as an Embedding-shaped vector). */
  private static final class SignalsFn extends DoFn<Document, KV<String, Embedding>> {
    @ProcessElement
    public void process(@Element Document d, OutputReceiver<KV<String, Embedding>> out) {
      out.output(KV.of(d.id(), Embedding.of(d.id(), SignalFeatures.of(d.text()))));
    }
  }

  private static final class ScoreSignalsFn extends DoFn<KV<String, Embedding>, DocumentScore> {
    private final Counter scored = Metrics.counter(ScoreWithStudent.class, "scored");
    private final StudentModel model;

    ScoreSignalsFn(StudentModel model) {
      this.model = model;
    }

    @ProcessElement
    public void process(@Element KV<String, Embedding> s, OutputReceiver<DocumentScore> out) {
      out.output(DocumentScore.of(s.getKey(), model.score(NONE, s.getValue().vector())));
      scored.inc();
    }
  }

  private static final class ScoreJoinedFn extends DoFn<JoinById.Joined<Embedding, Embedding>, DocumentScore> {
    private final Counter scored = Metrics.counter(ScoreWithStudent.class, "scored");
    private final Counter withoutDocument = Metrics.counter(ScoreWithStudent.class, "embeddingsWithoutDocument");
    private final StudentModel model;

    ScoreJoinedFn(StudentModel model) {
      this.model = model;
    }

    @ProcessElement
    public void process(@Element JoinById.Joined<Embedding, Embedding> j, OutputReceiver<DocumentScore> out) {
      Embedding e = j.left();
      if (e == null) {
        return; // a document that was not embedded (its dead letter says why): nothing to score
      }
      List<Embedding> signals = j.rights();
      if (signals.isEmpty()) {
        withoutDocument.inc(); // not a document of this collection (an embeddings cache holds more): not scored
        return;
      }
      if (e.dimension() != model.dimension()) {
        throw new IllegalArgumentException("embedding of " + e.id() + " has dimension " + e.dimension()
            + ", the student model expects " + model.dimension());
      }
      out.output(DocumentScore.of(e.id(), model.score(e.vector(), signals.get(0).vector())));
      scored.inc();
    }
  }
}
