package dev.dataselect.benchmarks;

import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.embed.SentenceEmbedder;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * all-MiniLM-L6-v2 embeddings (256 tokens, mean pooling) of the shared real web documents, computed
 * once with the project's embedder and cached in {@code benchmarks/target/web-minilm.dsemb}.
 */
final class WebEmbeddings {
  private WebEmbeddings() {}

  static List<Embedding> load() throws IOException {
    Path cache = Path.of("benchmarks", "target", "web-minilm.dsemb");
    if (Files.isRegularFile(cache)) {
      return EmbeddingsFile.read(cache);
    }
    List<Document> docs = WebDocuments.load(BenchSupport.sharedData(), Integer.MAX_VALUE);
    System.err.println("embedding " + docs.size() + " web documents with all-MiniLM-L6-v2 (once; cached in " + cache + ") ...");
    float[][] vectors;
    try (LoadedModel model = LoadedModel.load(ModelPresets.allMiniLmL6V2())) {
      vectors = new SentenceEmbedder(model).embed(docs.stream().map(Document::text).collect(Collectors.toList()), 8);
    }
    List<Embedding> out = new ArrayList<>();
    for (int i = 0; i < docs.size(); i++) {
      out.add(Embedding.of(docs.get(i).id(), vectors[i]));
    }
    Files.createDirectories(cache.getParent());
    EmbeddingsFile.write(cache, out);
    return out;
  }
}
