package dev.dataselect.models.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.dataselect.models.Fixtures;
import dev.dataselect.models.LoadedModel;
import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.ModelPresets;
import dev.dataselect.models.text.TextTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real Flan-T5 tokenizer ({@code ../shared/data/models/flan-t5-small/tokenizer.json}, shared by
 * every Flan-T5 size) with the paper's prompt and real web documents: the yes/no ids, the prompt
 * assembly and truncation, and the token counts the cost model uses. The model files are the
 * fixtures: nothing here runs the model on these ids.
 */
class FlanT5TokenizerTest {
  private static LoadedModel model;
  private static AskLlmScorer scorer;

  /**
   * The shared data folder, as the build sets it ({@code -Ddataselect.sharedData}) or beside the
   * repository.
   */
  static Path sharedData() {
    Path p = Paths.get(System.getProperty("dataselect.sharedData", "../../shared/data"));
    if (!Files.isDirectory(p.resolve("models/flan-t5-small"))) {
      throw new IllegalStateException(
          "No Flan-T5 tokenizer at "
              + p.toAbsolutePath()
              + "/models/flan-t5-small: the shared data folder belongs beside the repository"
              + " (../shared/data), or set -Ddataselect.sharedData=DIR");
    }
    return p;
  }

  static ModelLocation flanT5Tokenizer() {
    return ModelLocation.ofPath(sharedData().resolve("models/flan-t5-small/tokenizer.json"));
  }

  /** The texts of a shared JSONL.gz file of web documents. */
  static List<String> webTexts(String file) throws IOException {
    List<String> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(
                    Files.newInputStream(sharedData().resolve("web").resolve(file))),
                StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        out.add(JsonParser.parseString(line).getAsJsonObject().get("text").getAsString());
      }
    }
    return out;
  }

  @BeforeAll
  static void load() {
    ModelConfig config =
        ModelPresets.flanT5(
                ModelLocation.ofPath(Fixtures.write("encoder_model.onnx", Fixtures.encoderModel())),
                ModelLocation.ofPath(Fixtures.write("decoder_model.onnx", Fixtures.decoderModel())),
                flanT5Tokenizer())
            .withIntraOpThreads(1);
    model = LoadedModel.load(config);
    scorer = new AskLlmScorer(model, AskLlmOptions.defaults());
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void yesAndNoAreTheirSingleTokens() {
    TextTokenizer t = model.tokenizer();
    assertEquals(32100, t.vocabularySize());
    assertEquals(new YesNoTokens(4273, "▁yes", 150, "▁no"), scorer.yesNoTokens());
    assertArrayEquals(new long[] {4273}, t.encodeContent("yes"));
    assertArrayEquals(new long[] {150}, t.encodeContent("no"));
    // T5 frames a sequence with a trailing </s> (1) only; the pad (0) starts the decoder.
    assertArrayEquals(new long[0], t.leadingSpecialIds());
    assertArrayEquals(new long[] {1}, t.trailingSpecialIds());
    assertEquals(0, t.padId());
    assertEquals(0, model.config().decoderStartTokenId());
  }

  @Test
  void thePapersPromptWrapsTheDocumentAndEndsWithItsOptions() {
    TextTokenizer t = model.tokenizer();
    String doc = "The cat sat on the mat.";
    long[] ids = scorer.inputIds(doc);
    // The prefix "###\n" alone ends in a bare "▁" (3) that the joined prompt does not have.
    assertArrayEquals(new long[] {1713, 30345, 3}, t.encodeContent("###\n"));
    long[] head = {1713, 30345};
    long[] document = t.encodeContent(doc);
    long[] tail =
        t.encodeContent(
            AskLlmOptions.DEFAULT_TEMPLATE.substring(
                AskLlmOptions.DEFAULT_TEMPLATE.indexOf("{document}") + "{document}".length()));
    assertEquals(head.length + document.length + tail.length + 1, ids.length);
    assertArrayEquals(head, Arrays.copyOfRange(ids, 0, head.length));
    assertArrayEquals(
        document, Arrays.copyOfRange(ids, head.length, head.length + document.length));
    assertArrayEquals(tail, Arrays.copyOfRange(ids, head.length + document.length, ids.length - 1));
    assertEquals(1, ids[ids.length - 1]);
    assertEquals(head.length + tail.length + 1, scorer.promptTokens());
    String text = t.decode(ids);
    assertTrue(text.startsWith("### The cat sat on the mat. ###"), text);
    assertTrue(text.endsWith("OPTIONS: - yes - no"), text);
    // "- yes" and "- no" at the end of the prompt are the answer tokens themselves.
    assertEquals(4273, ids[ids.length - 5]);
    assertEquals(150, ids[ids.length - 2]);
  }

  @Test
  void theAssembledIdsEqualTheTokenizationOfTheWholePrompt() throws IOException {
    TextTokenizer t = model.tokenizer();
    int checked = 0;
    for (String doc : webTexts("c4-en-30.jsonl.gz")) {
      if (scorer.encodeDocument(doc).truncated()) {
        continue;
      }
      String prompt = AskLlmOptions.DEFAULT_TEMPLATE.replace(AskLlmOptions.PLACEHOLDER, doc);
      assertArrayEquals(t.encodeWithSpecialTokens(prompt), scorer.inputIds(doc), doc);
      checked++;
    }
    assertTrue(checked >= 10, checked + " untruncated documents checked");
  }

  @Test
  void longWebDocumentsAreCutToTheBudgetWithThePromptsClosingPartIntact() throws IOException {
    List<String> docs = new ArrayList<>(webTexts("c4-en-30.jsonl.gz"));
    docs.addAll(webTexts("guardian-10.jsonl.gz"));
    assertEquals(40, docs.size());
    long[] closing =
        Arrays.copyOfRange(
            scorer.inputIds(""), scorer.inputIds("").length - 20, scorer.inputIds("").length);
    int truncated = 0;
    for (String doc : docs) {
      long[] ids = scorer.inputIds(doc);
      long[] whole = model.tokenizer().encodeContent(doc);
      TextTokenizer.Encoded encoded = scorer.encodeDocument(doc);
      // The token counts the cost model uses: the document up to its budget, plus the prompt.
      assertEquals(Math.min(whole.length, scorer.documentTokenBudget()), encoded.length());
      assertEquals(encoded.length() + scorer.promptTokens(), ids.length);
      assertEquals(whole.length > scorer.documentTokenBudget(), encoded.truncated());
      assertTrue(ids.length <= 512, "at most 512 tokens, as the paper");
      assertArrayEquals(
          closing, Arrays.copyOfRange(ids, ids.length - 20, ids.length), "prompt's close");
      // The kept part is the document's beginning.
      assertArrayEquals(Arrays.copyOf(whole, encoded.length()), encoded.ids());
      if (encoded.truncated()) {
        truncated++;
        assertEquals(512, ids.length);
      }
    }
    assertTrue(
        truncated >= 5 && truncated < docs.size(), truncated + " of " + docs.size() + " truncated");
    assertEquals(512, scorer.documentTokenBudget() + scorer.promptTokens());
    assertTrue(
        scorer.documentTokenBudget() >= 400,
        "the prompt leaves most of 512 tokens to the document");
  }
}
