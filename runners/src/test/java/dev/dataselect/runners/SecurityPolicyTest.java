package dev.dataselect.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Checks behind the README's security review, over the repository's files: shipped code (every
 * module's src/main except benchmarks) starts no processes and loads no native code or ONNX Runtime
 * custom-op libraries of its own choosing, and no tracked file holds a private key or a
 * service-account key.
 */
class SecurityPolicyTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern PROCESS = Pattern.compile("ProcessBuilder|Runtime\\s*\\.\\s*getRuntime\\s*\\(\\s*\\)\\s*\\.\\s*exec");
  private static final Pattern NATIVE = Pattern.compile("registerCustomOpLibrary|registerCustomOpsUsingFunction|System\\s*\\.\\s*load(Library)?\\s*\\(");
  private static final Pattern SECRET = Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----|\"private_key\"\\s*:|\"type\"\\s*:\\s*\"service_account\"|AKIA[0-9A-Z]{16}");

  @Test
  void shippedCodeStartsNoProcessesAndLoadsNoNativeLibrariesOfItsOwn() {
    List<Path> sources = files(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/") && !ROOT.relativize(f).startsWith("benchmarks"));
    assertTrue(sources.size() > 50, "sources found under " + ROOT + ": " + sources.size());
    assertEquals(List.of(), matches(sources, PROCESS), "process launches in shipped code");
    assertEquals(List.of(), matches(sources, NATIVE), "native or custom-op library loads in shipped code");
  }

  @Test
  void noFileHoldsAPrivateKeyOrServiceAccountKey() {
    List<Path> all = files(f -> !f.toString().endsWith(".jar") && !f.toString().endsWith(".gz") && !f.toString().endsWith(".onnx"));
    assertTrue(all.size() > 100, "files found: " + all.size());
    List<String> found = matches(all, SECRET);
    // This test names the patterns it looks for; nothing else may match.
    found.removeIf(m -> m.startsWith("runners/src/test/java/dev/dataselect/runners/SecurityPolicyTest.java"));
    assertEquals(List.of(), found, "secrets in the repository");
  }

  /** Files of the working tree, skipping build outputs, VCS data and dependencies. */
  private static List<Path> files(java.util.function.Predicate<Path> keep) {
    try (Stream<Path> s = Files.walk(ROOT)) {
      return s.filter(Files::isRegularFile)
          .filter(f -> {
            String rel = ROOT.relativize(f).toString();
            return !rel.startsWith(".git") && !rel.contains("/target/") && !rel.startsWith("target/")
                && !rel.contains("node_modules") && !rel.startsWith(".terraform") && !rel.contains("/.terraform/");
          })
          .filter(keep)
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> matches(List<Path> files, Pattern p) {
    List<String> out = new ArrayList<>();
    for (Path f : files) {
      String text;
      try {
        if (Files.size(f) > 5_000_000) {
          continue;
        }
        text = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      var m = p.matcher(text);
      while (m.find()) {
        out.add(ROOT.relativize(f) + ": " + m.group());
      }
    }
    return out;
  }
}
