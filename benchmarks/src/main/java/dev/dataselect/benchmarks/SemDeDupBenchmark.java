package dev.dataselect.benchmarks;

import static dev.dataselect.benchmarks.BenchSupport.print;

import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.SharedModels;
import dev.dataselect.models.embed.SentenceEmbedder;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.cluster.KMeans;
import dev.dataselect.transforms.cluster.NearestPreceding;
import dev.dataselect.transforms.cluster.SemDeDup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code bin/bench semdedup}: how well SemDeDup finds near-duplicates the benchmark plants among the
 * shared real web documents, and how fast the sampler runs.
 *
 * <p>Planting: from the first {@code --docs=800} shared web documents ({@link WebDocuments}),
 * originals are those with at least 60 words and 3 sentences, taken in order; each of {@code
 * --perEdit=30} originals per edit gets one edited copy, the edits being: words replaced by words
 * of other documents at 2, 5, 10 and 20 % (strengths), the first or second sentence dropped, the
 * first two sentences swapped, and a boilerplate line added at the top. Copies are named {@code
 * <original>~<edit>}. Every other document is left as it is (the raw Common Crawl sample holds a few
 * natural near-duplicates of its own, which count against precision here).
 *
 * <p>Measured: MiniLM embeddings of everything (the job's default model and truncation), then a
 * Beam pipeline (Flink in process, {@code --parallelism=2}) of {@code KMeans.of(--clusters=30)} and
 * {@link SemDeDup}; documents/s of that pipeline (the sampler without the embedding, which is
 * timed apart). For each epsilon of {@code --epsilons}: the documents dropped ({@code similarity >
 * 1 - epsilon}); a planted pair is found when one of its two documents is dropped as a duplicate
 * of the other; recall = found pairs / planted pairs (overall and per edit); precision = dropped
 * documents that are found pairs / dropped documents. Headline: recall at epsilon 0.1.
 */
public final class SemDeDupBenchmark {
  private SemDeDupBenchmark() {}

  private static final String BOILERPLATE = "Share this page on Facebook | Twitter | Email. Cookie policy. Subscribe to our newsletter.";

  /** The copy and its edit, planted from an original. */
  private static final Map<String, String> EDITS = new LinkedHashMap<>();

  static {
    EDITS.put("words02", "2 % of the words replaced");
    EDITS.put("words05", "5 % of the words replaced");
    EDITS.put("words10", "10 % of the words replaced");
    EDITS.put("words20", "20 % of the words replaced");
    EDITS.put("dropSentence", "the first or second sentence dropped");
    EDITS.put("reorder", "the first two sentences swapped");
    EDITS.put("boilerplate", "a boilerplate line added at the top");
  }

  static final Map<String, NearestPreceding> RESULTS = new ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args);
    int count = a.integer("docs", 800);
    int perEdit = a.integer("perEdit", 30);
    int clusters = a.integer("clusters", 30);
    int parallelism = a.integer("parallelism", 2);
    List<Document> web = WebDocuments.load(BenchSupport.sharedData(), count);
    List<String> vocabulary = new ArrayList<>();
    for (Document d : web) {
      for (String w : d.text().split("\\s+")) {
        if (w.matches("[A-Za-z]{3,12}")) {
          vocabulary.add(w.toLowerCase(Locale.ROOT));
        }
      }
    }
    SplittableRandom random = new SplittableRandom(17);
    List<Document> docs = new ArrayList<>(web);
    Map<String, String> partner = new LinkedHashMap<>(); // copy id -> original id
    Map<String, String> editOf = new LinkedHashMap<>(); // copy id -> edit
    int next = 0;
    for (String edit : EDITS.keySet()) {
      int planted = 0;
      while (planted < perEdit && next < web.size()) {
        Document original = web.get(next++);
        List<String> sentences = sentences(original.text());
        if (original.text().split("\\s+").length < 60 || sentences.size() < 3) {
          continue;
        }
        String copy = edit(original.text(), sentences, edit, vocabulary, random);
        String id = original.id() + "~" + edit;
        docs.add(Document.of(id, copy, "planted"));
        partner.put(id, original.id());
        editOf.put(id, edit);
        planted++;
      }
    }
    print("documents", docs.size());
    print("planted_pairs", partner.size());
    print("planting", "per edit " + perEdit + ": " + EDITS.values());

    List<String> texts = new ArrayList<>();
    docs.forEach(d -> texts.add(d.text()));
    List<Embedding> embeddings = new ArrayList<>();
    long t0 = System.nanoTime();
    try (SharedModels.Handle handle = SharedModels.acquire(ModelPresets.allMiniLmL6V2())) {
      float[][] vectors = new SentenceEmbedder(handle.model()).embed(texts, 16);
      for (int i = 0; i < docs.size(); i++) {
        embeddings.add(Embedding.of(docs.get(i).id(), vectors[i]));
      }
    }
    double embedSeconds = BenchSupport.seconds(t0);
    print("embed_docs_per_s", docs.size() / embedSeconds);

    run(embeddings, clusters, parallelism, 2); // warm-up: runner start, JIT
    RESULTS.clear();
    double seconds = run(embeddings, clusters, parallelism, 10);
    print("sampler_how", "FlinkRunner [local] parallelism " + parallelism + ", KMeans.of(" + clusters + ") 10 iterations + SemDeDup, hash order");
    print("sampler_wall_s", seconds);
    print("sampler_docs_per_s", docs.size() / seconds);
    if (RESULTS.size() != docs.size()) {
      throw new IllegalStateException("SemDeDup answered for " + RESULTS.size() + " of " + docs.size() + " documents");
    }

    double headline = Double.NaN;
    for (String e : a.string("epsilons", "0.01,0.02,0.05,0.1,0.15,0.2,0.3").split(",")) {
      double epsilon = Double.parseDouble(e.trim());
      int dropped = 0;
      int droppedInFoundPairs = 0;
      Map<String, int[]> perEditFound = new LinkedHashMap<>();
      EDITS.keySet().forEach(k -> perEditFound.put(k, new int[2]));
      for (NearestPreceding n : RESULTS.values()) {
        if (n.similarity() > 1 - epsilon) {
          dropped++;
          String other = n.duplicateOf();
          if (other != null && (other.equals(partner.get(n.id())) || n.id().equals(partner.get(other)))) {
            droppedInFoundPairs++;
          }
        }
      }
      int found = 0;
      for (Map.Entry<String, String> pair : partner.entrySet()) {
        NearestPreceding copy = RESULTS.get(pair.getKey());
        NearestPreceding original = RESULTS.get(pair.getValue());
        boolean f = (copy.similarity() > 1 - epsilon && pair.getValue().equals(copy.duplicateOf()))
            || (original.similarity() > 1 - epsilon && pair.getKey().equals(original.duplicateOf()));
        int[] c = perEditFound.get(editOf.get(pair.getKey()));
        c[1]++;
        if (f) {
          found++;
          c[0]++;
        }
      }
      String tag = "eps" + e.trim();
      double recall = (double) found / partner.size();
      print(tag + "_dropped", dropped);
      print(tag + "_precision", dropped == 0 ? Double.NaN : (double) droppedInFoundPairs / dropped);
      print(tag + "_recall", recall);
      StringBuilder s = new StringBuilder();
      perEditFound.forEach((k, c) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(' ').append(c[0]).append('/').append(c[1]));
      print(tag + "_recall_by_edit", s);
      if (epsilon == 0.1) {
        headline = recall;
      }
    }
    print("recall_at_eps0.1", headline);
  }

  private static double run(List<Embedding> embeddings, int clusters, int parallelism, int iterations) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=" + parallelism).create());
    PCollection<Embedding> in = p.apply(Create.of(embeddings));
    KMeans.Result r = in.apply(KMeans.of(clusters).withSeed(3).withMaxIterations(iterations));
    in.apply(SemDeDup.within(r.centroidsView()).withSeed(3).withShards(64)).apply(ParDo.of(new CollectFn()));
    long t0 = System.nanoTime();
    p.run().waitUntilFinish();
    return BenchSupport.seconds(t0);
  }

  private static final class CollectFn extends DoFn<NearestPreceding, Void> {
    @ProcessElement
    public void process(@Element NearestPreceding n) {
      RESULTS.put(n.id(), n);
    }
  }

  static List<String> sentences(String text) {
    List<String> out = new ArrayList<>();
    for (String s : text.split("(?<=[.!?])\\s+")) {
      if (!s.isBlank()) {
        out.add(s);
      }
    }
    return out;
  }

  static String edit(String text, List<String> sentences, String edit, List<String> vocabulary, SplittableRandom random) {
    switch (edit) {
      case "dropSentence": {
        List<String> s = new ArrayList<>(sentences);
        s.remove(random.nextInt(2));
        return String.join(" ", s);
      }
      case "reorder": {
        List<String> s = new ArrayList<>(sentences);
        String first = s.get(0);
        s.set(0, s.get(1));
        s.set(1, first);
        return String.join(" ", s);
      }
      case "boilerplate":
        return BOILERPLATE + "\n" + text;
      default: {
        double rate = Integer.parseInt(edit.substring("words".length())) / 100.0;
        String[] words = text.split(" ");
        for (int i = 0; i < words.length; i++) {
          if (random.nextDouble() < rate) {
            words[i] = vocabulary.get(random.nextInt(vocabulary.size()));
          }
        }
        return String.join(" ", words);
      }
    }
  }
}
