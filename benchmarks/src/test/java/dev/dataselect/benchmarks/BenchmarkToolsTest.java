package dev.dataselect.benchmarks;

import dev.dataselect.transforms.student.HeldOutMetrics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dataselect.transforms.Embedding;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmarks' helpers; the benchmarks themselves never run in the build. */
class BenchmarkToolsTest {
  @Test
  void embeddingsFileRoundTripsWithTheDocumentedLayout(@TempDir Path dir) throws IOException {
    List<Embedding> e =
        List.of(
            Embedding.of("a", new float[] {1f, -2f, 3.5f}),
            Embedding.of("é€", new float[] {0f, 1e-7f, -0f}));
    Path path = dir.resolve("e.bin");
    EmbeddingsFile.write(path, e);
    assertEquals(e, EmbeddingsFile.read(path));
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(2, b.getInt(12));
    assertEquals(3, b.getInt(16));
    assertEquals(-2f, b.getFloat(32 + 4));
    assertEquals(32 + 6 * 4 + (4 + 1) + (4 + 5), b.capacity());
    Files.write(path, new byte[40]);
    assertThrows(IOException.class, () -> EmbeddingsFile.read(path));
  }

  @Test
  void spearmanAveragesTiesAndIsInvariantToMonotoneMaps() {
    double[] x = {1, 2, 3, 4, 5};
    double[] y = {1, 4, 9, 16, 25};
    assertEquals(1.0, HeldOutMetrics.spearman(x, y), 1e-12);
    assertEquals(-1.0, HeldOutMetrics.spearman(x, new double[] {5, 4, 3, 2, 1}), 1e-12);
    // Ties get their average rank: (1, 2.5, 2.5, 4) against (1, 2, 3, 4).
    assertEquals(0.9486832980505138, HeldOutMetrics.spearman(new double[] {10, 20, 20, 30}, new double[] {1, 2, 3, 4}), 1e-12);
  }

  @Test
  void syntheticCorpusIsDeterministicAndOnTheUnitSphere() {
    List<Embedding> a = SyntheticEmbeddings.generate(50, 8, 3, 4);
    assertEquals(a, SyntheticEmbeddings.generate(50, 8, 3, 4));
    for (Embedding e : a) {
      double s = 0;
      for (float f : e.vector()) {
        s += f * f;
      }
      assertEquals(1.0, s, 1e-5);
    }
  }
}
