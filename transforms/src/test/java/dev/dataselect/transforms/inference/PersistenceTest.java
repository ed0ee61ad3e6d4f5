package dev.dataselect.transforms.inference;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.DocumentScore;
import static dev.dataselect.transforms.inference.AskLlmScoreTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.collect.ImmutableSortedMap;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceTest {

  private static List<DocumentScore> scores() {
    List<DocumentScore> s = new ArrayList<>();
    double[] edge = {0.0, -0.0, 1.0, 1e-300, Double.MIN_VALUE, 0.1 + 0.2, Math.PI, Double.NaN,
      Double.POSITIVE_INFINITY, -12345.678};
    for (int i = 0; i < edge.length; i++) {
      s.add(DocumentScore.of("edge-" + i, edge[i]));
    }
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      s.add(DocumentScore.of("doc-" + i + "-ünï©ødé", r.nextDouble()));
    }
    return s;
  }

  private static List<Embedding> embeddings() {
    List<Embedding> e = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(11);
    for (int i = 0; i < 100; i++) {
      float[] v = new float[384];
      for (int k = 0; k < v.length; k++) {
        v[k] = (float) (r.nextGaussian() / 20);
      }
      e.add(Embedding.of("doc-" + i, v));
    }
    e.add(Embedding.of("edges", new float[] {0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 1e-40f}));
    return e;
  }

  private static long parquetFiles(Path dir, String prefix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith(prefix + "-") && n.endsWith(".parquet"))
          .count();
    }
  }

  @Test
  void scoresRoundTripExactlyWithTheirMetadata(@TempDir Path dir) throws IOException {
    Map<String, String> metadata =
        ImmutableSortedMap.of("stage", "askllm", "mode", "YES_NO", "model", "flan-t5-fixture");
    Pipeline write = TestPipelines.create();
    write
        .apply(Create.of(scores()))
        .apply(WriteScores.to(dir.toString()).withMetadata(metadata).withNumShards(3));
    TestPipelines.run(write);
    assertEquals(3, parquetFiles(dir, "scores"));
    assertEquals(metadata, ReadScores.metadata(dir.toString()));

    Pipeline read = TestPipelines.create();
    PCollection<DocumentScore> back = read.apply(ReadScores.from(dir.toString()));
    PAssert.that(back).containsInAnyOrder(scores());
    TestPipelines.run(read);
  }

  @Test
  void embeddingsRoundTripExactlyWithTheirMetadata(@TempDir Path dir) {
    Map<String, String> metadata = Embed.allMiniLmL6V2().metadata();
    Pipeline write = TestPipelines.create();
    write
        .apply(Create.of(embeddings()))
        .apply(WriteEmbeddings.to(dir.toString()).withMetadata(metadata));
    TestPipelines.run(write);
    assertEquals(metadata, ReadEmbeddings.metadata(dir.toString()));
    assertEquals(metadata, ReadEmbeddings.metadata(dir + "/*.parquet"));

    Pipeline read = TestPipelines.create();
    PAssert.that(read.apply(ReadEmbeddings.from(dir.toString()))).containsInAnyOrder(embeddings());
    TestPipelines.run(read);
  }

  @Test
  void aCacheWrittenOutsideBeamWithTheFileSchemaReadsBackTheSame(@TempDir Path dir) throws IOException {
    Map<String, String> metadata = Embed.allMiniLmL6V2().metadata();
    Schema schema = WriteEmbeddings.fileSchema(metadata);
    List<Embedding> all = embeddings();
    for (int k = 0; k < 2; k++) {
      Path file = dir.resolve("embeddings-0000" + k + "-of-00002.parquet");
      try (ParquetWriter<GenericRecord> w =
          AvroParquetWriter.<GenericRecord>builder(new org.apache.hadoop.fs.Path(file.toUri()))
              .withSchema(schema)
              .build()) {
        for (int i = k; i < all.size(); i += 2) {
          Embedding e = all.get(i);
          List<Float> values = new ArrayList<>();
          for (float x : e.vector()) {
            values.add(x);
          }
          GenericData.Record r = new GenericData.Record(schema);
          r.put("id", e.id());
          r.put("embedding", new GenericData.Array<>(schema.getField("embedding").schema(), values));
          w.write(r);
        }
      }
    }
    assertEquals(metadata, ReadEmbeddings.metadata(dir.toString()));
    Pipeline read = TestPipelines.create();
    PAssert.that(read.apply(ReadEmbeddings.from(dir.toString()))).containsInAnyOrder(all);
    TestPipelines.run(read);
    assertMessage(() -> WriteEmbeddings.fileSchema(Map.of(" ", "v")), "metadata", "non-blank keys");
  }

  @Test
  void embedThenCacheGivesTheSameCollectionBack(@TempDir Path dir) {
    List<Document> docs = InferenceTesting.documents(12, 10);
    Embed embed = Embed.with(InferenceTesting.embedding());
    Pipeline first = TestPipelines.create();
    first
        .apply(Create.of(docs))
        .apply(embed)
        .get(Embed.EMBEDDINGS)
        .apply(WriteEmbeddings.to(dir.toString()).withMetadata(embed.metadata()));
    TestPipelines.run(first);

    Pipeline second = TestPipelines.create();
    PCollection<Embedding> fresh =
        second.apply(Create.of(docs)).apply(embed).get(Embed.EMBEDDINGS);
    PCollection<Embedding> cached = second.apply(ReadEmbeddings.from(dir.toString()));
    // The cache holds exactly what a fresh run computes (the embedder is deterministic).
    PAssert.that(
            org.apache.beam.sdk.values.PCollectionList.of(fresh)
                .and(cached)
                .apply(org.apache.beam.sdk.transforms.Flatten.pCollections())
                .apply(org.apache.beam.sdk.transforms.Count.perElement()))
        .satisfies(
            counts -> {
              int n = 0;
              for (org.apache.beam.sdk.values.KV<Embedding, Long> kv : counts) {
                n++;
                assertEquals(2L, kv.getValue(), kv.getKey().id());
              }
              assertEquals(12, n);
              return null;
            });
    TestPipelines.run(second);
    assertEquals(embed.metadata(), ReadEmbeddings.metadata(dir.toString()));
  }

  @Test
  void settingsAreValidatedAndMissingFilesNamed(@TempDir Path dir) {
    assertMessage(() -> WriteScores.to(" "), "directory");
    assertMessage(() -> WriteEmbeddings.to(null), "directory");
    assertMessage(() -> WriteScores.to("x").withNumShards(-1), "numShards", "got: -1");
    assertMessage(() -> WriteEmbeddings.to("x").withNumShards(100_001), "numShards");
    Map<String, String> blankKey = new java.util.HashMap<>();
    blankKey.put(" ", "v");
    assertMessage(() -> WriteScores.to("x").withMetadata(blankKey), "metadata", "non-blank keys");
    assertMessage(() -> ReadScores.from(""), "location");
    assertEquals(dir + "/scores-*.parquet", ReadScores.from(dir.toString()).filePattern());
    assertEquals("gs://b/e/*.parquet", ReadEmbeddings.from("gs://b/e/*.parquet").filePattern());
    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> ReadScores.metadata(dir.toString()));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    assertFalse(ReadEmbeddings.from(dir.toString()).filePattern().contains("scores"));
  }
}
