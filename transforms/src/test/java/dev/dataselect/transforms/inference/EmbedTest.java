package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.Embedding;
import static dev.dataselect.transforms.inference.AskLlmScoreTest.assertMessage;
import static dev.dataselect.transforms.inference.InferenceTesting.counter;
import static dev.dataselect.transforms.inference.InferenceTesting.distribution;
import static dev.dataselect.transforms.inference.InferenceTesting.messages;
import static dev.dataselect.transforms.inference.InferenceTesting.oneBundle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.SharedModels;
import dev.dataselect.models.embed.SentenceEmbedder;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.testing.TestPipelines;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbedTest {
  /** Short texts (well under langchain4j's 128-token truncation). */
  private static final List<String> TEXTS =
      List.of(
          "A man is playing a guitar on stage.",
          "Someone performs music with a guitar in front of an audience.",
          "The quarterly tax filing deadline is next Tuesday.",
          "Photosynthesis converts light energy into chemical energy in plants.",
          "short",
          "Beam pipelines batch documents before running an ONNX model on them.");

  private static AllMiniLmL6V2EmbeddingModel langchain4j;

  @BeforeAll
  static void loadReference() {
    langchain4j = new AllMiniLmL6V2EmbeddingModel();
  }

  @AfterAll
  static void noModelLeftLoaded() {
    assertEquals(0, SharedModels.refCount(ModelPresets.allMiniLmL6V2()));
  }

  private static List<Document> documents(List<String> texts) {
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      docs.add(Document.of("doc" + i, texts.get(i), "test#" + i));
    }
    return docs;
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  /** Asserts every embedding is within cosine {@code min} of {@code expected}'s vector for its id. */
  private static void assertCosines(
      PCollection<Embedding> got, Map<String, float[]> expected, double min, String what) {
    PAssert.that(got)
        .satisfies(
            all -> {
              int n = 0;
              for (Embedding e : all) {
                n++;
                float[] want = expected.get(e.id());
                assertNotNull(want, e.id());
                assertEquals(want.length, e.dimension());
                double c = cosine(want, e.vector());
                assertTrue(c >= min, what + ": cosine " + c + " for " + e.id());
              }
              assertEquals(expected.size(), n, what);
              return null;
            });
  }

  @Test
  void embeddingsEqualTheDirectEmbedderAndLangchain4j() {
    // The session the stage opens: on the CPU, one intra-op thread per call (InferenceThreads).
    ModelConfig config = InferenceThreads.cpuModel(ModelPresets.allMiniLmL6V2());
    List<Document> docs = documents(TEXTS);
    Map<String, float[]> direct = new HashMap<>();
    Map<String, float[]> reference = new HashMap<>();
    long loadsBefore;
    // Holding a handle keeps the model loaded: the pipeline's DoFns share it instead of loading.
    try (SharedModels.Handle handle = SharedModels.acquire(config)) {
      SentenceEmbedder embedder = new SentenceEmbedder(handle.model());
      for (Document d : docs) {
        assertTrue(embedder.encode(d.text()).length < 128, d.text());
        direct.put(d.id(), embedder.embed(List.of(d.text()))[0]);
        reference.put(d.id(), langchain4j.embed(d.text()).content().vector());
      }
      loadsBefore = SharedModels.loadCount();
      Pipeline p = TestPipelines.create();
      PCollectionTuple out = p.apply(Create.of(docs)).apply(Embed.allMiniLmL6V2().withMaxBatchSize(4));
      assertCosines(out.get(Embed.EMBEDDINGS), direct, 0.9999, "vs SentenceEmbedder");
      assertCosines(out.get(Embed.EMBEDDINGS), reference, 0.9999, "vs langchain4j");
      PAssert.that(out.get(Embed.DEAD_LETTERS)).empty();
      PipelineResult result = p.run();
      TestPipelines.await(result);
      assertEquals(loadsBefore, SharedModels.loadCount(), "the pipeline reused the loaded model");
      assertEquals(docs.size(), counter(result, Embed.class, "results", null));
    }
  }

  @Test
  void webDocumentsEqualLangchain4jAtItsTruncation() throws IOException {
    Path data = Paths.get(System.getProperty("dataselect.sharedData", "../../shared/data"));
    Path file = data.resolve("web/c4-en-30.jsonl.gz");
    Assumptions.assumeTrue(
        Files.isRegularFile(file),
        "Skipped: no shared web documents at " + file + " (set -Ddataselect.sharedData)");
    List<String> texts = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null && texts.size() < 16) {
        JsonNode text = json.readTree(line).get("text");
        if (text != null && !text.asText().isBlank()) {
          texts.add(text.asText());
        }
      }
    }
    List<Document> docs = documents(texts);
    Map<String, float[]> reference = new HashMap<>();
    for (Document d : docs) {
      reference.put(d.id(), langchain4j.embed(d.text()).content().vector());
    }
    // langchain4j's tokenizer.json truncates at 128 tokens: compare at that budget.
    Pipeline p = TestPipelines.create();
    PCollectionTuple out =
        p.apply(Create.of(docs))
            .apply(Embed.with(ModelPresets.allMiniLmL6V2().withMaxTokens(128)).withMaxBatchSize(8));
    assertCosines(out.get(Embed.EMBEDDINGS), reference, 0.9999, "web vs langchain4j");
    TestPipelines.run(p);
  }

  @Test
  void aDocumentPastTheModelsPositionsBecomesADeadLetter() {
    // all-MiniLM-L6-v2 has 512 positions; a 600-token budget lets a long document reach the model,
    // which fails on it, and only on it.
    ModelConfig config = ModelPresets.allMiniLmL6V2().withMaxTokens(600);
    List<Document> docs = new ArrayList<>(documents(TEXTS.subList(0, 3)));
    docs.add(Document.of("huge", "word ".repeat(700), "test#huge"));
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = oneBundle(p, "Docs", docs).apply(Embed.with(config).withMaxBatchSize(8));
    PAssert.that(out.get(Embed.DEAD_LETTERS))
        .satisfies(
            letters -> {
              List<DeadLetter> all = new ArrayList<>();
              letters.forEach(all::add);
              assertEquals(1, all.size(), all.toString());
              assertEquals(DeadLetter.Reason.INFERENCE_FAILED, all.get(0).reason());
              assertEquals("test#huge", all.get(0).source());
              assertTrue(all.get(0).detail().contains("'huge'"), all.get(0).detail());
              return null;
            });
    PAssert.that(out.get(Embed.EMBEDDINGS))
        .satisfies(
            all -> {
              List<String> ids = new ArrayList<>();
              all.forEach(e -> ids.add(e.id()));
              ids.sort(null);
              assertEquals(List.of("doc0", "doc1", "doc2"), ids);
              return null;
            });
    PipelineResult result = p.run();
    TestPipelines.await(result);
    assertEquals(2, counter(result, Embed.class, "failedBatches", null));
  }

  @Test
  void oneModelPerJvmSharedByAllThreadsWithMetrics() {
    ModelConfig config = InferenceTesting.embedding();
    List<Document> docs = InferenceTesting.documents(40, 12);
    Map<String, float[]> direct = new HashMap<>();
    long tokens = 0;
    try (LoadedModel model = LoadedModel.load(config)) {
      SentenceEmbedder embedder = new SentenceEmbedder(model);
      for (Document d : docs) {
        direct.put(d.id(), embedder.embed(List.of(d.text()))[0]);
        tokens += embedder.encode(d.text()).length;
      }
    }
    long loadsBefore = SharedModels.loadCount();
    Pipeline p = TestPipelines.create("--targetParallelism=4");
    PCollectionTuple out = p.apply(Create.of(docs)).apply(Embed.with(config).withMaxBatchSize(4));
    assertCosines(out.get(Embed.EMBEDDINGS), direct, 1 - 1e-9, "vs SentenceEmbedder");
    PipelineResult result = p.run();
    TestPipelines.await(result);
    assertEquals(1, SharedModels.loadCount() - loadsBefore, "one load for every DoFn instance");
    assertEquals(0, SharedModels.refCount(config), "released in @Teardown");
    assertEquals(40, counter(result, Embed.class, "documents", null));
    assertEquals(40, counter(result, Embed.class, "results", null));
    assertEquals(0, counter(result, Embed.class, "deadLetters", null));
    assertEquals(tokens, counter(result, Embed.class, "tokens", null));
    assertTrue(counter(result, Embed.class, "paddedTokens", null) >= tokens);
    long batches = counter(result, Embed.class, "batches", null);
    assertTrue(batches >= 10, "at most 4 documents per batch: " + batches);
    DistributionResult latency = distribution(result, Embed.class, "batchLatencyMicros", null);
    assertEquals(batches, latency.getCount());
    assertTrue(latency.getMin() > 0, latency.toString());
    DistributionResult size = distribution(result, Embed.class, "batchSize", null);
    assertEquals(40, size.getSum());
    assertTrue(size.getMax() <= 4, size.toString());
    DistributionResult load = distribution(result, Embed.class, "modelLoadMillis", null);
    assertEquals(1, load.getCount(), "model load time is reported once per JVM: " + load);
  }

  /** Stamps document {@code dNN} at NN minutes. */
  private static final class StampFn extends DoFn<Document, Document> {
    @ProcessElement
    public void process(@Element Document d, OutputReceiver<Document> out) {
      out.outputWithTimestamp(d, minute(Integer.parseInt(d.id().substring(1))));
    }
  }

  private static Instant minute(int m) {
    return new Instant(0).plus(Duration.standardMinutes(m));
  }

  /** "id@millis" of each embedding, in its window. */
  private static final class DescribeFn extends DoFn<Embedding, String> {
    @ProcessElement
    public void process(
        @Element Embedding e, @Timestamp Instant t, OutputReceiver<String> out) {
      out.output(e.id() + "@" + t.getMillis());
    }
  }

  /**
   * Many flushes in one bundle (a buffer of 4): each runs while the next is tokenized and is
   * emitted when the next is handed over. Every document comes out exactly once, with the vector a
   * single flush of the whole bundle gives (batches of one, so no padding differs).
   */
  @Test
  void pipelinedFlushesEmitEveryResultOnceWithTheSameVectors() {
    List<Document> docs = InferenceTesting.documents(37, 7);
    Pipeline p = TestPipelines.create();
    PCollection<Document> in = oneBundle(p, "Docs", docs);
    Embed embed = Embed.with(InferenceTesting.embedding()).withMaxBatchSize(1);
    PCollection<String> small = in.apply("Small", embed.withMaxBufferedDocuments(4)).get(Embed.EMBEDDINGS)
        .apply("S", MapElements.into(TypeDescriptors.strings()).via(e -> e.id() + "=" + java.util.Arrays.toString(e.vector())));
    PCollection<String> whole = in.apply("Whole", embed.withMaxBufferedDocuments(1000)).get(Embed.EMBEDDINGS)
        .apply("W", MapElements.into(TypeDescriptors.strings()).via(e -> e.id() + "=" + java.util.Arrays.toString(e.vector())));
    PAssert.that(PCollectionList.of(small).and(whole).apply(Flatten.pCollections()).apply(Count.perElement()))
        .satisfies(counts -> {
          int n = 0;
          for (KV<String, Long> c : counts) {
            assertEquals(2L, c.getValue(), "once from each: " + c.getKey());
            n++;
          }
          assertEquals(37, n);
          return null;
        });
    TestPipelines.run(p);
  }

  @Test
  void resultsKeepTheirDocumentsWindowAndTimestamp() {
    List<Document> docs = InferenceTesting.documents(6, 5); // d00 .. d05 at minutes 0 .. 5
    Pipeline p = TestPipelines.create();
    PCollection<Document> windowed =
        oneBundle(p, "Docs", docs)
            .apply("Stamp", ParDo.of(new StampFn()))
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(3))));
    Embed embed = Embed.with(InferenceTesting.embedding());
    // Flushed at the end of the bundle (one buffer per window) ...
    PCollection<String> atFinish =
        windowed.apply("AtFinish", embed).get(Embed.EMBEDDINGS).apply("D1", ParDo.of(new DescribeFn()));
    // ... and flushed document by document while processing.
    PCollection<String> atProcess =
        windowed
            .apply("AtProcess", embed.withMaxBatchSize(1).withMaxBufferedDocuments(1))
            .get(Embed.EMBEDDINGS)
            .apply("D2", ParDo.of(new DescribeFn()));
    IntervalWindow first = new IntervalWindow(minute(0), minute(3));
    IntervalWindow second = new IntervalWindow(minute(3), minute(6));
    for (PCollection<String> out : List.of(atFinish, atProcess)) {
      PAssert.that(out)
          .inWindow(first)
          .containsInAnyOrder("d00@0", "d01@60000", "d02@120000");
      PAssert.that(out)
          .inWindow(second)
          .containsInAnyOrder("d03@180000", "d04@240000", "d05@300000");
    }
    TestPipelines.run(p);
  }

  @Test
  void aMissingModelFileFailsAtStartNamingTheFile() {
    ModelConfig missing =
        ModelConfig.embedding(
            ModelLocation.of("/nonexistent/minilm/model.onnx"),
            Fixtures.tokenizer(Fixtures.Frame.WRAPPED));
    Pipeline p = TestPipelines.create();
    p.apply(Create.of(documents(TEXTS))).apply(Embed.with(missing));
    Exception e = assertThrows(Exception.class, () -> TestPipelines.run(p));
    assertTrue(messages(e).contains("/nonexistent/minilm/model.onnx"), messages(e));
  }

  @Test
  void aModelWithTheWrongInputsFailsAtStartNamingThem() {
    ModelConfig wrong =
        ModelConfig.embedding(
            ModelLocation.ofBytes("decoder-as-embedder.onnx", Fixtures.decoderModel()),
            Fixtures.tokenizer(Fixtures.Frame.WRAPPED));
    Pipeline p = TestPipelines.create();
    p.apply(Create.of(documents(TEXTS))).apply(Embed.with(wrong));
    Exception e = assertThrows(Exception.class, () -> TestPipelines.run(p));
    String m = messages(e);
    assertTrue(
        m.contains("decoder-as-embedder.onnx")
            && m.contains("no input 'attention_mask'")
            && m.contains("encoder_hidden_states"),
        m);
  }

  @Test
  void withMethodsValidateAndNameTheParameter() {
    Embed e = Embed.with(InferenceTesting.embedding());
    assertMessage(() -> e.withMaxBatchSize(70_000), "maxBatchSize", "[1, 65536]", "got: 70000");
    assertMessage(() -> e.withMaxBatchTokens(0), "maxBatchTokens", "got: 0");
    assertMessage(() -> e.withMaxBufferedDocuments(-1), "maxBufferedDocuments", "got: -1");
    assertMessage(
        () -> e.withMaxBufferingDuration(Duration.millis(-1)), "maxBufferingDuration", "positive");
    assertMessage(() -> e.withModel(InferenceTesting.causal()), "model", "EMBEDDING", "CAUSAL_LM");
    assertMessage(() -> Embed.with(null), "model");
  }

  @Test
  void displayDataShowsModelUriAndBatching() {
    Embed e =
        Embed.allMiniLmL6V2()
            .withMaxBatchSize(12)
            .withMaxBatchTokens(3000)
            .withMaxBufferingDuration(Duration.standardSeconds(3));
    Map<String, Object> items = new HashMap<>();
    for (DisplayData.Item i : DisplayData.from(e).items()) {
      items.put(i.getKey(), i.getValue());
    }
    assertEquals("classpath:all-minilm-l6-v2.onnx", items.get("modelUri"));
    assertEquals("all-MiniLM-L6-v2", items.get("model"));
    assertEquals(12, ((Number) items.get("maxBatchSize")).intValue());
    assertEquals(3000, ((Number) items.get("maxBatchTokens")).intValue());
    assertEquals(192, ((Number) items.get("maxBufferedDocuments")).intValue());
    assertEquals(256, ((Number) items.get("maxTokens")).intValue());
    assertEquals("MEAN", items.get("pooling"));
    assertEquals("embed", e.metadata().get("stage"));
    assertEquals("all-MiniLM-L6-v2", e.metadata().get("model"));
  }
}
