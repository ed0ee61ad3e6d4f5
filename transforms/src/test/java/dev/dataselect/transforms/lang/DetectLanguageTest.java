package dev.dataselect.transforms.lang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import opennlp.tools.langdetect.Language;
import opennlp.tools.langdetect.LanguageDetectorME;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

class DetectLanguageTest {
  // Real sentences (Europarl-style parliamentary prose and news), one per language.
  private static final Map<String, String> SENTENCES = Map.of(
      "en", "The Commission has presented a proposal on the protection of workers, and Parliament will vote on it tomorrow.",
      "de", "Die Kommission hat einen Vorschlag zum Schutz der Arbeitnehmer vorgelegt, über den das Parlament morgen abstimmt.",
      "fr", "La Commission a présenté une proposition sur la protection des travailleurs, que le Parlement votera demain.",
      "es", "La Comisión ha presentado una propuesta sobre la protección de los trabajadores, que el Parlamento votará mañana.",
      "it", "La Commissione ha presentato una proposta sulla tutela dei lavoratori, che il Parlamento voterà domani.",
      "nl", "De Commissie heeft een voorstel ingediend over de bescherming van werknemers, waarover het Parlement morgen stemt.",
      "pl", "Komisja przedstawiła wniosek dotyczący ochrony pracowników, nad którym Parlament będzie jutro głosował.",
      "el", "Η Επιτροπή υπέβαλε πρόταση για την προστασία των εργαζομένων, την οποία το Κοινοβούλιο θα ψηφίσει αύριο.");

  private static List<Document> docs() {
    return SENTENCES.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> Document.of("doc-" + e.getKey(), e.getValue(), "test#0"))
        .toList();
  }

  private static PCollection<String> idAndLanguage(PCollection<Document> docs, String name) {
    return docs.apply(name, MapElements.into(TypeDescriptors.strings()).via(d -> d.id() + "=" + d.metadata().get("language")));
  }

  @Test
  void detectsRealSentencesInEightLanguages() {
    DetectLanguage.Detector detector = DetectLanguage.Detectors.newDetector();
    SENTENCES.forEach((code, text) -> assertEquals(code, detector.detect(text), text));
  }

  @Test
  void theFeaturesAndVerdictsAreOpenNlpsOwn() {
    LanguageDetectorME opennlp = new LanguageDetectorME(DetectLanguage.Detectors.model());
    DetectLanguage.Detector detector = DetectLanguage.Detectors.newDetector();
    String mixed = "Mehr unter https://example.org/Seite?id=42 oder @Kommission #EU2024 \uD83D\uDE00 — ÄÖÜ  Straße 1999, 3.5%";
    for (String text : concat(SENTENCES.values(), List.of(mixed, SENTENCES.get("de").toUpperCase(Locale.ROOT)))) {
      Set<String> theirs = new TreeSet<>();
      for (CharSequence f : DetectLanguage.Detectors.model().getFactory().getContextGenerator().getContext(text)) {
        theirs.add(f.toString());
      }
      assertEquals(theirs, new TreeSet<>(List.of(detector.features(text))), text);
      Language best = opennlp.predictLanguage(text);
      boolean weak = best.getConfidence() < DetectLanguage.MIN_CONFIDENCE_OVER_UNIFORM / DetectLanguage.Detectors.LANGUAGES.size();
      assertEquals(weak ? DetectLanguage.UNDETERMINED : DetectLanguage.code(best.getLang()), detector.detect(text), text);
    }
  }

  @Test
  void theCompiledModelGivesOpenNlpsVerdictsAndConfidencesOnShortAndLongSlices() {
    LanguageDetectorME opennlp = new LanguageDetectorME(DetectLanguage.Detectors.model());
    DetectLanguage.Detector detector = DetectLanguage.Detectors.newDetector();
    double minConfidence = DetectLanguage.MIN_CONFIDENCE_OVER_UNIFORM / DetectLanguage.Detectors.LANGUAGES.size();
    String all = String.join(" ", new TreeMap<>(SENTENCES).values());
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    int weak = 0;
    for (int i = 0; i < 400; i++) {
      // Slices of 2 to 200 chars, some across two languages: many weak and near-tied verdicts.
      int length = 2 + random.nextInt(199);
      int from = random.nextInt(all.length() - length);
      String text = all.substring(from, from + length);
      if (text.codePoints().noneMatch(Character::isLetter)) {
        continue;
      }
      Language best = opennlp.predictLanguage(text);
      weak += best.getConfidence() < minConfidence ? 1 : 0;
      assertEquals(best.getConfidence(), detector.confidence(text), 1e-12, text);
      assertEquals(best.getConfidence() < minConfidence ? DetectLanguage.UNDETERMINED : DetectLanguage.code(best.getLang()),
          detector.detect(text), text);
    }
    assertTrue(weak > 0, "some slices should be too short for a confident verdict");
  }

  private static List<String> concat(Collection<String> a, List<String> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }

  @Test
  void textsWithoutLettersOrWithoutAConfidentVerdictAreUndetermined() {
    DetectLanguage.Detector detector = DetectLanguage.Detectors.newDetector();
    for (String text : List.of("1234 5678 -- 42", "", "   ", "Hello")) {
      assertEquals(DetectLanguage.UNDETERMINED, detector.detect(text), "'" + text + "'");
    }
  }

  @Test
  void theSpeltOutLanguagesAreTheModels() {
    Set<String> model = new TreeSet<>(List.of(new LanguageDetectorME(DetectLanguage.Detectors.model()).getSupportedLanguages()));
    assertEquals(model, DetectLanguage.Detectors.LANGUAGES);
  }

  @Test
  void mapsTheModelsCodesToIso6391WhereThereIsOne() {
    assertEquals("en", DetectLanguage.code("eng"));
    assertEquals("he", DetectLanguage.code("heb"));
    assertEquals("id", DetectLanguage.code("ind"));
    assertEquals("zh", DetectLanguage.code("cmn"));
    assertEquals("et", DetectLanguage.code("ekk"));
    assertEquals("et", DetectLanguage.code("est"));
    assertEquals("gsw", DetectLanguage.code("gsw"));
    assertTrue(DetectLanguage.KNOWN_CODES.containsAll(List.of("en", "de", "el", "zh", "nb", "nn", "gsw", "und")));
    assertTrue(DetectLanguage.KNOWN_CODES.stream().noneMatch(c -> List.of("eng", "ekk", "cmn", "iw", "in").contains(c)),
        DetectLanguage.KNOWN_CODES.toString());
  }

  @Test
  void withoutAnAllowListAnnotatesAndKeepsAll() {
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(Create.of(docs()).withCoder(Document.DocumentCoder.of())).apply(DetectLanguage.create());
    PAssert.that(idAndLanguage(out.get(DetectLanguage.KEPT), "Kept"))
        .containsInAnyOrder(SENTENCES.keySet().stream().map(c -> "doc-" + c + "=" + c).toList());
    PAssert.that(out.get(DetectLanguage.OTHER_LANGUAGE)).empty();
    TestPipelines.run(p);
  }

  @Test
  void anAllowListRoutesTheOtherLanguagesToTheSecondOutput() {
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(Create.of(docs()).withCoder(Document.DocumentCoder.of()))
        .apply(DetectLanguage.create().withAllowedLanguages(List.of("en", " DE ")));
    PAssert.that(idAndLanguage(out.get(DetectLanguage.KEPT), "Kept")).containsInAnyOrder("doc-de=de", "doc-en=en");
    PAssert.that(idAndLanguage(out.get(DetectLanguage.OTHER_LANGUAGE), "Other"))
        .containsInAnyOrder("doc-el=el", "doc-es=es", "doc-fr=fr", "doc-it=it", "doc-nl=nl", "doc-pl=pl");
    TestPipelines.run(p);
  }

  @Test
  void anExistingLabelIsKeptNormalisedUnlessToldToOverwrite() {
    String german = SENTENCES.get("de");
    List<Document> labelled = List.of(
        Document.of("region", german, "t#0", Map.of("language", "en-US", "url", "u")),
        Document.of("iso3", german, "t#1", Map.of("language", "eng_Latn")),
        Document.of("blank", german, "t#2", Map.of("language", " ")),
        Document.of("none", german, "t#3"));
    Pipeline p = TestPipelines.create();
    PCollection<Document> in = p.apply(Create.of(labelled).withCoder(Document.DocumentCoder.of()));
    PCollectionTuple kept = in.apply("Keep", DetectLanguage.create().withAllowedLanguages(List.of("en")));
    PAssert.that(idAndLanguage(kept.get(DetectLanguage.KEPT), "Labelled")).containsInAnyOrder("region=en", "iso3=en");
    PAssert.that(idAndLanguage(kept.get(DetectLanguage.OTHER_LANGUAGE), "Detected")).containsInAnyOrder("blank=de", "none=de");
    // Other metadata stays.
    PAssert.that(kept.get(DetectLanguage.KEPT).apply("Urls", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.id() + ":" + d.metadata().getOrDefault("url", "-"))))
        .containsInAnyOrder("region:u", "iso3:-");
    PCollectionTuple overwritten = in.apply("Overwrite", DetectLanguage.create().withExistingLabels(false).withAllowedLanguages(List.of("en")));
    PAssert.that(overwritten.get(DetectLanguage.KEPT)).empty();
    PAssert.that(idAndLanguage(overwritten.get(DetectLanguage.OTHER_LANGUAGE), "All detected"))
        .containsInAnyOrder("region=de", "iso3=de", "blank=de", "none=de");
    TestPipelines.run(p);
  }

  @Test
  void normalisesCommonLabelForms() {
    assertEquals("en", DetectLanguage.normalize("EN"));
    assertEquals("en", DetectLanguage.normalize("English"));
    assertEquals("de", DetectLanguage.normalize("deu"));
    assertEquals("de", DetectLanguage.normalize("German"));
    assertEquals("lv", DetectLanguage.normalize("lvs_Latn"));
    assertEquals("nds", DetectLanguage.normalize("nds"));
    assertEquals("pt", DetectLanguage.normalize("pt_BR"));
    assertEquals("xx", DetectLanguage.normalize("xx-YY"));
    assertEquals("klingon", DetectLanguage.normalize("Klingon"));
  }

  @Test
  void thePrefixEndsAtAWordBoundary() {
    String text = "word ".repeat(100);
    String p = DetectLanguage.prefix(text, 102);
    assertTrue(p.length() <= 102 && p.endsWith("word"), p);
    assertEquals("short", DetectLanguage.prefix("short", 100));
  }

  @Test
  void rejectsUnknownCodesAndPrefixesOutOfRange() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DetectLanguage.create().withAllowedLanguages(List.of("en", "xx")));
    assertTrue(e.getMessage().contains("'xx'") && e.getMessage().contains("en"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DetectLanguage.create().withPrefixChars(99));
    assertThrows(IllegalArgumentException.class, () -> DetectLanguage.create().withPrefixChars(100_001));
  }
}
