package dev.dataselect.transforms.inference;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.MetricValues;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;

/** Fixture models (from the models module's test-jar), documents and metric look-ups. */
final class InferenceTesting {
  private InferenceTesting() {}

  /** A template whose words are all in the fixture vocabulary. */
  static final String TEMPLATE = "### {document} ### the yes no";

  /** Optimum-shaped Flan-T5 layout: encoder plus plain or merged decoder, T5 tokenizer. */
  static ModelConfig encoderDecoder(boolean merged) {
    return ModelConfig.encoderDecoder(
            ModelLocation.ofPath(Fixtures.write("encoder_model.onnx", Fixtures.encoderModel())),
            ModelLocation.ofPath(
                Fixtures.write(
                    merged ? "decoder_model_merged.onnx" : "decoder_model.onnx",
                    merged ? Fixtures.mergedDecoderModel() : Fixtures.decoderModel())),
            Fixtures.tokenizer(Fixtures.Frame.T5))
        .withIntraOpThreads(1);
  }

  /**
   * A causal LM with position ids (a table of {@link Fixtures#MAX_POS} positions) and past inputs;
   * a document longer than that makes ONNX Runtime fail, as a real model fails past its context.
   */
  static ModelConfig causal() {
    return ModelConfig.causalLm(
            ModelLocation.ofPath(Fixtures.write("causal_model.onnx", Fixtures.causalModel(true, true))),
            Fixtures.tokenizer(Fixtures.Frame.BOS))
        .withMaxTokens(4 * Fixtures.MAX_POS)
        .withIntraOpThreads(1);
  }

  /** A BERT-shaped embedding model (input_ids, attention_mask, token_type_ids). */
  static ModelConfig embedding() {
    return ModelConfig.embedding(
            ModelLocation.ofPath(Fixtures.write("embedding_model.onnx", Fixtures.embeddingModel(true))),
            Fixtures.tokenizer(Fixtures.Frame.WRAPPED))
        .withIntraOpThreads(1);
  }

  private static final String[] WORDS = {
    "the", "cat", "sat", "on", "mat", "dog", "ran", "a", "big", "red", "ball", "yes", "no"
  };

  /** A text of {@code n} fixture-vocabulary words, varied by {@code seed}. */
  static String words(int n, int seed) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        s.append(' ');
      }
      s.append(WORDS[(i * 7 + seed * 3 + i / 3) % WORDS.length]);
    }
    return s.toString();
  }

  /**
   * {@code docs} as one bundle: a single list element flattened by a ParDo, whose outputs the
   * direct runner passes on as one bundle, so batching within bundles sees them all together.
   */
  static PCollection<Document> oneBundle(Pipeline p, String name, List<Document> docs) {
    return p.apply(name, Create.of(List.of(docs)).withCoder(ListCoder.of(Document.DocumentCoder.of())))
        .apply(name + "Flatten", Flatten.iterables());
  }

  /** {@code count} documents of 1 to {@code maxWords} words, ids {@code d00}, {@code d01}, ... */
  static List<Document> documents(int count, int maxWords) {
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int n = 1 + (i * 5) % maxWords;
      docs.add(Document.of(String.format("d%02d", i), words(n, i), "test#" + i));
    }
    return docs;
  }

  private static MetricQueryResults query(PipelineResult result, Class<?> stage, String name, String step) {
    MetricsFilter.Builder f =
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named(stage.getName(), name));
    if (step != null) {
      f.addStep(step);
    }
    return result.metrics().queryMetrics(f.build());
  }

  /**
   * A counter's committed value summed over steps ({@code step} null = all). Committed, not
   * attempted: the direct runner folds finished bundles into attempted values on a background
   * executor, so right after {@code waitUntilFinish} an attempted value can still be missing a
   * bundle, while committed values are applied before the bundle's outputs are.
   */
  static long counter(PipelineResult result, Class<?> stage, String name, String step) {
    long sum = 0;
    for (MetricResult<Long> c : query(result, stage, name, step).getCounters()) {
      sum += MetricValues.settled(c);
    }
    return sum;
  }

  /** A distribution's committed value ({@code step} null = the first found), or null. */
  static DistributionResult distribution(
      PipelineResult result, Class<?> stage, String name, String step) {
    for (MetricResult<DistributionResult> d : query(result, stage, name, step).getDistributions()) {
      return MetricValues.settled(d);
    }
    return null;
  }

  /** The messages of {@code t} and its causes, joined. */
  static String messages(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      s.append(c.getMessage()).append(" | ");
      if (c.getCause() == c) {
        break;
      }
    }
    return s.toString();
  }
}
