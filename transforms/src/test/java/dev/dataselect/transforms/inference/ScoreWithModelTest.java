package dev.dataselect.transforms.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.embed.SentenceEmbedder;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;

/**
 * A scorer of a user's own, written only against the public {@link InferenceTask} interface: a
 * "classifier head" (the first component of the pooled sentence vector) over the fixture encoder.
 * Batching, the shared model, metrics and dead letters (a failing batch's document, a NaN score)
 * come from {@link ScoreWithModel}.
 */
class ScoreWithModelTest {
  /** Scores a document by the first component of its embedding; a text with "poison" breaks its batch. */
  static final class HeadTask implements InferenceTask<long[], DocumentScore> {
    private final ModelConfig model;

    HeadTask(ModelConfig model) {
      this.model = model;
    }

    @Override
    public ModelConfig model() {
      return model;
    }

    @Override
    public Runner<long[], DocumentScore> open(LoadedModel loaded) {
      SentenceEmbedder embedder = new SentenceEmbedder(loaded);
      return new Runner<>() {
        @Override
        public long[] prepare(String text) {
          return text.contains("poison") ? new long[0] : embedder.encode(text);
        }

        @Override
        public int tokens(long[] input) {
          return Math.max(1, input.length);
        }

        @Override
        public List<DocumentScore> run(List<long[]> inputs, List<String> ids) {
          for (long[] in : inputs) {
            if (in.length == 0) {
              throw new IllegalArgumentException("an empty token sequence");
            }
          }
          float[][] v = embedder.embedIds(inputs);
          List<DocumentScore> out = new ArrayList<>();
          for (int i = 0; i < v.length; i++) {
            // d9 gets a NaN, which ScoreWithModel must turn into its dead letter.
            out.add(DocumentScore.of(ids.get(i), ids.get(i).equals("d9") ? Double.NaN : v[i][0]));
          }
          return out;
        }
      };
    }
  }

  @Test
  void aUserTaskGetsBatchingSharedModelMetricsAndDeadLetters() {
    ModelConfig model = ModelConfig.embedding(
        ModelLocation.ofBytes("encoder.onnx", Fixtures.embeddingModel(true)), Fixtures.tokenizer(Fixtures.Frame.WRAPPED));
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      docs.add(Document.of("d" + i, i == 7 ? "poison pill" : "the yes no ### " + "the ".repeat(i % 5), "t#" + i, Map.of()));
    }
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(Create.of(docs)).apply(ScoreWithModel.of(new HeadTask(model)).withMaxBatchSize(8));
    PCollection<DocumentScore> scores = out.get(ScoreWithModel.SCORES);
    PAssert.that(scores).satisfies(all -> {
      int n = 0;
      for (DocumentScore s : all) {
        n++;
        assertTrue(Double.isFinite(s.score()), s.toString());
        assertTrue(!s.id().equals("d7") && !s.id().equals("d9"));
      }
      assertEquals(38, n);
      return null;
    });
    PAssert.that(out.get(ScoreWithModel.DEAD_LETTERS)).satisfies(all -> {
      List<DeadLetter> list = new ArrayList<>();
      all.forEach(list::add);
      assertEquals(2, list.size());
      list.forEach(d -> assertEquals(DeadLetter.Reason.INFERENCE_FAILED, d.reason()));
      assertTrue(list.stream().anyMatch(d -> d.detail().contains("an empty token sequence")), list.toString());
      assertTrue(list.stream().anyMatch(d -> d.detail().contains("the score is NaN")), list.toString());
      return null;
    });
    PipelineResult result = p.run();
    TestPipelines.await(result);
    long batches = result.metrics().queryMetrics(MetricsFilter.builder()
            .addNameFilter(MetricNameFilter.named(ScoreWithModel.class, "batches")).build())
        .getCounters().iterator().next().getAttempted();
    assertTrue(batches >= 5, "batches " + batches);
  }
}
