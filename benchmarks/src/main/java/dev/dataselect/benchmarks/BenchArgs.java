package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --name=value} arguments shared by the benchmarks, and the corpus they name: {@code
 * --embeddings=PATH} (an {@link EmbeddingsFile}), {@code --synthetic} with {@code --n}, {@code
 * --dim}, {@code --clusters}, {@code --data-seed}.
 */
final class BenchArgs {
  private final Map<String, String> values = new HashMap<>();

  BenchArgs(String[] args) {
    for (String a : args) {
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("arguments look like --name=value, got " + a);
      }
      int eq = a.indexOf('=');
      values.put(
          eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "true" : a.substring(eq + 1));
    }
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  int integer(String name, int fallback) {
    return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
  }

  double number(String name, double fallback) {
    return values.containsKey(name) ? Double.parseDouble(values.get(name)) : fallback;
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.getOrDefault(name, "false"));
  }

  /** The corpus, and a one-line description of it for the output. */
  Corpus corpus() throws IOException {
    if (values.containsKey("embeddings")) {
      Path path = Path.of(values.get("embeddings"));
      return new Corpus(EmbeddingsFile.read(path), "file " + path);
    }
    if (flag("synthetic")) {
      int n = integer("n", 6000);
      int dim = integer("dim", 64);
      int clusters = integer("clusters", 20);
      long seed = integer("data-seed", 1);
      return new Corpus(
          SyntheticEmbeddings.generate(n, dim, clusters, seed),
          "synthetic n=" + n + " dim=" + dim + " clusters=" + clusters + " data-seed=" + seed);
    }
    List<Embedding> web = WebEmbeddings.load();
    return new Corpus(web, "all-MiniLM-L6-v2 embeddings of " + web.size() + " real web documents (shared/data/web)");
  }

  static final class Corpus {
    final List<Embedding> embeddings;
    final String description;

    Corpus(List<Embedding> embeddings, String description) {
      this.embeddings = embeddings;
      this.description = description;
    }
  }
}
