package dev.dataselect.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogitPositionsTest {
  private static final long[] IDS = {19, 7, 8, 9, 10, 7, 11, 3};
  private static final long[] MASK = {1, 1, 1, 1, 1, 1, 1, 1};

  private static float[] run(byte[] model, long[] positions, int perRow) throws Exception {
    try (OnnxSessions.Options options =
            OnnxSessions.options(
                ModelConfig.causalLm(
                    ModelLocation.ofBytes("m", model), Fixtures.tokenizer(Fixtures.Frame.BOS)));
        OrtSession s = OnnxSessions.environment().createSession(model, options.sessionOptions())) {
      Map<String, OnnxTensor> feed = new HashMap<>();
      feed.put("input_ids", OnnxTensors.longs(IDS, 2, 4));
      feed.put("attention_mask", OnnxTensors.longs(MASK, 2, 4));
      feed.put("position_ids", OnnxTensors.longs(new long[] {0, 1, 2, 3, 0, 1, 2, 3}, 2, 4));
      if (positions != null) {
        feed.put(LogitPositions.INPUT, OnnxTensors.longs(positions, 2, perRow));
      }
      try (OrtSession.Result r = s.run(feed)) {
        FloatBuffer b = OnnxTensors.output(r, "logits").getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
      } finally {
        OnnxTensors.closeAll(feed);
      }
    }
  }

  @Test
  void theRewrittenHeadGivesTheFullLogitsAtTheNamedPositions() throws Exception {
    byte[] original = Fixtures.causalModel(true, false);
    LogitPositions.Result r = LogitPositions.rewrite(original);
    assertTrue(r.available(), r.message());
    assertTrue(r.message().startsWith("rewritten"), r.message());
    float[] full = run(original, null, 0);
    int v = Fixtures.V;
    assertEquals(2 * 4 * v, full.length);
    // Row 0 at columns 3 and 1, row 1 at columns 0 and 2.
    float[] some = run(r.model(), new long[] {3, 1, 0, 2}, 2);
    assertEquals(2 * 2 * v, some.length);
    int[][] expected = {{0, 3}, {0, 1}, {1, 0}, {1, 2}};
    for (int k = 0; k < 4; k++) {
      int at = (expected[k][0] * 4 + expected[k][1]) * v;
      float[] want = java.util.Arrays.copyOfRange(full, at, at + v);
      float[] got = java.util.Arrays.copyOfRange(some, k * v, k * v + v);
      assertArrayEquals(want, got, 1e-6f, "entry " + k);
    }
    // A rewritten export is accepted as it is.
    LogitPositions.Result again = LogitPositions.rewrite(r.model());
    assertTrue(again.available());
    assertSame(r.model(), again.model());
    assertTrue(again.message().contains("already takes"), again.message());
  }

  @Test
  void aGraphThatDoesNotAllowItIsLeftAloneWithTheReason() {
    byte[] withPast = Fixtures.causalModel(true, true);
    LogitPositions.Result r = LogitPositions.rewrite(withPast);
    assertFalse(r.available());
    assertSame(withPast, r.model());
    assertTrue(r.message().contains("not a per-position element-wise step"), r.message());
    LogitPositions.Result encoder = LogitPositions.rewrite(Fixtures.encoderModel());
    assertFalse(encoder.available());
    assertTrue(encoder.message().contains("no output 'logits'"), encoder.message());
    LogitPositions.Result junk = LogitPositions.rewrite(new byte[] {(byte) 0xff, 1, 2});
    assertFalse(junk.available());
    assertTrue(junk.message().contains("could not be parsed"), junk.message());
  }

  @Test
  void anExportWithExternalDataIsRewrittenAndFindsItsWeights() throws Exception {
    // Large exports keep their weights in model.onnx_data beside model.onnx: the rewritten graph is
    // loaded from memory and must still find them there.
    TransformerGraphs.LlamaConfig c =
        new TransformerGraphs.LlamaConfig("external", 32, 1, 4, 2, 64, 50, 10000, 1e-5f);
    java.nio.file.Path folder = java.nio.file.Paths.get("target", "fixtures", "llama-external");
    TransformerGraphs.writeLlama(c, 3, folder, false, true);
    java.nio.file.Path model = folder.resolve("model.onnx").toAbsolutePath();
    assertTrue(java.nio.file.Files.size(folder.resolve("model.onnx_data")) > 4L * 50 * 32);
    ModelConfig config =
        ModelConfig.causalLm(ModelLocation.ofPath(model), Fixtures.tokenizer(Fixtures.Frame.BOS));
    float[] full;
    try (OnnxSessions.Options options = OnnxSessions.options(config);
        OrtSession s =
            OnnxSessions.environment().createSession(model.toString(), options.sessionOptions())) {
      Map<String, OnnxTensor> feed = new HashMap<>();
      feed.put("input_ids", OnnxTensors.longs(IDS, 2, 4));
      feed.put("attention_mask", OnnxTensors.longs(MASK, 2, 4));
      feed.put("position_ids", OnnxTensors.longs(new long[] {0, 1, 2, 3, 0, 1, 2, 3}, 2, 4));
      try (OrtSession.Result r = s.run(feed)) {
        FloatBuffer b = OnnxTensors.output(r, "logits").getFloatBuffer();
        full = new float[b.remaining()];
        b.get(full);
      } finally {
        OnnxTensors.closeAll(feed);
      }
    }
    try (LoadedModel lm = LoadedModel.load(config)) {
      assertTrue(lm.logitPositions(), lm.logitsNote());
      Map<String, OnnxTensor> feed = new HashMap<>();
      feed.put("input_ids", OnnxTensors.longs(IDS, 2, 4));
      feed.put("attention_mask", OnnxTensors.longs(MASK, 2, 4));
      feed.put("position_ids", OnnxTensors.longs(new long[] {0, 1, 2, 3, 0, 1, 2, 3}, 2, 4));
      feed.put(LogitPositions.INPUT, OnnxTensors.longs(new long[] {3, 1}, 2, 1));
      try (OrtSession.Result r = lm.session().run(feed)) {
        FloatBuffer b = OnnxTensors.output(r, "logits").getFloatBuffer();
        float[] got = new float[b.remaining()];
        b.get(got);
        assertEquals(2 * 50, got.length);
        assertArrayEquals(
            java.util.Arrays.copyOfRange(full, 3 * 50, 4 * 50),
            java.util.Arrays.copyOfRange(got, 0, 50),
            1e-5f);
        assertArrayEquals(
            java.util.Arrays.copyOfRange(full, 5 * 50, 6 * 50),
            java.util.Arrays.copyOfRange(got, 50, 100),
            1e-5f);
      } finally {
        OnnxTensors.closeAll(feed);
      }
    }
  }
}
