package dev.dataselect.models.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.OnnxSessions;
import dev.dataselect.models.OnnxTensors;
import dev.dataselect.models.TransformerGraphs;
import dev.dataselect.models.TransformerGraphs.LlamaConfig;
import dev.dataselect.models.text.TokenBatch;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ASK-LLM on a causal LM with Gemma's vocabulary (256,000 entries): the logits of the scored
 * position only. A batch of 8 documents of 512 tokens would be 4 GB of logits at every position
 * (twice over, with the Java copy); scored under a 2 GB heap in a child JVM, it must still give
 * P("yes") equal to a full-logits computation.
 */
class LargeVocabularyTest {
  private static final String TEMPLATE = "### {document} ### the yes no";
  private static final int VOCAB = 256_000;
  private static final int DOCS = 8;
  private static final int TOKENS = 512;
  private static final long HEAP = 2L << 30;

  private static Path built;

  /**
   * A Llama-style model (one layer, 64 wide) with a 256,000-entry untied head, built once per run.
   */
  private static synchronized Path model() {
    if (built == null) {
      LlamaConfig c = new LlamaConfig("gemma-vocabulary", 64, 1, 4, 2, 128, VOCAB, 10000, 1e-6f);
      Path folder = Paths.get("target", "fixtures", "llama-256k");
      TransformerGraphs.writeLlama(c, 256, folder, false);
      built = folder.resolve("model.onnx").toAbsolutePath();
    }
    return built;
  }

  private static ModelConfig config(Path model) {
    return ModelConfig.causalLm(ModelLocation.ofPath(model), Fixtures.tokenizer(Fixtures.Frame.BOS))
        .withMaxTokens(TOKENS)
        .withIntraOpThreads(2);
  }

  /** Deterministic documents of fixture words, each longer than {@link #TOKENS}. */
  private static List<String> documents(int count, int words) {
    List<String> out = new ArrayList<>();
    for (int d = 0; d < count; d++) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < words; i++) {
        int pick = 7 + (int) Math.floorMod((long) (i + 1) * 2654435761L + d * 40503L, 12);
        b.append(Fixtures.VOCAB.get(pick).substring(1)).append(' ');
      }
      out.add(b.toString());
    }
    return out;
  }

  /** P(yes) from the untouched graph's logits at every position, read at the last real one. */
  private static double[] fullLogitsYes(Path model, List<long[]> inputs, long yes)
      throws Exception {
    TokenBatch batch = TokenBatch.pad(inputs, Fixtures.PAD, dev.dataselect.models.PaddingSide.LEFT);
    try (OrtSession s =
        OnnxSessions.environment()
            .createSession(model.toString(), new OrtSession.SessionOptions())) {
      Map<String, OnnxTensor> feed = new HashMap<>();
      feed.put("input_ids", OnnxTensors.longs(batch.ids(), batch.shape()));
      feed.put("attention_mask", OnnxTensors.longs(batch.attentionMask(), batch.shape()));
      feed.put("position_ids", OnnxTensors.longs(batch.positionIds(), batch.shape()));
      try (OrtSession.Result r = s.run(feed)) {
        FloatBuffer logits = OnnxTensors.output(r, "logits").getFloatBuffer();
        double[] out = new double[batch.rows()];
        for (int row = 0; row < batch.rows(); row++) {
          int base = (row * batch.width() + batch.lastIndex(row)) * VOCAB;
          double max = Double.NEGATIVE_INFINITY;
          for (int v = 0; v < VOCAB; v++) {
            max = Math.max(max, logits.get(base + v));
          }
          double sum = 0;
          for (int v = 0; v < VOCAB; v++) {
            sum += Math.exp(logits.get(base + v) - max);
          }
          out[row] = Math.exp(logits.get(base + (int) yes) - max) / sum;
        }
        return out;
      } finally {
        OnnxTensors.closeAll(feed);
      }
    }
  }

  @Test
  void aSmallCaseGivesTheFullLogitsScores() throws Exception {
    Path model = model();
    List<String> docs = documents(3, 20);
    try (LoadedModel lm = LoadedModel.load(config(model))) {
      assertTrue(lm.logitPositions(), lm.logitsNote());
      AskLlmScorer scorer = new AskLlmScorer(lm, AskLlmOptions.defaults().withTemplate(TEMPLATE));
      double[] scores = scorer.score(docs).scores();
      List<long[]> ids = docs.stream().map(scorer::inputIds).toList();
      double[] full = fullLogitsYes(model, ids, scorer.yesNoTokens().yesId());
      for (int i = 0; i < docs.size(); i++) {
        assertEquals(Math.log(full[i]), Math.log(scores[i]), 1e-5, "document " + i);
      }
      // The documents differ, so equal scores are not a coincidence of a constant model.
      assertTrue(Math.abs(Math.log(full[0]) - Math.log(full[1])) > 1e-4, full[0] + " " + full[1]);
    }
  }

  @Test
  void eightDocumentsOf512TokensScoreUnderATwoGigabyteHeap() throws Exception {
    Path model = model();
    String javaBin = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    Path log = Paths.get("target", "large-vocabulary-child.log").toAbsolutePath();
    List<String> command =
        new ArrayList<>(
            List.of(
                javaBin,
                "-Xmx2g",
                "-Xss8m",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir")));
    for (String property : new String[] {"DJL_CACHE_DIR", "ai.djl.offline"}) {
      if (System.getProperty(property) != null) {
        command.add("-D" + property + "=" + System.getProperty(property));
      }
    }
    command.addAll(
        List.of(
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp",
            System.getProperty("java.class.path"),
            Child.class.getName(),
            model.toString()));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    String out = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
    }
    assertTrue(done, "the child JVM did not finish in 120 s:\n" + out);
    assertEquals(0, p.exitValue(), "child JVM failed:\n" + out);
    assertTrue(out.contains("OK"), out);
  }

  /** Runs in a JVM with a 2 GB heap: scores 8 x 512 tokens, checks row 0 against full logits. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      long max = Runtime.getRuntime().maxMemory();
      if (max > HEAP + (HEAP / 20)) {
        throw new IllegalStateException("expected a heap of at most 2 GB, got " + max);
      }
      Path model = Paths.get(args[0]);
      List<String> docs = documents(DOCS, 700);
      try (LoadedModel lm = LoadedModel.load(config(model))) {
        if (!lm.logitPositions()) {
          throw new IllegalStateException("the graph was not rewritten: " + lm.logitsNote());
        }
        AskLlmScorer scorer = new AskLlmScorer(lm, AskLlmOptions.defaults().withTemplate(TEMPLATE));
        long start = System.nanoTime();
        AskLlmScores scores = scorer.score(docs);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        for (int i = 0; i < DOCS; i++) {
          if (scores.inputTokens()[i] != TOKENS || !scores.truncated()[i]) {
            throw new IllegalStateException(
                "document " + i + " fed " + scores.inputTokens()[i] + " tokens");
          }
          double p = scores.scores()[i];
          if (!(p > 0 && p < 1)) {
            throw new IllegalStateException("document " + i + " P(yes) = " + p);
          }
        }
        // Row 0 alone through the untouched graph: 512 x 256,000 logits (0.5 GB) still fit.
        long[] ids = scorer.inputIds(docs.get(0));
        double full = fullLogitsYes(model, List.of(ids), scorer.yesNoTokens().yesId())[0];
        double diff = Math.abs(Math.log(full) - Math.log(scores.scores()[0]));
        System.out.println(
            "batch of "
                + DOCS
                + " x "
                + TOKENS
                + " tokens scored in "
                + ms
                + " ms, heap max "
                + (max >> 20)
                + " MB, P(yes) row 0 "
                + scores.scores()[0]
                + " vs full logits "
                + full);
        if (diff > 1e-5) {
          throw new IllegalStateException(
              "row 0 differs from full logits by " + diff + " in log P");
        }
        System.out.println("OK");
      }
      System.exit(0);
    }
  }
}
