package dev.dataselect.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

  private static ModelConfig base() {
    return ModelConfig.embedding(
        ModelLocation.of("gs://bucket/model.onnx"), ModelLocation.of("gs://bucket/tokenizer.json"));
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) throws IOException, ClassNotFoundException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (T) in.readObject();
    }
  }

  @Test
  void equalConfigsAreEqualWhateverTheOrderOfSettings() {
    ModelConfig a = base().withPooling(Pooling.CLS).withMaxTokens(128).withIntraOpThreads(2);
    ModelConfig b = base().withIntraOpThreads(2).withMaxTokens(128).withPooling(Pooling.CLS);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, a.withMaxTokens(129));
    assertNotEquals(a, a.withTextPrefix("passage: "));
    assertNotEquals(a, a.withOptimizationLevel(OptimizationLevel.BASIC));
    assertNotEquals(a, a.withCuda(0));
    assertNotEquals(a.withCuda(0), a.withCuda(1));
    assertNotEquals(a.withCuda(0), a.withCuda(0).withCpuFallback(true));
  }

  @Test
  void serializesWithValueEquality() throws Exception {
    ModelConfig config =
        ModelConfig.encoderDecoder(
                ModelLocation.ofBytes("enc", new byte[] {1, 2, 3}),
                ModelLocation.of("classpath:dec.onnx"),
                ModelLocation.ofPath(java.nio.file.Paths.get("tok.json")))
            .withCuda(1)
            .withCpuFallback(true)
            .withDecoderStartTokenId(0);
    ModelConfig copy = roundTrip(config);
    assertEquals(config, copy);
    assertEquals(config.hashCode(), copy.hashCode());
  }

  @Test
  void byteLocationsCompareByContent() {
    assertEquals(
        ModelLocation.ofBytes("m", new byte[] {1, 2}), ModelLocation.ofBytes("m", new byte[] {1, 2}));
    assertNotEquals(
        ModelLocation.ofBytes("m", new byte[] {1, 2}), ModelLocation.ofBytes("m", new byte[] {1, 3}));
    assertTrue(ModelLocation.ofBytes("m", new byte[] {1}).isBytes());
    assertTrue(ModelLocation.of("/tmp/x.onnx").isLocalFile());
    assertTrue(ModelLocation.of("file:/tmp/x.onnx").isLocalFile());
    assertTrue(!ModelLocation.of("gs://b/x.onnx").isLocalFile());
    assertTrue(!ModelLocation.ofClasspath("x.onnx").isLocalFile());
  }

  @Test
  void validationMessagesNameTheParameterAndValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> base().withMaxTokens(1));
    assertTrue(e.getMessage().contains("maxTokens") && e.getMessage().contains("1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> base().withIntraOpThreads(-1));
    assertTrue(e.getMessage().contains("intraOpThreads"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> base().withCuda(-2));
    assertTrue(e.getMessage().contains("cudaDeviceId") && e.getMessage().contains("-2"));
    assertThrows(IllegalArgumentException.class, () -> ModelLocation.of(" "));
  }

  @Test
  void presetsDescribeTheirModels() {
    ModelConfig minilm = ModelPresets.allMiniLmL6V2();
    assertEquals(Pooling.MEAN, minilm.pooling());
    assertEquals(256, minilm.maxTokens());
    ModelLocation m = ModelLocation.of("/m/model.onnx");
    ModelLocation t = ModelLocation.of("/m/tokenizer.json");
    assertEquals(Pooling.CLS, ModelPresets.bgeSmallEnV15(m, t).pooling());
    assertEquals("passage: ", ModelPresets.e5SmallV2(m, t).textPrefix());
    assertEquals(Pooling.MEAN, ModelPresets.e5SmallV2(m, t).pooling());
    assertEquals(PaddingSide.LEFT, ModelPresets.causalLm(m, t, 1024).paddingSide());
  }
}
