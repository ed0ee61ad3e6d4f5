package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.student.Example;
import dev.dataselect.transforms.student.SignalFeatures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A labelled development set built from the shared web documents the way GPT-3's and DCLM's quality
 * classifiers were trained: documents of curated sources are positive (label 1: {@code
 * c4-en-30}, {@code guardian-10}, {@code ccnet-head-20}, {@code redpajama-20}), raw Common Crawl
 * extractions negative (label 0: {@code cc-2019-30-raw-697}). The HPLT and cc-100 files are left
 * out. A document's source is the file part of its id ({@code file#index}, as {@link WebDocuments}
 * makes them); its embedding is the cached all-MiniLM-L6-v2 vector of {@link WebEmbeddings} and its
 * signals are {@link SignalFeatures#of} its text. Rows are in {@link WebDocuments} order.
 *
 * <p>The labels say where a document came from, not what a person thought of it: a proxy task.
 */
final class ReferenceVsCrawl {
  static final Set<String> POSITIVE_FILES =
      Set.of("c4-en-30.jsonl.gz", "guardian-10.jsonl.gz", "ccnet-head-20.jsonl.gz", "redpajama-20.jsonl.gz");
  static final String NEGATIVE_FILE = "cc-2019-30-raw-697.jsonl.gz";
  static final String NOTE = "reference-vs-crawl is a proxy task (source labels), not human judgement";

  final List<String> ids;
  final List<String> texts;
  final float[][] embeddings;
  final float[][] signals;
  final double[] labels;
  /** Seconds spent computing {@link SignalFeatures#of} over every text, once. */
  final double signalSeconds;

  private ReferenceVsCrawl(List<String> ids, List<String> texts, float[][] embeddings, float[][] signals,
      double[] labels, double signalSeconds) {
    this.ids = ids;
    this.texts = texts;
    this.embeddings = embeddings;
    this.signals = signals;
    this.labels = labels;
    this.signalSeconds = signalSeconds;
  }

  /** The source file of an id {@code file#index}. */
  static String fileOf(String id) {
    int hash = id.lastIndexOf('#');
    return hash < 0 ? id : id.substring(0, hash);
  }

  static ReferenceVsCrawl load() throws IOException {
    Map<String, float[]> vectors = new HashMap<>();
    for (Embedding e : WebEmbeddings.load()) {
      vectors.put(e.id(), e.vector());
    }
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<float[]> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (Document d : WebDocuments.load(BenchSupport.sharedData(), Integer.MAX_VALUE)) {
      String file = fileOf(d.id());
      boolean positive = POSITIVE_FILES.contains(file);
      if (!positive && !file.equals(NEGATIVE_FILE)) {
        continue;
      }
      float[] v = vectors.get(d.id());
      if (v == null) {
        throw new IOException("no cached embedding for " + d.id() + ": delete benchmarks/target/web-minilm.dsemb to recompute");
      }
      ids.add(d.id());
      texts.add(d.text());
      x.add(v);
      y.add(positive ? 1.0 : 0.0);
    }
    long t = System.nanoTime();
    float[][] s = new float[texts.size()][];
    for (int i = 0; i < s.length; i++) {
      s[i] = SignalFeatures.of(texts.get(i));
    }
    double seconds = BenchSupport.seconds(t);
    return new ReferenceVsCrawl(List.copyOf(ids), List.copyOf(texts), x.toArray(new float[0][]), s,
        y.stream().mapToDouble(Double::doubleValue).toArray(), seconds);
  }

  int size() {
    return ids.size();
  }

  int positives() {
    int n = 0;
    for (double v : labels) {
      n += v == 1 ? 1 : 0;
    }
    return n;
  }

  /** The training example of row {@code i}: embedding, signals, label. */
  Example example(int i) {
    return Example.of(ids.get(i), embeddings[i], signals[i], labels[i]);
  }

  /** The examples of the given rows, in that order. */
  List<Example> examples(Iterable<Integer> rows) {
    List<Example> out = new ArrayList<>();
    for (int i : rows) {
      out.add(example(i));
    }
    return out;
  }
}
