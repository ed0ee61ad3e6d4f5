package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.DocumentScore;
import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableSortedMap;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelFolders;
import dev.dataselect.models.ModelKind;
import dev.dataselect.models.score.AskLlmOptions;
import dev.dataselect.models.score.AskLlmScorer;
import dev.dataselect.models.score.ScoreMode;
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
 * Scores documents with ASK-LLM (Sachdeva et al. 2024, METHOD.md): the probability that an
 * instruction-tuned model answers "yes" when asked whether the document is worth pre-training on.
 * The model is an encoder-decoder (Optimum's Flan-T5 export: one encoder pass, one decoder step)
 * or a decoder-only causal LM (logits at the last prompt token). Documents are truncated to the
 * model's context, the prompt never.
 *
 * <p>Returns {@link #SCORES} ({@link DocumentScore}: P("yes") under the softmax over the whole
 * vocabulary, or over {yes, no}, per {@link #withMode}) and {@link #DEAD_LETTERS}. The mode and
 * prompt show in the display data and in {@link #metadata()}, which {@link WriteScores} stores with
 * the scores. Batching, the per-JVM model, failure isolation and metrics (namespace {@code
 * dev.dataselect.transforms.inference.AskLlmScore}) are described in {@link BatchInference}.
 *
 * <pre>{@code
 * AskLlmScore score = AskLlmScore.with(ModelPresets.flanT5(encoder, decoder, tokenizer));
 * PCollectionTuple scored = docs.apply(score);
 * scored.get(AskLlmScore.SCORES).apply(WriteScores.to(out).withMetadata(score.metadata()));
 * }</pre>
 */
public final class AskLlmScore extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<DocumentScore> SCORES = new TupleTag<>("scores") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};

  /** Default documents per model call. */
  public static final int DEFAULT_MAX_BATCH_SIZE = 8;
  /** Default padded tokens per model call (8 documents of 512 tokens). */
  public static final int DEFAULT_MAX_BATCH_TOKENS = 4_096;

  private final ModelConfig model;
  private final AskLlmOptions options;
  private final Batching batching;

  private AskLlmScore(ModelConfig model, AskLlmOptions options, Batching batching) {
    this.model = model;
    this.options = options;
    this.batching = batching;
  }

  /**
   * Scores with {@code model}, an {@link ModelKind#ENCODER_DECODER} or {@link ModelKind#CAUSAL_LM}
   * config, the paper's prompt, and the full-vocabulary softmax.
   */
  public static AskLlmScore with(ModelConfig model) {
    return new AskLlmScore(
        checkModel(model),
        AskLlmOptions.defaults(),
        Batching.of(DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_BATCH_TOKENS));
  }

  /** The model tokens a document gets with {@link #fromFolder} (the prompt's included). */
  public static final int DEFAULT_MAX_TOKENS = 512;

  /**
   * Scores with the ONNX export in {@code folder} (local or {@code gs://}): Optimum's Flan-T5 layout
   * ({@code encoder_model.onnx}, {@code decoder_model[_merged].onnx}) or a decoder-only {@code
   * model.onnx}, each with its {@code tokenizer.json}, recognised by {@link ModelFolders#askLlm};
   * {@link #DEFAULT_MAX_TOKENS} tokens per document.
   */
  public static AskLlmScore fromFolder(String folder) {
    return with(ModelFolders.askLlm(folder, DEFAULT_MAX_TOKENS, BeamModelReader.folders()));
  }

  /** Another scoring model; the other settings are kept. */
  public AskLlmScore withModel(ModelConfig model) {
    return new AskLlmScore(checkModel(model), options, batching);
  }

  /** Softmax over the whole vocabulary (default) or over {yes, no}. */
  public AskLlmScore withMode(ScoreMode mode) {
    requireNonNull(mode, "mode must be FULL_VOCABULARY or YES_NO, got: null");
    return new AskLlmScore(model, options.withMode(mode), batching);
  }

  /** The prompt; it must contain {@code {document}} exactly once. Default: the paper's. */
  public AskLlmScore withTemplate(String template) {
    return new AskLlmScore(model, options.withTemplate(template), batching);
  }

  /** Names the vocabulary entries scored as yes and no (default: found in the tokenizer). */
  public AskLlmScore withYesNoTokens(String yes, String no) {
    return new AskLlmScore(model, options.withYesNoTokens(yes, no), batching);
  }

  /** All prompt and scoring settings at once. */
  public AskLlmScore withOptions(AskLlmOptions options) {
    requireNonNull(options, "options must be non-null (start from AskLlmOptions.defaults())");
    return new AskLlmScore(model, options, batching);
  }

  /**
   * Also routes every dead letter, as a Beam {@code BadRecord}, to {@code handler} (as Beam's own
   * IOs do); {@link #DEAD_LETTERS} still holds them.
   */
  public AskLlmScore withBadRecordErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    return new AskLlmScore(model, options, batching.withErrorHandler(handler));
  }

  /** Documents per model call, in [1, 65536]; default {@value #DEFAULT_MAX_BATCH_SIZE}. */
  public AskLlmScore withMaxBatchSize(int maxBatchSize) {
    return new AskLlmScore(model, options, batching.withMaxBatchSize(maxBatchSize));
  }

  /**
   * Padded tokens (documents x longest prompt) per model call, in [1, 2^30]; default {@value
   * #DEFAULT_MAX_BATCH_TOKENS}. A causal LM returns logits at every position, so a batch costs
   * about this many x vocabulary floats: keep it small for large vocabularies.
   */
  public AskLlmScore withMaxBatchTokens(int maxBatchTokens) {
    return new AskLlmScore(model, options, batching.withMaxBatchTokens(maxBatchTokens));
  }

  /** Documents buffered per window before a length-sorted flush; default 16 x the batch size. */
  public AskLlmScore withMaxBufferedDocuments(int maxBufferedDocuments) {
    return new AskLlmScore(model, options, batching.withMaxBufferedDocuments(maxBufferedDocuments));
  }

  /** Longest a document waits in the buffer (checked as documents arrive); default 10 s. */
  public AskLlmScore withMaxBufferingDuration(Duration maxBufferingDuration) {
    return new AskLlmScore(model, options, batching.withMaxBufferingDuration(maxBufferingDuration));
  }

  public ModelConfig model() {
    return model;
  }

  public AskLlmOptions options() {
    return options;
  }

  /**
   * What the scores mean, for {@link WriteScores#withMetadata}: {@code stage=askllm}, {@code
   * score=P(yes)}, the softmax {@code mode}, the yes/no entries ({@code auto} when found in the
   * tokenizer), the prompt template, and the model's name, kind, URIs and max tokens.
   */
  public SortedMap<String, String> metadata() {
    Map<String, String> m = new TreeMap<>(BatchInference.modelMetadata(model));
    m.put("stage", "askllm");
    m.put("score", "P(yes)");
    m.put("mode", options.mode().name());
    m.put("yesToken", options.yesToken() == null ? "auto" : options.yesToken());
    m.put("noToken", options.noToken() == null ? "auto" : options.noToken());
    m.put("template", options.template());
    return ImmutableSortedMap.copyOf(m);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> documents) {
    return BatchInference.apply(
        documents,
        "Score",
        AskLlmScore.class,
        new AskLlmTask(model, options),
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
        .add(DisplayData.item("scorer", "askllm").withLabel("Scorer"))
        .add(DisplayData.item("mode", options.mode().name()).withLabel("Softmax over"))
        .add(
            DisplayData.item("yesNoTokens", options.yesToken() == null
                    ? "auto"
                    : options.yesToken() + "/" + options.noToken())
                .withLabel("Yes/no tokens"))
        .add(DisplayData.item("template", options.template()).withLabel("Prompt template"));
    batching.populateDisplayData(builder);
  }

  private static ModelConfig checkModel(ModelConfig model) {
    requireNonNull(model, "model must be an ENCODER_DECODER or CAUSAL_LM config, got: null");
    checkArgument(
        model.kind() == ModelKind.ENCODER_DECODER || model.kind() == ModelKind.CAUSAL_LM,
        "model must be an ENCODER_DECODER or CAUSAL_LM config, got: %s (%s)",
        model.kind(),
        model.name());
    return model;
  }

  /** Document tokens per document; P("yes") per document. */
  private static final class AskLlmTask implements InferenceTask<TextTokenizer.Encoded, DocumentScore> {
    private static final long serialVersionUID = 1L;
    private final ModelConfig model;
    private final AskLlmOptions options;

    AskLlmTask(ModelConfig model, AskLlmOptions options) {
      this.model = model;
      this.options = options;
    }

    @Override
    public ModelConfig model() {
      return model;
    }

    @Override
    public Runner<TextTokenizer.Encoded, DocumentScore> open(LoadedModel loaded) {
      AskLlmScorer scorer = new AskLlmScorer(loaded, options);
      int prompt = scorer.promptTokens();
      return new Runner<>() {
        @Override
        public TextTokenizer.Encoded prepare(String text) {
          return scorer.encodeDocument(text);
        }

        @Override
        public int tokens(TextTokenizer.Encoded input) {
          return input.length() + prompt;
        }

        @Override
        public List<DocumentScore> run(List<TextTokenizer.Encoded> inputs, List<String> ids) {
          double[] scores = scorer.scoreEncoded(inputs).scores();
          List<DocumentScore> out = new ArrayList<>(scores.length);
          for (int i = 0; i < scores.length; i++) {
            out.add(DocumentScore.of(ids.get(i), scores[i]));
          }
          return out;
        }

        @Override
        public String problem(DocumentScore result) {
          double s = result.score();
          return s >= 0 && s <= 1 ? null : "P(yes) = " + s + " is not a probability";
        }
      };
    }
  }
}
