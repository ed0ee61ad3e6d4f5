package dev.dataselect.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class EmbeddingTest {
  @Test
  void coderRoundTripsExactlyAndIsDeterministic() throws Exception {
    Embedding e = Embedding.of("doc-1", new float[] {1.5f, -0.0f, Float.MIN_VALUE, 3e38f});
    byte[] bytes = CoderUtils.encodeToByteArray(Embedding.EmbeddingCoder.of(), e);
    Embedding back = CoderUtils.decodeFromByteArray(Embedding.EmbeddingCoder.of(), bytes);
    assertEquals(e, back);
    assertArrayEquals(e.vector(), back.vector());
    // id (1 length byte + 5) + dimension (1) + 4 raw floats
    assertEquals(6 + 1 + 16, bytes.length);
    assertArrayEquals(bytes, CoderUtils.encodeToByteArray(Embedding.EmbeddingCoder.of(), back));
    Embedding.EmbeddingCoder.of().verifyDeterministic();
  }

  @Test
  void isImmutable() {
    float[] v = {1f, 2f};
    Embedding e = Embedding.of("a", v);
    v[0] = 9f;
    assertEquals(1f, e.get(0));
    assertNotSame(e.vector(), e.vector());
    e.vector()[0] = 9f;
    assertEquals(1f, e.get(0));
  }

  @Test
  void rejectsEmptyAndNonFiniteVectors() {
    IllegalArgumentException empty =
        assertThrows(IllegalArgumentException.class, () -> Embedding.of("x", new float[0]));
    assertTrue(empty.getMessage().contains("x"), empty.getMessage());
    IllegalArgumentException nan =
        assertThrows(
            IllegalArgumentException.class, () -> Embedding.of("y", new float[] {0f, Float.NaN}));
    assertTrue(nan.getMessage().contains("index 1"), nan.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Embedding.of("z", new float[] {Float.POSITIVE_INFINITY}));
  }
}
