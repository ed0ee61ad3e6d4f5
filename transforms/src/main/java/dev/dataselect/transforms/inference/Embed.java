package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.Embedding;
import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableSortedMap;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelKind;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.embed.SentenceEmbedder;
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
 * Embeds documents with a sentence embedding model (ONNX): L2-normalised vectors, pooled as the
 * model config says (mean or CLS), texts truncated to its token budget.
 *
 * <p>Returns {@link #EMBEDDINGS} ({@link Embedding}) and {@link #DEAD_LETTERS} (documents
 * the model failed on, reason {@code inference_failed}). The model loads once per JVM and is shared
 * by every thread; documents are batched within bundles, sorted by length, bounded in documents,
 * padded tokens and buffering time (see {@link BatchInference} for batching, failures and metrics,
 * namespace {@code dev.dataselect.transforms.inference.Embed}).
 *
 * <pre>{@code
 * PCollectionTuple embedded = docs.apply(Embed.with(ModelPresets.allMiniLmL6V2()).withMaxBatchSize(16));
 * embedded.get(Embed.EMBEDDINGS).apply(WriteEmbeddings.to("gs://b/cache/embeddings")
 *     .withMetadata(embed.metadata()));
 * }</pre>
 */
public final class Embed extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<Embedding> EMBEDDINGS = new TupleTag<>("embeddings") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};

  /** Default documents per model call. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 32;
  /** Default padded tokens per model call (32 documents of 512 tokens). */
  public static final int DEFAULT_MAX_BATCH_TOKENS = 16_384;

  private final ModelConfig model;
  private final Batching batching;

  private Embed(ModelConfig model, Batching batching) {
    this.model = model;
    this.batching = batching;
  }

  /** Embeds with {@code model}, which must be an {@link ModelKind#EMBEDDING} config. */
  public static Embed with(ModelConfig model) {
    return new Embed(checkModel(model), Batching.of(DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS));
  }

  /** Embeds with all-MiniLM-L6-v2 (384-d, 256 tokens) from the langchain4j jar on the classpath. */
  public static Embed allMiniLmL6V2() {
    return with(ModelPresets.allMiniLmL6V2());
  }

  /** Another {@link ModelKind#EMBEDDING} model; batching settings are kept. */
  public Embed withModel(ModelConfig model) {
    return new Embed(checkModel(model), batching);
  }

  /**
   * Also routes every dead letter, as a Beam {@code BadRecord}, to {@code handler} (as Beam's own
   * IOs do); {@link #DEAD_LETTERS} still holds them.
   */
  public Embed withBadRecordErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    return new Embed(model, batching.withErrorHandler(handler));
  }

  /** Documents per model call, in [1, 65536]; default {@value #DEFAULT_MAX_BATCH_SIZE}. */
  public Embed withMaxBatchSize(int maxBatchSize) {
    return new Embed(model, batching.withMaxBatchSize(maxBatchSize));
  }

  /**
   * Padded tokens (documents x longest document) per model call, in [1, 2^30]; a longer document
   * still runs, alone. Default {@value #DEFAULT_MAX_BATCH_TOKENS}.
   */
  public Embed withMaxBatchTokens(int maxBatchTokens) {
    return new Embed(model, batching.withMaxBatchTokens(maxBatchTokens));
  }

  /**
   * Documents buffered (per window, within a bundle) before they are length-sorted and run; at
   * least the batch size. Default 16 x the batch size.
   */
  public Embed withMaxBufferedDocuments(int maxBufferedDocuments) {
    return new Embed(model, batching.withMaxBufferedDocuments(maxBufferedDocuments));
  }

  /** Longest a document waits in the buffer (checked as documents arrive); default 10 s. */
  public Embed withMaxBufferingDuration(Duration maxBufferingDuration) {
    return new Embed(model, batching.withMaxBufferingDuration(maxBufferingDuration));
  }

  public ModelConfig model() {
    return model;
  }

  /**
   * What the embeddings were made with, for {@link WriteEmbeddings#withMetadata}: {@code
   * stage=embed}, model name, kind, URIs, max tokens, pooling and text prefix.
   */
  public SortedMap<String, String> metadata() {
    Map<String, String> m = new TreeMap<>(BatchInference.modelMetadata(model));
    m.put("stage", "embed");
    m.put("pooling", model.pooling().name());
    m.put("textPrefix", model.textPrefix());
    return ImmutableSortedMap.copyOf(m);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> documents) {
    return BatchInference.apply(
        documents,
        "Infer",
        Embed.class,
        new EmbedTask(model),
        batching,
        EMBEDDINGS,
        Embedding.EmbeddingCoder.of(),
        DEAD_LETTERS);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    BatchInference.populateModelDisplayData(model, builder);
    builder
        .add(DisplayData.item("pooling", model.pooling().name()).withLabel("Pooling"))
        .addIfNotDefault(
            DisplayData.item("textPrefix", model.textPrefix()).withLabel("Text prefix"), "");
    batching.populateDisplayData(builder);
  }

  private static ModelConfig checkModel(ModelConfig model) {
    requireNonNull(model, "model must be an EMBEDDING model config, got: null");
    checkArgument(
        model.kind() == ModelKind.EMBEDDING,
        "model must be an EMBEDDING model config, got: %s (%s)",
        model.kind(),
        model.name());
    return model;
  }

  /** Token ids per document; a vector per document. */
  private static final class EmbedTask implements InferenceTask<long[], Embedding> {
    private static final long serialVersionUID = 1L;
    private final ModelConfig model;

    EmbedTask(ModelConfig model) {
      this.model = model;
    }

    @Override
    public ModelConfig model() {
      return model;
    }

    @Override
    public Runner<long[], Embedding> open(LoadedModel loaded) {
      SentenceEmbedder embedder = new SentenceEmbedder(loaded);
      return new Runner<>() {
        @Override
        public long[] prepare(String text) {
          return embedder.encode(text);
        }

        @Override
        public int tokens(long[] input) {
          return input.length;
        }

        @Override
        public List<Embedding> run(List<long[]> inputs, List<String> ids) {
          float[][] vectors = embedder.embedIds(inputs);
          List<Embedding> out = new ArrayList<>(vectors.length);
          for (int i = 0; i < vectors.length; i++) {
            // A non-finite vector is no Embedding: null here, a dead letter from problem(null).
            out.add(Embedding.firstNonFinite(vectors[i]) < 0 ? Embedding.of(ids.get(i), vectors[i]) : null);
          }
          return out;
        }

        @Override
        public String problem(Embedding result) {
          return result == null ? "the vector has a non-finite component" : null;
        }
      };
    }
  }
}
