package dev.dataselect.models.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.SharedModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 from the langchain4j jar on the classpath. */
class MiniLmTest {

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void embedsParaphrasesCloserThanUnrelatedSentences() {
    try (SharedModels.Handle handle =
        SharedModels.acquire(ModelPresets.allMiniLmL6V2().withIntraOpThreads(2))) {
      SentenceEmbedder embedder = new SentenceEmbedder(handle.model());
      List<String> texts =
          List.of(
              "A man is playing a guitar on stage.",
              "Someone performs music with a guitar in front of an audience.",
              "The quarterly tax filing deadline is next Tuesday.");
      float[][] v = embedder.embed(texts);
      assertEquals(384, embedder.dimension());
      for (float[] x : v) {
        assertEquals(384, x.length);
        assertEquals(1.0, Math.sqrt(dot(x, x)), 1e-5);
      }
      double paraphrase = dot(v[0], v[1]);
      double unrelated = Math.max(dot(v[0], v[2]), dot(v[1], v[2]));
      System.out.printf(
          "MiniLM: load %d ms, cos(paraphrase)=%.4f, max cos(unrelated)=%.4f%n",
          handle.loadTime().toMillis(), paraphrase, unrelated);
      assertTrue(paraphrase > unrelated + 0.3, paraphrase + " vs " + unrelated);

      // The jar's tokenizer.json truncates at 128; this module's budget (256) applies instead.
      String longText = "word ".repeat(400);
      assertEquals(256, embedder.tokenCounts(List.of(longText))[0]);

      // Alone vs in a padded batch, and a quick timing.
      float[][] batch = embedder.embed(List.of(texts.get(0), longText, texts.get(2)));
      double maxDiff = 0;
      for (int k = 0; k < 384; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(batch[0][k] - v[0][k]));
        maxDiff = Math.max(maxDiff, Math.abs(batch[2][k] - v[2][k]));
      }
      System.out.printf("MiniLM: max |alone - padded batch| = %.3e%n", maxDiff);
      assertTrue(maxDiff < 1e-4, "max difference " + maxDiff);

      String doc = "The quick brown fox jumps over the lazy dog near the river bank. ".repeat(12);
      List<String> docs = java.util.Collections.nCopies(16, doc);
      int tokens = embedder.tokenCounts(List.of(doc))[0];
      embedder.embed(docs.subList(0, 4), 1); // warm-up
      long start = System.nanoTime();
      embedder.embed(docs, 1);
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "MiniLM: %d docs x %d tokens, batch 1, 2 threads: %.1f docs/s, %.0f tokens/s%n",
          docs.size(), tokens, docs.size() / seconds, docs.size() * tokens / seconds);
    }
  }
}
