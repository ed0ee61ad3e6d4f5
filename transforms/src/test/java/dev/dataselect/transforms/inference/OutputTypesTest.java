package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.DocumentScore;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.ModelLocation;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output types' coders, and the model reader. */
class OutputTypesTest {

  private static <T> void roundTrips(Coder<T> coder, T value) throws Exception {
    byte[] bytes = CoderUtils.encodeToByteArray(coder, value);
    T back = CoderUtils.decodeFromByteArray(coder, bytes);
    assertEquals(value, back);
    assertArrayEquals(bytes, CoderUtils.encodeToByteArray(coder, back), "deterministic");
    // Self-delimiting: two values back to back decode as two values.
    java.io.ByteArrayOutputStream two = new java.io.ByteArrayOutputStream();
    coder.encode(value, two);
    coder.encode(value, two);
    java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(two.toByteArray());
    assertEquals(value, coder.decode(in));
    assertEquals(value, coder.decode(in));
    assertEquals(0, in.available());
  }

  @Test
  void coderRoundTripsAreExactAndDeterministic() throws Exception {
    Coder<DocumentScore> scores = DocumentScore.DocumentScoreCoder.of();
    scores.verifyDeterministic();
    assertTrue(scores.consistentWithEquals());
    for (double v : new double[] {0.5, -0.0, 0.0, Double.NaN, Double.MIN_VALUE, 1e300}) {
      roundTrips(scores, DocumentScore.of("id-é", v));
    }
    assertNotEquals(DocumentScore.of("a", 0.0), DocumentScore.of("a", -0.0));
    assertEquals(DocumentScore.of("a", Double.NaN), DocumentScore.of("a", 0.0 / 0.0));
    // id: length 1 + 4 bytes; score: 8 bytes.
    assertEquals(13, CoderUtils.encodeToByteArray(scores, DocumentScore.of("abcd", 1)).length);

    Coder<Embedding> embeddings = Embedding.EmbeddingCoder.of();
    embeddings.verifyDeterministic();
    assertTrue(embeddings.consistentWithEquals());
    roundTrips(embeddings, Embedding.of("x", new float[] {1f, -0f, Float.MAX_VALUE, 1e-40f}));
    roundTrips(embeddings, Embedding.of("", new float[] {0f}));
    // One embedding type: finite, non-empty vectors only (Embed dead-letters any other).
    assertThrows(IllegalArgumentException.class, () -> Embedding.of("x", new float[] {1f, Float.NaN}));
    assertThrows(IllegalArgumentException.class, () -> Embedding.of("x", new float[0]));
    assertNotEquals(
        Embedding.of("a", new float[] {0f}), Embedding.of("a", new float[] {-0f}));
    // id: 1 + 4 bytes; dimension: 1; three floats: 12.
    assertEquals(
        18, CoderUtils.encodeToByteArray(embeddings, Embedding.of("abcd", new float[3])).length);
  }

  @Test
  void outputTypesGetTheirCodersByDefaultAndAreImmutable() throws Exception {
    CoderRegistry registry = CoderRegistry.createDefault();
    assertEquals(
        DocumentScore.DocumentScoreCoder.of(),
        registry.getCoder(TypeDescriptor.of(DocumentScore.class)));
    assertEquals(
        Embedding.EmbeddingCoder.of(),
        registry.getCoder(TypeDescriptor.of(Embedding.class)));
    float[] v = {1f, 2f};
    Embedding e = Embedding.of("a", v);
    v[0] = 9f;
    e.vector()[1] = 9f;
    assertArrayEquals(new float[] {1f, 2f}, e.vector());
    assertEquals(5.0, e.dot(Embedding.of("b", new float[] {1f, 2f})), 0.0);
    SerializableUtils.ensureSerializable(Embedding.EmbeddingCoder.of());
  }

  @Test
  void theModelReaderReadsThroughBeamFileSystemsAndNamesWhatIsMissing(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.write(file, "{\"x\":1}".getBytes(StandardCharsets.UTF_8));
    BeamModelReader reader = BeamModelReader.of();
    assertArrayEquals(Files.readAllBytes(file), reader.read(file.toString()));
    assertArrayEquals(Files.readAllBytes(file), reader.read(file.toUri().toString()));
    byte[] resource = reader.read(ModelLocation.CLASSPATH_PREFIX + "all-minilm-l6-v2-tokenizer.json");
    assertTrue(resource.length > 100_000);
    FileNotFoundException missing =
        assertThrows(FileNotFoundException.class, () -> reader.read(dir + "/nope.onnx"));
    assertTrue(missing.getMessage().contains("nope.onnx"), missing.getMessage());
    IOException scheme = assertThrows(IOException.class, () -> reader.read("nosuch://b/model.onnx"));
    assertTrue(scheme.getMessage().contains("nosuch://b/model.onnx"), scheme.getMessage());
    assertEquals(reader, SerializableUtils.clone(reader));
  }
}
