package dev.dataselect.transforms.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.ModelPresets;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The score store around Embed (real MiniLM) on the DirectRunner: fill, serve, grow, refingerprint, survive a cut file. */
class ScoreStoreTest {
  @TempDir Path dir;

  private static final Map<String, ConcurrentLinkedQueue<String>> OUT = new ConcurrentHashMap<>();

  /** What one run produced: the embeddings by id, and the ids served, scored and the files skipped. */
  static final class Run {
    final Map<String, float[]> embeddings = new TreeMap<>();
    final Map<String, Double> scores = new TreeMap<>();
    final List<String> values = new ArrayList<>();
    final List<String> served = new ArrayList<>();
    final List<String> scored = new ArrayList<>();
    final List<String> skipped = new ArrayList<>();
  }

  private static List<Document> docs(int from, int to, String idPrefix) {
    List<Document> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(Document.of(idPrefix + i, "Document number " + i + " talks about " + (i % 2 == 0 ? "rivers and bridges" : "music and film")
          + ", with detail " + (i * 7919 % 1000) + ".", "test"));
    }
    return out;
  }

  private Run run(List<Document> docs, Embed embed) {
    Run r = through(docs, store().embed(embed), Embed.EMBEDDINGS, e -> e.id() + "=" + java.util.Arrays.toString(e.vector()));
    for (String line : r.values) {
      String[] kv = line.split("=", 2);
      String[] parts = kv[1].substring(1, kv[1].length() - 1).split(", ");
      float[] v = new float[parts.length];
      for (int i = 0; i < v.length; i++) {
        v[i] = Float.parseFloat(parts[i]);
      }
      r.embeddings.put(kv[0], v);
    }
    return r;
  }

  private ScoreStore store() {
    return ScoreStore.at(dir.resolve("store").toString()).withFlushEntries(4).withShards(3);
  }

  /** Runs {@code docs} through a stage with the store; its values as strings, and the ids served and scored. */
  private <V> Run through(List<Document> docs, ScoreStore.Stored<V> stage, org.apache.beam.sdk.values.TupleTag<V> values,
      org.apache.beam.sdk.transforms.SerializableFunction<V, String> asString) {
    String key = java.util.UUID.randomUUID().toString();
    for (String s : List.of("values", "served", "scored", "skipped")) {
      OUT.put(key + s, new ConcurrentLinkedQueue<>());
    }
    Pipeline p = TestPipelines.create();
    PCollectionTuple t = p.apply(Create.of(docs)).apply(stage);
    t.get(values).apply("CollectValues", ParDo.of(new Collect<>(key + "values", asString)));
    t.get(ScoreStore.SERVED).apply("CollectServed", ParDo.of(new Collect<>(key + "served", s -> s)));
    t.get(ScoreStore.SCORED).apply("CollectScored", ParDo.of(new Collect<>(key + "scored", s -> s)));
    t.get(ScoreStore.SKIPPED_FILES).apply("CollectSkipped", ParDo.of(new Collect<>(key + "skipped", s -> s)));
    TestPipelines.run(p);
    Run r = new Run();
    r.values.addAll(OUT.get(key + "values"));
    r.served.addAll(OUT.get(key + "served"));
    r.scored.addAll(OUT.get(key + "scored"));
    r.skipped.addAll(OUT.get(key + "skipped"));
    return r;
  }

  private static final class Collect<T> extends DoFn<T, Void> {
    private final String key;
    private final org.apache.beam.sdk.transforms.SerializableFunction<T, String> f;

    Collect(String key, org.apache.beam.sdk.transforms.SerializableFunction<T, String> f) {
      this.key = key;
      this.f = f;
    }

    @ProcessElement
    public void process(@Element T t) {
      OUT.get(key).add(f.apply(t));
    }
  }

  private List<Path> parts(Embed embed) throws IOException {
    Path folder = Path.of(store().embed(embed).folder().replace("file:", ""));
    try (Stream<Path> s = Files.list(folder)) {
      return s.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().collect(Collectors.toList());
    }
  }

  /** ASK-LLM (the Flan-T5-shaped fixture) through the store: scores by id, and the ids served and scored. */
  private Run askLlm(List<Document> docs, AskLlmScore score) {
    Run r = through(docs, store().askLlm(score), AskLlmScore.SCORES, s -> s.id() + "=" + s.score());
    for (String line : r.values) {
      String[] kv = line.split("=", 2);
      r.scores.put(kv[0], Double.parseDouble(kv[1]));
    }
    return r;
  }

  @Test
  void askLlmScoresAreServedExactlyAndAnotherPromptTemplateScoresEverythingAgain() {
    List<Document> docs = new ArrayList<>();
    String[] words = {"the cat sat on the mat", "a dog ran", "the big red ball", "cat", "the dog sat on the red mat"};
    for (int i = 0; i < 10; i++) {
      docs.add(Document.of("q" + i, words[i % words.length] + (i >= words.length ? " the cat" : ""), "test"));
    }
    AskLlmScore score = AskLlmScore.with(InferenceTesting.encoderDecoder(false)).withTemplate(InferenceTesting.TEMPLATE).withMaxBatchSize(4);
    Run first = askLlm(docs, score);
    assertEquals(10, first.scored.size());
    assertEquals(10, first.scores.size());
    Run second = askLlm(docs, score);
    assertEquals(0, second.scored.size(), "every score is served");
    assertEquals(10, second.served.size());
    assertEquals(first.scores, second.scores, "a served score is the stored double, bit for bit");
    // The prompt template is part of the fingerprint: another template is another folder.
    AskLlmScore other = score.withTemplate("### {document} ### yes no the");
    Run third = askLlm(docs, other);
    assertEquals(10, third.scored.size(), "another template scores every document again");
    assertEquals(0, third.served.size());
    assertNotEquals(store().askLlm(score).folder(),
        store().askLlm(other).folder());
  }

  @Test
  void aSecondRunIsServedFromTheStoreWithTheSameVectors() throws IOException {
    Embed embed = Embed.allMiniLmL6V2().withMaxBatchSize(4);
    List<Document> docs = docs(0, 24, "d");
    Run first = run(docs, embed);
    assertEquals(24, first.scored.size());
    assertEquals(0, first.served.size());
    assertEquals(24, first.embeddings.size());
    assertTrue(parts(embed).size() >= 6, "written as it goes, at most 4 entries a file: " + parts(embed));
    Path folder = parts(embed).get(0).getParent();
    assertTrue(Files.readString(folder.resolve("fingerprint.json")).contains("all-MiniLM-L6-v2"));
    try (Stream<Path> s = Files.list(folder)) {
      assertTrue(s.noneMatch(f -> f.getFileName().toString().startsWith(".tmp-")), "no temporary file is left");
    }

    // Renamed ids, same texts: every document is served, with the stored vector.
    List<Document> renamed = new ArrayList<>();
    for (Document d : docs) {
      renamed.add(Document.of("renamed-" + d.id(), d.text(), "elsewhere"));
    }
    Run second = run(renamed, embed);
    assertEquals(0, second.scored.size());
    assertEquals(24, second.served.size());
    for (Document d : docs) {
      assertArrayEquals(first.embeddings.get(d.id()), second.embeddings.get("renamed-" + d.id()), d.id());
    }
  }

  @Test
  void aGrownCorpusScoresOnlyItsNewDocuments() {
    Embed embed = Embed.allMiniLmL6V2().withMaxBatchSize(4);
    run(docs(0, 20, "d"), embed);
    Run grown = run(docs(0, 22, "d"), embed);
    assertEquals(List.of("d20", "d21"), grown.scored.stream().sorted().collect(Collectors.toList()));
    assertEquals(20, grown.served.size());
    assertEquals(22, grown.embeddings.size());
  }

  @Test
  void anotherTruncationIsAnotherFingerprintAndScoresEverythingAgain() {
    List<Document> docs = docs(0, 10, "d");
    Embed e256 = Embed.allMiniLmL6V2().withMaxBatchSize(4);
    Embed e128 = Embed.with(ModelPresets.allMiniLmL6V2().withMaxTokens(128)).withMaxBatchSize(4);
    run(docs, e256);
    assertNotEquals(ScoreStore.at("s").embed(e256).folder(), ScoreStore.at("s").embed(e128).folder());
    Run other = run(docs, e128);
    assertEquals(10, other.scored.size());
    assertEquals(0, other.served.size());
    assertEquals(10, run(docs, e256).served.size(), "the first fingerprint's entries are still there");
  }

  @Test
  void aFileCutInTheMiddleIsReportedSkippedAndItsDocumentsScoredAgain() throws IOException {
    Embed embed = Embed.allMiniLmL6V2().withMaxBatchSize(4);
    List<Document> docs = docs(0, 16, "d");
    Run first = run(docs, embed);
    Path cut = parts(embed).get(0);
    byte[] bytes = Files.readAllBytes(cut);
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    // and a retried bundle's copy of another file: its entries twice
    Path copy = parts(embed).get(1);
    Files.copy(copy, copy.resolveSibling("part-copy.parquet"));
    Run second = run(docs, embed);
    assertEquals(1, second.skipped.size(), second.skipped.toString());
    assertTrue(second.skipped.get(0).contains(cut.getFileName().toString()), second.skipped.toString());
    assertTrue(second.scored.size() >= 1 && second.scored.size() <= 4, "the cut file's entries: " + second.scored);
    assertEquals(16, second.served.size() + second.scored.size());
    assertEquals(16, second.embeddings.size(), "each document once, duplicates in the store or not");
    for (Document d : docs) {
      assertArrayEquals(first.embeddings.get(d.id()), second.embeddings.get(d.id()), 1e-6f, d.id());
    }
  }

  @Test
  void theFingerprintCoversEveryMetadataEntryAndTheModelFilesIdentity() throws IOException {
    TreeMap<String, String> m = new TreeMap<>(Map.of("stage", "askllm", "template", "Is this informative? {text}", "maxTokens", "512"));
    String base = ScoreStore.fingerprint(m);
    TreeMap<String, String> template = new TreeMap<>(m);
    template.put("template", "Is this good? {text}");
    assertNotEquals(base, ScoreStore.fingerprint(template));
    TreeMap<String, String> tokens = new TreeMap<>(m);
    tokens.put("maxTokens", "256");
    assertNotEquals(base, ScoreStore.fingerprint(tokens));
    assertEquals(base, ScoreStore.fingerprint(new TreeMap<>(m)));
    // a model file rewritten at the same path changes the identity (its size here)
    Path model = Files.writeString(dir.resolve("model.onnx"), "weights v1");
    String v1 = ScoreStore.identity(m, Map.of("modelUri", model.toString())).get("modelUri.identity");
    Files.writeString(model, "weights v2, longer");
    String v2 = ScoreStore.identity(m, Map.of("modelUri", model.toString())).get("modelUri.identity");
    assertTrue(v1 != null && v1.startsWith("size="), v1);
    assertNotEquals(v1, v2);
    assertEquals(32, ScoreStore.textHash("hello").length());
    assertNotEquals(ScoreStore.textHash("hello"), ScoreStore.textHash("hello "));
  }
}
