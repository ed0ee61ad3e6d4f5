package dev.dataselect.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.models.Fixtures;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Use it as a library" class, taken from README.md as it is, compiled against this
 * module's class path (which holds no {@code pipelines/} class) and run on a small corpus, with and
 * without an ASK-LLM model folder: the README cannot drift from the code.
 */
class ReadmeLibraryExampleTest {
  private static final int DOCS = 60;
  @TempDir static Path dir;
  private static String source;
  private static Class<?> example;

  @BeforeAll
  static void compile() throws Exception {
    source = libraryClass(Files.readString(Path.of("..", "README.md")));
    Path src = dir.resolve("src/SelectMyCorpus.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, source);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream errors = new ByteArrayOutputStream();
    int rc = javac.run(null, errors, errors, "--release", "17", "-classpath", System.getProperty("java.class.path"),
        "-d", classes.toString(), src.toString());
    assertEquals(0, rc, "the README's class does not compile:\n" + errors.toString(StandardCharsets.UTF_8));
    ClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ReadmeLibraryExampleTest.class.getClassLoader());
    example = loader.loadClass("SelectMyCorpus");
    Files.write(dir.resolve("corpus.jsonl"), corpus(), StandardCharsets.UTF_8);
  }

  /** The one {@code java} block of the README's "Use it as a library" section. */
  static String libraryClass(String readme) {
    int start = readme.indexOf("\n## Use it as a library");
    assertTrue(start >= 0, "README.md has no '## Use it as a library' section");
    int end = readme.indexOf("\n## ", start + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(section);
    assertTrue(m.find(), "the section has no java block");
    String code = m.group(1);
    assertFalse(m.find(), "the section has more than one java block");
    return code;
  }

  @Test
  void usesOnlyTheLibrary() {
    assertFalse(source.contains("setCoder"), "the library class calls setCoder");
    assertFalse(source.contains("dev.dataselect.pipelines"), "the library class uses a pipelines/ class");
    assertTrue(source.contains("public static void main(String[] args)"));
  }

  @Test
  void selectsByDensity() throws Exception {
    Path out = dir.resolve("out-density");
    run(dir.resolve("corpus.jsonl").toString(), out.toString());
    checkSelection(out);
  }

  @Test
  void selectsByQualityAndCoverageWithAnAskLlmFolder() throws Exception {
    Path model = Files.createDirectories(dir.resolve("flan-t5"));
    Files.write(model.resolve("encoder_model.onnx"), Fixtures.encoderModel());
    Files.write(model.resolve("decoder_model_merged.onnx"), Fixtures.mergedDecoderModel());
    Files.write(model.resolve("tokenizer.json"), Fixtures.tokenizerJson(Fixtures.Frame.T5));
    Path out = dir.resolve("out-quality");
    run(dir.resolve("corpus.jsonl").toString(), out.toString(), model.toString());
    checkSelection(out);
  }

  private static void run(String... args) throws Exception {
    Method main = example.getMethod("main", String[].class);
    main.invoke(null, (Object) args);
  }

  /** About a fifth of the corpus, each a document of the corpus, none twice. */
  private static void checkSelection(Path out) throws IOException {
    List<JsonNode> kept = new ArrayList<>();
    try (Stream<Path> files = Files.list(out.resolve("selected"))) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".jsonl.gz")).toList()) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(f)), StandardCharsets.UTF_8))) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            kept.add(new ObjectMapper().readTree(line));
          }
        }
      }
    }
    Set<String> ids = new HashSet<>();
    for (JsonNode d : kept) {
      assertTrue(ids.add(d.path("id").asText()), "kept twice: " + d.path("id"));
      assertTrue(d.path("text").asText().startsWith("Document "), d.toString());
    }
    // 20 % of 60 in expectation; the inverse-propensity draws are Bernoulli (SD about 3).
    assertTrue(kept.size() >= 3 && kept.size() <= 24, "kept " + kept.size() + " of " + DOCS);
  }

  private static List<String> corpus() {
    String[] topics = {"the harbour and its ships", "a recipe for bread with rye flour", "the rules of chess openings",
        "rainfall in the northern valleys", "a proof that there are infinitely many primes", "the history of the printing press"};
    List<String> lines = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < DOCS; i++) {
      String text = "Document " + i + " is about " + topics[i % topics.length] + ", seen from angle " + (i * 7 % 13) + ".";
      lines.add(json.createObjectNode().put("id", "doc-" + i).put("text", text).toString());
    }
    return lines;
  }
}
