package dev.dataselect.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.dataselect.models.embed.SentenceEmbedder;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxSessionsTest {

  private static ModelConfig config() {
    return ModelConfig.embedding(
        ModelLocation.ofBytes("embed.onnx", Fixtures.embeddingModel(true)),
        Fixtures.tokenizer(Fixtures.Frame.WRAPPED));
  }

  @Test
  void cudaOnACpuBuildFailsAndNamesTheFix() {
    assumeFalse(OnnxSessions.cudaBuildAvailable(), "this JVM has the CUDA build");
    ModelException e =
        assertThrows(ModelException.class, () -> LoadedModel.load(config().withCuda(0)));
    String m = e.getMessage();
    for (String needed :
        List.of("CUDA", "device 0", "onnxruntime_gpu", "-Pgpu", "CUDA 12", "cuDNN", "withCpuFallback")) {
      assertTrue(m.contains(needed), "message lacks '" + needed + "': " + m);
    }
  }

  @Test
  void cudaFallsBackToTheCpuOnlyWhenOptedIn() {
    assumeFalse(OnnxSessions.cudaBuildAvailable(), "this JVM has the CUDA build");
    try (LoadedModel cpu = LoadedModel.load(config());
        LoadedModel fallback = LoadedModel.load(config().withCuda(0).withCpuFallback(true))) {
      assertEquals("CPU", cpu.provider());
      assertEquals("CPU (CUDA:0 unavailable)", fallback.provider());
      List<String> texts = List.of("the cat sat", "a dog");
      assertArrayEquals(
          new SentenceEmbedder(cpu).embed(texts)[0], new SentenceEmbedder(fallback).embed(texts)[0]);
    }
  }

  @Test
  void threadsAndOptimisationLevelAreApplied() {
    List<String> texts = List.of("the cat sat on the mat", "a big red ball");
    try (LoadedModel all = LoadedModel.load(config().withIntraOpThreads(2));
        LoadedModel none =
            LoadedModel.load(
                config().withIntraOpThreads(1).withOptimizationLevel(OptimizationLevel.NONE))) {
      float[][] a = new SentenceEmbedder(all).embed(texts);
      float[][] b = new SentenceEmbedder(none).embed(texts);
      for (int i = 0; i < a.length; i++) {
        assertArrayEquals(a[i], b[i], 1e-6f);
      }
    }
  }

  @Test
  void aMissingFileFailsWithItsLocation() {
    ModelConfig missing =
        ModelConfig.embedding(
            ModelLocation.of("target/does-not-exist.onnx"), Fixtures.tokenizer(Fixtures.Frame.T5));
    ModelException e = assertThrows(ModelException.class, () -> LoadedModel.load(missing));
    assertTrue(e.getMessage().contains("does-not-exist.onnx"), e.getMessage());
    ModelConfig remote =
        ModelConfig.embedding(
            ModelLocation.of("gs://bucket/m.onnx"), Fixtures.tokenizer(Fixtures.Frame.T5));
    e = assertThrows(ModelException.class, () -> LoadedModel.load(remote));
    assertTrue(e.getMessage().contains("ModelReader"), e.getMessage());
  }

  @Test
  void aCallerSuppliedReaderServesOtherSchemes() {
    byte[] model = Fixtures.embeddingModel(false);
    ModelConfig remote =
        ModelConfig.embedding(
            ModelLocation.of("gs://bucket/m.onnx"), Fixtures.tokenizer(Fixtures.Frame.WRAPPED));
    ModelReader reader =
        uri -> {
          if (uri.equals("gs://bucket/m.onnx")) {
            return model;
          }
          return ModelReader.local().read(uri);
        };
    try (LoadedModel m = LoadedModel.load(remote, reader)) {
      assertEquals(Fixtures.D, new SentenceEmbedder(m).dimension());
    }
  }
}
