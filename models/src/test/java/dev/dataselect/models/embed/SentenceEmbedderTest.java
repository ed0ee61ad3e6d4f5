package dev.dataselect.models.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.Pooling;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SentenceEmbedderTest {
  private static final List<String> TEXTS =
      List.of("the cat sat on the mat", "a dog", "the big red ball ran", "cat");

  private static LoadedModel withTypes;
  private static LoadedModel withoutTypes;

  private static ModelConfig config(boolean tokenTypeIds) {
    return ModelConfig.embedding(
            ModelLocation.ofPath(
                Fixtures.write(
                    "embed-" + tokenTypeIds + ".onnx", Fixtures.embeddingModel(tokenTypeIds))),
            Fixtures.tokenizer(Fixtures.Frame.WRAPPED))
        .withIntraOpThreads(1);
  }

  @BeforeAll
  static void load() {
    withTypes = LoadedModel.load(config(true));
    withoutTypes = LoadedModel.load(config(false));
  }

  @AfterAll
  static void close() {
    withTypes.close();
    withoutTypes.close();
  }

  /** Tokens as the fixture tokenizer frames them: [<s>, words..., </s>]. */
  private static long[] ids(String text) {
    String[] words = text.split(" ");
    long[] ids = new long[words.length + 2];
    ids[0] = Fixtures.BOS;
    for (int i = 0; i < words.length; i++) {
      ids[i + 1] = Fixtures.id("▁" + words[i]);
    }
    ids[ids.length - 1] = Fixtures.EOS;
    return ids;
  }

  private static float[] normalised(double[] v) {
    double n = 0;
    for (double x : v) {
      n += x * x;
    }
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] / Math.sqrt(n));
    }
    return out;
  }

  private static float[] expectedMean(String text) {
    long[] ids = ids(text);
    double[] acc = new double[Fixtures.D];
    for (long id : ids) {
      double[] h = Fixtures.embeddingState(id);
      for (int k = 0; k < acc.length; k++) {
        acc[k] += h[k] / ids.length;
      }
    }
    return normalised(acc);
  }

  @Test
  void meanPoolingEqualsAHandComputation() {
    SentenceEmbedder embedder = new SentenceEmbedder(withTypes);
    assertEquals(Fixtures.D, embedder.dimension());
    float[][] got = embedder.embed(TEXTS);
    for (int i = 0; i < TEXTS.size(); i++) {
      assertArrayEquals(expectedMean(TEXTS.get(i)), got[i], 1e-5f, TEXTS.get(i));
    }
  }

  @Test
  void preTokenizedEmbeddingEqualsTextEmbedding() {
    SentenceEmbedder embedder = new SentenceEmbedder(withTypes);
    List<long[]> ids = TEXTS.stream().map(embedder::encode).toList();
    for (int i = 0; i < TEXTS.size(); i++) {
      assertArrayEquals(ids(TEXTS.get(i)), ids.get(i));
    }
    float[][] fromIds = embedder.embedIds(ids);
    float[][] fromText = embedder.embed(TEXTS);
    for (int i = 0; i < TEXTS.size(); i++) {
      assertArrayEquals(fromText[i], fromIds[i], 0f);
    }
    assertThrows(IllegalArgumentException.class, () -> embedder.embedIds(List.of()));
  }

  @Test
  void clsPoolingTakesTheFirstToken() {
    try (LoadedModel cls = LoadedModel.load(config(true).withPooling(Pooling.CLS))) {
      float[][] got = new SentenceEmbedder(cls).embed(TEXTS);
      float[] expected = normalised(Fixtures.embeddingState(Fixtures.BOS));
      for (float[] v : got) {
        assertArrayEquals(expected, v, 1e-5f);
      }
    }
  }

  @Test
  void vectorsHaveUnitNorm() {
    for (float[] v : new SentenceEmbedder(withTypes).embed(TEXTS)) {
      double n = 0;
      for (float x : v) {
        n += x * x;
      }
      assertEquals(1.0, Math.sqrt(n), 1e-5);
    }
  }

  @Test
  void aTextEmbedsTheSameAloneAndInAPaddedBatch() {
    SentenceEmbedder embedder = new SentenceEmbedder(withTypes);
    float[][] batch = embedder.embed(TEXTS);
    float[][] bucketed = embedder.embed(TEXTS, 3);
    double maxDiff = 0;
    for (int i = 0; i < TEXTS.size(); i++) {
      float[] alone = embedder.embed(List.of(TEXTS.get(i)))[0];
      for (int k = 0; k < alone.length; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(alone[k] - batch[i][k]));
        maxDiff = Math.max(maxDiff, Math.abs(alone[k] - bucketed[i][k]));
      }
    }
    System.out.printf("fixture embedder: max |alone - batched| = %.3e%n", maxDiff);
    assertTrue(maxDiff <= 1e-5, "max difference " + maxDiff);
  }

  @Test
  void modelsWithAndWithoutTokenTypeIdsAgree() {
    float[][] a = new SentenceEmbedder(withTypes).embed(TEXTS);
    float[][] b = new SentenceEmbedder(withoutTypes).embed(TEXTS);
    for (int i = 0; i < a.length; i++) {
      assertArrayEquals(a[i], b[i], 1e-6f);
    }
  }

  @Test
  void prefixIsPrependedAndTruncationApplies() {
    try (LoadedModel prefixed = LoadedModel.load(config(true).withTextPrefix("the "))) {
      float[] got = new SentenceEmbedder(prefixed).embed(List.of("cat sat"))[0];
      assertArrayEquals(expectedMean("the cat sat"), got, 1e-5f);
    }
    try (LoadedModel short4 = LoadedModel.load(config(true).withMaxTokens(4))) {
      SentenceEmbedder e = new SentenceEmbedder(short4);
      assertArrayEquals(new int[] {4, 3}, e.tokenCounts(List.of("the cat sat on the mat", "cat")));
      assertArrayEquals(expectedMean("the cat"), e.embed(List.of("the cat sat on the mat"))[0], 1e-5f);
    }
  }

  @Test
  void anAllMaskedRowGivesAZeroVectorNotNaN() {
    ModelConfig bare =
        ModelConfig.embedding(
            ModelLocation.ofBytes("embed", Fixtures.embeddingModel(true)),
            Fixtures.tokenizer(Fixtures.Frame.NONE));
    try (LoadedModel m = LoadedModel.load(bare)) {
      float[][] got = new SentenceEmbedder(m).embed(List.of("", "the cat"));
      assertArrayEquals(new float[Fixtures.D], got[0]);
      double n = 0;
      for (float x : got[1]) {
        n += x * x;
      }
      assertEquals(1.0, n, 1e-5);
    }
  }

  @Test
  void refusesOtherModelKinds() {
    ModelConfig causal =
        ModelConfig.causalLm(
            ModelLocation.ofBytes("lm", Fixtures.causalModel(false, false)),
            Fixtures.tokenizer(Fixtures.Frame.BOS));
    try (LoadedModel lm = LoadedModel.load(causal)) {
      assertThrows(IllegalArgumentException.class, () -> new SentenceEmbedder(lm));
    }
  }
}
