package dev.dataselect.transforms.lang;

import static com.google.common.base.Preconditions.checkArgument;

import com.github.pemistahl.lingua.api.IsoCode639_1;
import com.github.pemistahl.lingua.api.IsoCode639_3;
import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import com.google.common.collect.ImmutableSortedSet;
import dev.dataselect.transforms.Document;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.annotation.Nullable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Language identification: writes each document's ISO 639-1 code into its metadata under {@value
 * #LANGUAGE_FIELD} ({@value #UNDETERMINED} when the text has no letters to go by) and, with an
 * allow-list, routes the documents of other languages to {@link #OTHER_LANGUAGE}. Without an
 * allow-list every document goes to {@link #KEPT}, annotated.
 *
 * <p>Detection is by <a href="https://github.com/pemistahl/lingua">Lingua</a> (1.2.2): maintained,
 * pure JVM with its n-gram models inside its jar (no native library, no download, no network at run
 * time), and accurate on short text where character-statistics detectors such as Tika's or Optimaize
 * guess. It knows 75 languages, all of them loaded: a document is told apart from every language
 * Lingua knows, not only from the allowed ones (a Dutch text must not pass as the closest allowed
 * language). The detector runs in low-accuracy mode (trigram models only): Lingua uses only trigrams
 * for any text of 120 characters or more in either mode, so the high-accuracy mode only changes the
 * verdict on very short texts, and it costs several times the heap (all 1- to 5-gram models).
 *
 * <p>Only the first {@link #withPrefixChars prefix} characters are looked at (cut at a word
 * boundary): the cost of a detection grows with the text, and a document's language shows in its
 * first paragraph. Measured against 500 characters, 250 agreed on 2,999 of 3,000 Europarl documents;
 * on the shared web sample, 500 characters agreed with the whole text on 96% of the documents (the
 * others are pages that mix languages).
 *
 * <p>Cost, measured on the shared two-core machine under load: 90 to 200 documents per CPU second
 * (2 to 4 ms of CPU per call in the calling thread, plus Lingua's fork-join hand-off and garbage
 * collection), nearly flat in the prefix length from 100 to 500 characters, since each of the
 * document's distinct trigrams is looked up in every candidate language of its script. The models
 * load in about 10 s and take 35 to 60 MB of heap; the high-accuracy mode took 164 s and 1.4 GB.
 *
 * <p>A document that already carries a language label in its metadata (a corpus that ships one and
 * whose field was read with {@code --metadataFields=language}) keeps it by default, normalised to
 * ISO 639-1 where it is a known ISO 639-1 or 639-3 code or an English language name ({@code en-US},
 * {@code eng}, {@code eng_Latn} and {@code English} all become {@code en}), and is not run through
 * the detector: the corpus's own label is usually from a stronger model over the whole document.
 * {@link #withExistingLabels withExistingLabels(false)} detects every document and overwrites it.
 *
 * <p>One detector per JVM ({@link Detectors}), built on the first {@code @Setup}: Lingua's models
 * live in static maps and its detector is thread-safe, so every DoFn instance shares it.
 */
public final class DetectLanguage extends PTransform<PCollection<Document>, PCollectionTuple> {
  /** Documents in an allowed language (all documents when there is no allow-list), annotated. */
  public static final TupleTag<Document> KEPT = new TupleTag<>("kept") {};
  /** Documents in another language, annotated: a decision with a reason, not a dead letter. */
  public static final TupleTag<Document> OTHER_LANGUAGE = new TupleTag<>("otherLanguage") {};

  /** The metadata field holding the ISO 639-1 code; the run report counts documents by it. */
  public static final String LANGUAGE_FIELD = "language";
  /** The code of a text Lingua cannot place (no letters, or a tie): BCP 47's "undetermined". */
  public static final String UNDETERMINED = "und";
  /** Characters looked at by default. */
  public static final int DEFAULT_PREFIX_CHARS = 500;
  /** The codes Lingua can return, and {@value #UNDETERMINED}. */
  public static final Set<String> KNOWN_CODES = knownCodes();

  private final ImmutableSortedSet<String> allowed;
  private final boolean keepExisting;
  private final int prefixChars;

  private DetectLanguage(ImmutableSortedSet<String> allowed, boolean keepExisting, int prefixChars) {
    this.allowed = allowed;
    this.keepExisting = keepExisting;
    this.prefixChars = prefixChars;
  }

  /** Annotates every document and keeps them all. */
  public static DetectLanguage create() {
    return new DetectLanguage(ImmutableSortedSet.of(), true, DEFAULT_PREFIX_CHARS);
  }

  /**
   * Keeps only documents whose code is in {@code codes} (ISO 639-1, e.g. {@code en, de}; {@value
   * #UNDETERMINED} keeps texts that cannot be placed); empty keeps all.
   */
  public DetectLanguage withAllowedLanguages(Collection<String> codes) {
    checkArgument(codes != null, "allowed languages must not be null");
    TreeSet<String> out = new TreeSet<>();
    for (String code : codes) {
      String c = code == null ? "" : code.trim().toLowerCase(Locale.ROOT);
      checkArgument(KNOWN_CODES.contains(c),
          "allowed languages: '%s' is not an ISO 639-1 code Lingua detects; valid: %s", code, KNOWN_CODES);
      out.add(c);
    }
    return new DetectLanguage(ImmutableSortedSet.copyOf(out), keepExisting, prefixChars);
  }

  /** Whether a language label already in the metadata is kept (true, the default) or overwritten. */
  public DetectLanguage withExistingLabels(boolean keep) {
    return new DetectLanguage(allowed, keep, prefixChars);
  }

  /** How many leading characters are detected on, in [100, 100000]. */
  public DetectLanguage withPrefixChars(int chars) {
    checkArgument(chars >= 100 && chars <= 100_000, "prefixChars must be in [100, 100000], got %s", chars);
    return new DetectLanguage(allowed, keepExisting, chars);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    PCollectionTuple out =
        docs.apply("Detect", ParDo.of(new DetectFn(allowed, keepExisting, prefixChars))
            .withOutputTags(KEPT, TupleTagList.of(OTHER_LANGUAGE)));
    out.get(KEPT).setCoder(Document.DocumentCoder.of());
    out.get(OTHER_LANGUAGE).setCoder(Document.DocumentCoder.of());
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("detector", "Lingua 1.2.2, all languages, low-accuracy mode"))
        .add(DisplayData.item("allowedLanguages", allowed.isEmpty() ? "all" : String.join(",", allowed)))
        .add(DisplayData.item("existingLabels", keepExisting ? "kept" : "overwritten"))
        .add(DisplayData.item("prefixChars", prefixChars));
  }

  /**
   * The language label of a metadata map normalised to ISO 639-1 where possible, null when absent
   * or blank. Unknown labels are returned lower-cased, as given.
   */
  @Nullable
  static String existingLabel(Map<String, String> metadata) {
    String value = metadata.get(LANGUAGE_FIELD);
    if (value == null || value.isBlank()) {
      return null;
    }
    return normalize(value);
  }

  /** {@code en-US}, {@code EN}, {@code eng}, {@code eng_Latn}, {@code English} → {@code en}. */
  static String normalize(String label) {
    String l = label.trim().toLowerCase(Locale.ROOT);
    String primary = l.split("[-_]", 2)[0];
    if (primary.length() == 2 && KNOWN_CODES.contains(primary)) {
      return primary;
    }
    for (Language lang : Language.values()) {
      if (lang == Language.UNKNOWN) {
        continue;
      }
      if (primary.equals(code3(lang)) || l.equals(lang.name().toLowerCase(Locale.ROOT))) {
        return code(lang);
      }
    }
    return primary.length() == 2 ? primary : l;
  }

  /** The first {@code chars} characters, cut back to the last whitespace within the last 40. */
  static String prefix(String text, int chars) {
    if (text.length() <= chars) {
      return text;
    }
    int end = chars;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    for (int i = end; i > end - 40 && i > 0; i--) {
      if (Character.isWhitespace(text.charAt(i))) {
        return text.substring(0, i);
      }
    }
    return text.substring(0, end);
  }

  /** The ISO 639-1 code of Lingua's verdict on {@code text}, {@value #UNDETERMINED} if none. */
  static String detect(LanguageDetector detector, String text) {
    Language lang = detector.detectLanguageOf(text);
    return lang == Language.UNKNOWN ? UNDETERMINED : code(lang);
  }

  private static String code(Language lang) {
    return lang.getIsoCode639_1().toString().toLowerCase(Locale.ROOT);
  }

  private static String code3(Language lang) {
    return lang.getIsoCode639_3().toString().toLowerCase(Locale.ROOT);
  }

  private static Set<String> knownCodes() {
    TreeSet<String> codes = new TreeSet<>();
    for (Language lang : Language.values()) {
      if (lang != Language.UNKNOWN && lang.getIsoCode639_1() != IsoCode639_1.NONE) {
        codes.add(code(lang));
      }
    }
    codes.add(UNDETERMINED);
    return ImmutableSortedSet.copyOf(codes);
  }

  /**
   * The JVM's one detector: every language Lingua knows, low-accuracy mode, models loaded up front
   * (so no document pays for a lazy load, and the load shows once in the log).
   */
  static final class Detectors {
    private static final Logger LOG = LoggerFactory.getLogger(Detectors.class);
    private static volatile LanguageDetector detector;

    private Detectors() {}

    static LanguageDetector get() {
      LanguageDetector d = detector;
      if (d == null) {
        synchronized (Detectors.class) {
          d = detector;
          if (d == null) {
            long start = System.nanoTime();
            d = LanguageDetectorBuilder.fromAllLanguages().withLowAccuracyMode().withPreloadedLanguageModels().build();
            LOG.info("Loaded Lingua's language models ({} languages, low-accuracy mode) in {} ms",
                Language.Companion.all().size(), (System.nanoTime() - start) / 1_000_000);
            detector = d;
          }
        }
      }
      return d;
    }
  }

  private static final class DetectFn extends DoFn<Document, Document> {
    private final ImmutableSortedSet<String> allowed;
    private final boolean keepExisting;
    private final int prefixChars;
    private final Counter detected = Metrics.counter(DetectLanguage.class, "detected");
    private final Counter labelled = Metrics.counter(DetectLanguage.class, "existingLabel");
    private final Counter kept = Metrics.counter(DetectLanguage.class, "kept");
    private final Counter other = Metrics.counter(DetectLanguage.class, "otherLanguage");
    private transient LanguageDetector detector;

    DetectFn(ImmutableSortedSet<String> allowed, boolean keepExisting, int prefixChars) {
      this.allowed = allowed;
      this.keepExisting = keepExisting;
      this.prefixChars = prefixChars;
    }

    @Setup
    public void setup() {
      detector = Detectors.get();
    }

    @ProcessElement
    public void process(@Element Document d, MultiOutputReceiver out) {
      String code = keepExisting ? existingLabel(d.metadata()) : null;
      if (code != null) {
        labelled.inc();
      } else {
        code = detect(detector, prefix(d.text(), prefixChars));
        detected.inc();
      }
      SortedMap<String, String> metadata = new TreeMap<>(d.metadata());
      metadata.put(LANGUAGE_FIELD, code);
      Document annotated = Document.of(d.id(), d.text(), d.source(), metadata);
      if (allowed.isEmpty() || allowed.contains(code)) {
        kept.inc();
        out.get(KEPT).output(annotated);
      } else {
        other.inc();
        out.get(OTHER_LANGUAGE).output(annotated);
      }
    }
  }
}
