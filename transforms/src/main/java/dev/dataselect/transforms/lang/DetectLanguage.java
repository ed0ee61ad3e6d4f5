package dev.dataselect.transforms.lang;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.base.Supplier;
import com.google.common.base.Suppliers;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSortedSet;
import dev.dataselect.transforms.Document;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.annotation.Nullable;
import opennlp.tools.langdetect.LanguageDetectorModel;
import opennlp.tools.util.normalizer.CharSequenceNormalizer;
import opennlp.tools.util.normalizer.EmojiCharSequenceNormalizer;
import opennlp.tools.util.normalizer.NumberCharSequenceNormalizer;
import opennlp.tools.util.normalizer.ShrinkCharSequenceNormalizer;
import opennlp.tools.util.normalizer.TwitterCharSequenceNormalizer;
import opennlp.tools.util.normalizer.UrlCharSequenceNormalizer;
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
 * #LANGUAGE_FIELD} ({@value #UNDETERMINED} when the text cannot be placed) and, with an allow-list,
 * routes the documents of other languages to {@link #OTHER_LANGUAGE}. Without an allow-list every
 * document goes to {@link #KEPT}, annotated.
 *
 * <p>Detection is by <a href="https://opennlp.apache.org/">Apache OpenNLP</a>'s language detector
 * (a maximum-entropy model over character 1- to 3-grams) with the model Apache publishes on Maven
 * Central ({@code org.apache.opennlp:opennlp-models-langdetect}, {@code langdetect-183.bin}, 103
 * languages): maintained by Apache, pure Java, the model a build dependency like any other (no native library, no download, no network at
 * run time). A document is told apart from every language the model knows, not only from the allowed
 * ones (a Dutch text must not pass as the closest allowed language). It replaced Lingua, which was
 * accurate on short text but cost 5 to 11 ms of CPU per document: the demo's language stage alone
 * outran the demo's whole budget.
 *
 * <p>The model answers ISO 639-3 codes; the stage writes ISO 639-1 ({@code eng} becomes {@code en};
 * the individual languages the model names for a macrolanguage become the macrolanguage's code:
 * {@code cmn} is {@code zh}, {@code ekk} {@code et}, {@code lvs} {@code lv}, {@code pes} {@code fa},
 * {@code plt} {@code mg}). The eight languages without an ISO 639-1 code (Asturian, Cebuano, Swiss
 * German, Minangkabau, Min Nan, Low German, Western Panjabi, Waray) keep their ISO 639-3 code.
 *
 * <p>A text is {@value #UNDETERMINED} when it has no letter (digits, punctuation, blank: the model
 * would still name a language), or when the best language's confidence is under twice the uniform
 * guess (2/103): the model learnt next to nothing from the text (a lone word such as "Hello").
 * Parliamentary sentences of 100 characters score 10 to 25 times the uniform guess.
 *
 * <p>Only the first {@link #withPrefixChars prefix} characters are looked at (cut at a word
 * boundary): the cost of a detection grows with the text, and a document's language shows in its
 * first paragraph. On the shared web sample, 500 characters agreed with the whole text on 96% of the
 * documents (the others are pages that mix languages).
 *
 * <p>Cost, measured over the 17,597 Europarl documents at 500 characters on the shared two-core
 * machine: 1,850 to 2,400 documents per CPU second (0.4 to 0.55 ms each; 3,400 to 3,900 at 250
 * characters), against 90 to 200 for Lingua; the model loads in about a second. The features are
 * built here ({@link Detector}) rather than by OpenNLP's {@code LanguageDetectorME}, whose n-grams
 * are {@code CharBuffer} views hashed character by character: the same features (the model
 * factory's normalisers in its order, lower-cased, distinct 1- to 3-grams) and the same verdict on
 * every one of the 17,597 documents, where {@code LanguageDetectorME} managed 1,150 to 1,500.
 *
 * <p>Verdicts on Europarl: 1,270 English documents (Lingua: 1,271); the same label as Lingua on
 * 2,922 of 2,933 documents (every sixth); 41 undetermined, all fragments of at most 40 characters
 * such as "- Rapport Gargani".
 *
 * <p>A document that already carries a language label in its metadata (a corpus that ships one and
 * whose field was read with {@code --metadataFields=language}) keeps it by default, normalised to
 * ISO 639-1 where it is a known ISO 639-1 or 639-3 code or an English language name ({@code en-US},
 * {@code eng}, {@code eng_Latn} and {@code English} all become {@code en}), and is not run through
 * the detector: the corpus's own label is usually from a stronger model over the whole document.
 * {@link #withExistingLabels withExistingLabels(false)} detects every document and overwrites it.
 *
 * <p>One model per JVM ({@link Detectors}), loaded from the classpath on the first {@code @Setup}
 * and shared: its maximum-entropy parameters are read-only. Each DoFn instance has its own {@link
 * Detector}, which reuses its buffers between documents (OpenNLP's own {@code LanguageDetectorME}
 * is not documented thread-safe either).
 */
public final class DetectLanguage extends PTransform<PCollection<Document>, PCollectionTuple> {
  /** Documents in an allowed language (all documents when there is no allow-list), annotated. */
  public static final TupleTag<Document> KEPT = new TupleTag<>("kept") {};
  /** Documents in another language, annotated: a decision with a reason, not a dead letter. */
  public static final TupleTag<Document> OTHER_LANGUAGE = new TupleTag<>("otherLanguage") {};

  /** The metadata field holding the ISO 639-1 code; the run report counts documents by it. */
  public static final String LANGUAGE_FIELD = "language";
  /** The code of a text the detector cannot place (no letters, or no confident verdict): BCP 47's "undetermined". */
  public static final String UNDETERMINED = "und";
  /** Characters looked at by default. */
  public static final int DEFAULT_PREFIX_CHARS = 500;
  /** The model's ISO 639-3 codes that have an ISO 639-1 code (others are written as they are). */
  private static final ImmutableMap<String, String> ISO_639_1 = iso6391();
  /** The codes the detector can return, and {@value #UNDETERMINED}. */
  public static final Set<String> KNOWN_CODES = knownCodes();
  /** English language names of {@link #KNOWN_CODES} ({@code english} → {@code en}), for labels. */
  private static final ImmutableMap<String, String> NAMES = names();
  /** Below this multiple of the uniform guess (1 / languages) the best verdict is {@value #UNDETERMINED}. */
  static final double MIN_CONFIDENCE_OVER_UNIFORM = 2.0;

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
          "allowed languages: '%s' is not an ISO 639-1 code the language detector knows; valid: %s", code, KNOWN_CODES);
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
        .add(DisplayData.item("detector", "Apache OpenNLP, langdetect-183.bin (103 languages)"))
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
    if (KNOWN_CODES.contains(primary)) {
      return primary;
    }
    String mapped = ISO_639_1.get(primary);
    if (mapped != null) {
      return mapped;
    }
    String named = NAMES.get(l);
    if (named != null) {
      return named;
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

  /** The ISO 639-1 code of one of the model's ISO 639-3 codes, the code itself if it has none. */
  static String code(String iso6393) {
    return ISO_639_1.getOrDefault(iso6393, iso6393);
  }

  private static ImmutableMap<String, String> iso6391() {
    // Spelt out rather than taken from java.util.Locale, which answers the withdrawn iw and in for
    // Hebrew and Indonesian and knows nothing of the macrolanguage members (cmn, ekk, lvs, pes, plt).
    String pairs = "afr af ara ar aze az bak ba bel be ben bn bos bs bre br bul bg cat ca ces cs che ce "
        + "cmn zh cym cy dan da deu de ekk et ell el eng en epo eo est et eus eu fao fo fas fa fin fi "
        + "fra fr fry fy gle ga glg gl guj gu heb he hin hi hrv hr hun hu hye hy ind id isl is ita it "
        + "jav jv jpn ja kan kn kat ka kaz kk kir ky kor ko lat la lav lv lim li lit lt ltz lb lvs lv "
        + "mal ml mar mr mkd mk mlt mt mon mn mri mi msa ms nep ne nld nl nno nn nob nb oci oc pan pa "
        + "pes fa plt mg pol pl por pt pus ps ron ro rus ru san sa sin si slk sk slv sl som so spa es "
        + "sqi sq srp sr sun su swa sw swe sv tam ta tat tt tel te tgk tg tgl tl tha th tur tr ukr uk "
        + "urd ur uzb uz vie vi vol vo zul zu";
    String[] p = pairs.split(" ");
    ImmutableMap.Builder<String, String> out = ImmutableMap.builder();
    for (int i = 0; i < p.length; i += 2) {
      out.put(p[i], p[i + 1]);
    }
    return out.buildOrThrow();
  }

  private static Set<String> knownCodes() {
    TreeSet<String> codes = new TreeSet<>();
    for (String lang : Detectors.LANGUAGES) {
      codes.add(code(lang));
    }
    codes.add(UNDETERMINED);
    return ImmutableSortedSet.copyOf(codes);
  }

  private static ImmutableMap<String, String> names() {
    Map<String, String> out = new HashMap<>();
    for (String code : KNOWN_CODES) {
      String name = Locale.forLanguageTag(code).getDisplayLanguage(Locale.ENGLISH).toLowerCase(Locale.ROOT);
      if (!name.isEmpty() && !name.equals(code)) {
        out.putIfAbsent(name, code);
      }
    }
    return ImmutableMap.copyOf(out);
  }

  /**
   * The JVM's one model, loaded from the classpath on first use (so no document pays for a lazy
   * load, and the load shows once in the log). The model is immutable and shared; detectors are not
   * thread-safe and are made per DoFn instance with {@link #newDetector}.
   */
  static final class Detectors {
    private static final Logger LOG = LoggerFactory.getLogger(Detectors.class);
    /** Where opennlp-models-langdetect keeps the model. */
    static final String MODEL_RESOURCE = "/langdetect-183.bin";
    /**
     * The model's languages (ISO 639-3), as its {@code getSupportedLanguages()} lists them: spelt
     * out so that validating options does not load the model; a test checks they match.
     */
    static final ImmutableSortedSet<String> LANGUAGES = ImmutableSortedSet.copyOf((
        "afr ara ast aze bak bel ben bos bre bul cat ceb ces che cmn cym dan deu ekk ell eng epo est "
            + "eus fao fas fin fra fry gle glg gsw guj heb hin hrv hun hye ind isl ita jav jpn kan kat "
            + "kaz kir kor lat lav lim lit ltz lvs mal mar min mkd mlt mon mri msa nan nds nep nld nno "
            + "nob oci pan pes plt pnb pol por pus ron rus san sin slk slv som spa sqi srp sun swa swe "
            + "tam tat tel tgk tgl tha tur ukr urd uzb vie vol war zul").split(" "));
    private static volatile LanguageDetectorModel model;
    private static final Supplier<CompiledLanguageModel> COMPILED =
        Suppliers.memoize(() -> CompiledLanguageModel.of(model().getMaxentModel()));

    private Detectors() {}

    static LanguageDetectorModel model() {
      LanguageDetectorModel m = model;
      if (m == null) {
        synchronized (Detectors.class) {
          m = model;
          if (m == null) {
            long start = System.nanoTime();
            try (InputStream in = Detectors.class.getResourceAsStream(MODEL_RESOURCE)) {
              if (in == null) {
                throw new IllegalStateException("OpenNLP's language model " + MODEL_RESOURCE
                    + " is not on the classpath: it ships in org.apache.opennlp:opennlp-models-langdetect");
              }
              m = new LanguageDetectorModel(in);
            } catch (IOException e) {
              throw new UncheckedIOException("Cannot read OpenNLP's language model " + MODEL_RESOURCE, e);
            }
            LOG.info("Loaded OpenNLP's language model {} ({} languages) in {} ms", MODEL_RESOURCE,
                m.getMaxentModel().getNumOutcomes(), (System.nanoTime() - start) / 1_000_000);
            model = m;
          }
        }
      }
      return m;
    }

    /** The shared model, compiled for lookup by n-gram ({@link CompiledLanguageModel}). */
    static CompiledLanguageModel compiled() {
      return COMPILED.get();
    }

    /** A detector over the shared model, for one thread. */
    static Detector newDetector() {
      return new Detector(compiled());
    }
  }

  /**
   * One thread's detector. Its features are those of OpenNLP's {@code
   * DefaultLanguageDetectorContextGenerator} as the model's factory configures it (1- to 3-grams,
   * after the emoji, URL, Twitter, number and whitespace normalisers, in that order): the text
   * normalised, lower-cased character by character, and its distinct 1-, 2- and 3-grams of chars.
   */
  static final class Detector {
    private static final CharSequenceNormalizer[] NORMALIZERS = {
      EmojiCharSequenceNormalizer.getInstance(), UrlCharSequenceNormalizer.getInstance(),
      TwitterCharSequenceNormalizer.getInstance(), NumberCharSequenceNormalizer.getInstance(),
      ShrinkCharSequenceNormalizer.getInstance()};
    private final CompiledLanguageModel model;
    /** The stage's code of each of the model's outcomes. */
    private final String[] codes;
    private final double minConfidence;
    private final double[] sums;
    /** Per n-gram of the model, the {@link #stamp} of the last text that had it: distinct n-grams only. */
    private final int[] seen;
    private int stamp;
    private char[] chars = new char[0];

    Detector(CompiledLanguageModel model) {
      this.model = model;
      this.codes = new String[model.outcomes()];
      for (int i = 0; i < codes.length; i++) {
        codes[i] = code(model.outcome(i));
      }
      this.minConfidence = MIN_CONFIDENCE_OVER_UNIFORM / codes.length;
      this.sums = new double[codes.length];
      this.seen = new int[model.grams()];
    }

    /**
     * The ISO 639-1 code of the model's verdict on {@code text} (ISO 639-3 where the language has no
     * ISO 639-1 code), {@value #UNDETERMINED} when the text has no letter or the verdict is weak.
     */
    String detect(String text) {
      if (text.codePoints().noneMatch(Character::isLetter)) {
        return UNDETERMINED;
      }
      int best = score(text);
      return probability(best) < minConfidence ? UNDETERMINED : codes[best];
    }

    /** The model's probability of {@code text}'s verdict, as OpenNLP's softmax gives it (tests). */
    double confidence(String text) {
      return probability(score(text));
    }

    /** Sums each outcome's parameters over {@code text}'s distinct n-grams into {@link #sums}; the best outcome. */
    private int score(String text) {
      int length = normalize(text);
      if (++stamp == 0) {
        java.util.Arrays.fill(seen, 0);
        stamp = 1;
      }
      model.startSums(sums);
      for (int n = 1; n <= CompiledLanguageModel.MAX_GRAM; n++) {
        for (int i = 0; i + n <= length; i++) {
          int gram = model.index(CompiledLanguageModel.key(chars, i, n));
          if (gram >= 0 && seen[gram] != stamp) {
            seen[gram] = stamp;
            model.addTo(gram, sums);
          }
        }
      }
      int best = 0;
      for (int i = 1; i < sums.length; i++) {
        if (sums[i] > sums[best]) {
          best = i;
        }
      }
      return best;
    }

    /** Outcome {@code best}'s probability from {@link #sums}: exp(s_best) / sum_i exp(s_i), OpenNLP's softmax. */
    private double probability(int best) {
      double z = 0;
      for (double s : sums) {
        z += Math.exp(s - sums[best]);
      }
      return 1 / z;
    }

    /** The model's features of {@code text} (its distinct 1- to 3-grams), in no particular order. */
    String[] features(String text) {
      int length = normalize(text);
      Set<String> grams = new HashSet<>();
      for (int n = 1; n <= CompiledLanguageModel.MAX_GRAM; n++) {
        for (int i = 0; i + n <= length; i++) {
          grams.add(CompiledLanguageModel.gram(CompiledLanguageModel.key(chars, i, n)));
        }
      }
      return grams.toArray(new String[0]);
    }

    /** Puts {@code text}, normalised and lower-cased char by char, into {@link #chars}; its length. */
    private int normalize(String text) {
      CharSequence normalized = text;
      for (CharSequenceNormalizer n : NORMALIZERS) {
        normalized = n.normalize(normalized);
      }
      int length = normalized.length();
      if (chars.length < length) {
        chars = new char[length];
      }
      for (int i = 0; i < length; i++) {
        chars[i] = Character.toLowerCase(normalized.charAt(i));
      }
      return length;
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
    private transient Detector detector;

    DetectFn(ImmutableSortedSet<String> allowed, boolean keepExisting, int prefixChars) {
      this.allowed = allowed;
      this.keepExisting = keepExisting;
      this.prefixChars = prefixChars;
    }

    @Setup
    public void setup() {
      detector = Detectors.newDetector();
    }

    @ProcessElement
    public void process(@Element Document d, MultiOutputReceiver out) {
      String code = keepExisting ? existingLabel(d.metadata()) : null;
      if (code != null) {
        labelled.inc();
      } else {
        code = detector.detect(prefix(d.text(), prefixChars));
        detected.inc();
      }
      SortedMap<String, String> metadata = new TreeMap<>(d.metadata());
      metadata.put(LANGUAGE_FIELD, code);
      Document annotated = d.withMetadata(metadata);
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
