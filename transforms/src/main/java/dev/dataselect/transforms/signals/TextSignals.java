package dev.dataselect.transforms.signals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * The {@link Signal}s of one text, computed in a few passes over it (see {@link Signal} for the
 * definitions). Plain Java, no state: safe to call from any thread.
 *
 * <p>Word n-grams are compared by a 64-bit hash of their words (FNV-1a over each word's
 * characters, combined by position), so no n-gram string is built; two different n-grams would
 * have to collide in 64 bits to be confused.
 *
 * <p>The stop-word set is Lucene's {@code EnglishAnalyzer.ENGLISH_STOP_WORDS_SET} (33 words,
 * maintained with Lucene's analyzers); Gopher's own rule uses its eight words ({@link
 * #GOPHER_STOP_WORDS}).
 */
public final class TextSignals {
  /** Gopher's stop words (Rae et al. 2021, appendix A.1.1): a document needs two of them. */
  public static final Set<String> GOPHER_STOP_WORDS = Set.of("the", "be", "to", "of", "and", "that", "have", "with");

  private static final CharArraySet STOP_WORDS = EnglishAnalyzer.ENGLISH_STOP_WORDS_SET;
  private static final String TERMINAL = ".!?\"'\u201d\u2019\u00bb";
  /** C4's terminal punctuation (Raffel et al. 2020, section 2.2): period, exclamation mark, question mark, end quote. */
  private static final String C4_TERMINAL = ".!?\"\u201d";
  private static final String BULLETS = "\u2022\u25cf\u25cb\u25e6\u25a0\u25a1\u25aa\u25ab\u2023\u2043-*\u2013";
  private static final Pattern PARAGRAPH_BREAK = Pattern.compile("\\r?\\n[ \\t\\x0B\\f\\r]*\\r?\\n\\s*");
  private static final Pattern URL = Pattern.compile("(?i)(?:https?://|www\\.)\\S+");
  /** An e-mail address's domain, matched from just after its '@' (see {@link #emails}). */
  private static final Pattern EMAIL_DOMAIN = Pattern.compile("[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
  private static final String EMAIL_LOCAL = "._%+-";
  private static final Pattern SENTENCE_END = Pattern.compile("[.!?]+(?=\\s|$)");

  private final double[] values;

  private TextSignals(double[] values) {
    this.values = values;
  }

  /** The signal's value for this text. */
  public double get(Signal signal) {
    return values[signal.ordinal()];
  }

  /** All values, in {@link Signal} order (a copy). */
  public double[] values() {
    return values.clone();
  }

  /** Computes every signal of {@code text}. */
  public static TextSignals of(String text) {
    double[] v = new double[Signal.values().length];
    characters(text, v);
    List<String> words = words(text);
    wordSignals(words, v);
    lineSignals(text, v);
    paragraphSignals(text, v);
    ngramSignals(words, v);
    String lower = text.toLowerCase(Locale.ROOT);
    v[Signal.LOREM_IPSUM.ordinal()] = lower.contains("lorem ipsum") ? 1 : 0;
    v[Signal.CURLY_BRACKET.ordinal()] = text.indexOf('{') >= 0 || text.indexOf('}') >= 0 ? 1 : 0;
    v[Signal.URLS.ordinal()] = count(URL.matcher(text));
    v[Signal.EMAILS.ordinal()] = emails(text);
    return new TextSignals(v);
  }

  private static void characters(String text, double[] v) {
    long chars = 0;
    long upper = 0;
    long digits = 0;
    long nonAscii = 0;
    long hashes = 0;
    long ellipses = 0;
    int dots = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      chars++;
      if (Character.isUpperCase(cp)) {
        upper++;
      }
      if (Character.isDigit(cp)) {
        digits++;
      }
      if (cp > 127) {
        nonAscii++;
      }
      if (cp == '#') {
        hashes++;
      }
      if (cp == '\u2026') {
        ellipses++;
      }
      dots = cp == '.' ? dots + 1 : 0;
      if (dots == 3) { // "..." counts once; "......" twice
        ellipses++;
        dots = 0;
      }
    }
    v[Signal.CHARS.ordinal()] = chars;
    v[Signal.UPPERCASE_FRACTION.ordinal()] = fraction(upper, chars);
    v[Signal.DIGIT_FRACTION.ordinal()] = fraction(digits, chars);
    v[Signal.NON_ASCII_FRACTION.ordinal()] = fraction(nonAscii, chars);
    // Per word: filled in once the words are counted.
    v[Signal.HASH_TO_WORD_RATIO.ordinal()] = hashes;
    v[Signal.ELLIPSIS_TO_WORD_RATIO.ordinal()] = ellipses;
  }

  /** Maximal runs of non-whitespace characters. */
  static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    int start = -1;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      boolean space = Character.isWhitespace(cp) || Character.isSpaceChar(cp);
      if (space && start >= 0) {
        out.add(text.substring(start, i));
        start = -1;
      } else if (!space && start < 0) {
        start = i;
      }
      i += Character.charCount(cp);
    }
    if (start >= 0) {
      out.add(text.substring(start));
    }
    return out;
  }

  private static void wordSignals(List<String> words, double[] v) {
    long wordChars = 0;
    long alphabetic = 0;
    long stop = 0;
    long gopherStop = 0;
    for (String w : words) {
      int n = w.codePointCount(0, w.length());
      wordChars += n;
      if (w.codePoints().anyMatch(Character::isLetter)) {
        alphabetic++;
      }
      String bare = strip(w).toLowerCase(Locale.ROOT);
      if (STOP_WORDS.contains(bare)) {
        stop++;
      }
      if (GOPHER_STOP_WORDS.contains(bare)) {
        gopherStop++;
      }
    }
    int count = words.size();
    v[Signal.WORDS.ordinal()] = count;
    v[Signal.MEAN_WORD_LENGTH.ordinal()] = count == 0 ? 0 : (double) wordChars / count;
    v[Signal.ALPHABETIC_WORD_FRACTION.ordinal()] = fraction(alphabetic, count);
    v[Signal.STOP_WORD_FRACTION.ordinal()] = fraction(stop, count);
    v[Signal.GOPHER_STOP_WORDS.ordinal()] = gopherStop;
    v[Signal.HASH_TO_WORD_RATIO.ordinal()] = fraction((long) v[Signal.HASH_TO_WORD_RATIO.ordinal()], count);
    v[Signal.ELLIPSIS_TO_WORD_RATIO.ordinal()] = fraction((long) v[Signal.ELLIPSIS_TO_WORD_RATIO.ordinal()], count);
  }

  /** The word without leading and trailing characters that are neither letters nor digits. */
  static String strip(String word) {
    int from = 0;
    int to = word.length();
    while (from < to && !Character.isLetterOrDigit(word.codePointAt(from))) {
      from += Character.charCount(word.codePointAt(from));
    }
    while (to > from && !Character.isLetterOrDigit(word.codePointBefore(to))) {
      to -= Character.charCount(word.codePointBefore(to));
    }
    return word.substring(from, to);
  }

  private static void lineSignals(String text, double[] v) {
    long lines = 0;
    long terminal = 0;
    long ellipsis = 0;
    long bullets = 0;
    long shortLines = 0;
    long duplicates = 0;
    long lineChars = 0;
    long duplicateChars = 0;
    long javascript = 0;
    long c4Sentences = 0;
    Set<String> seen = new HashSet<>();
    for (String raw : text.split("\n", -1)) {
      String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      lines++;
      int chars = line.codePointCount(0, line.length());
      lineChars += chars;
      int last = line.codePointBefore(line.length());
      boolean ends = TERMINAL.indexOf(last) >= 0;
      if (ends) {
        terminal++;
      }
      if (line.endsWith("...") || last == '\u2026') {
        ellipsis++;
      }
      if (BULLETS.indexOf(line.codePointAt(0)) >= 0) {
        bullets++;
      }
      if (chars < 30) {
        shortLines++;
      }
      if (!seen.add(line)) {
        duplicates++;
        duplicateChars += chars;
      }
      boolean mentionsJavascript = line.toLowerCase(Locale.ROOT).contains("javascript");
      if (mentionsJavascript) {
        javascript++;
      }
      if (C4_TERMINAL.indexOf(last) >= 0 && !mentionsJavascript && words(line).size() >= 5) {
        c4Sentences += Math.max(1, count(SENTENCE_END.matcher(line)));
      }
    }
    v[Signal.LINES.ordinal()] = lines;
    v[Signal.TERMINAL_PUNCTUATION_LINE_FRACTION.ordinal()] = fraction(terminal, lines);
    v[Signal.ELLIPSIS_LINE_FRACTION.ordinal()] = fraction(ellipsis, lines);
    v[Signal.BULLET_LINE_FRACTION.ordinal()] = fraction(bullets, lines);
    v[Signal.SHORT_LINE_FRACTION.ordinal()] = fraction(shortLines, lines);
    v[Signal.DUPLICATE_LINE_FRACTION.ordinal()] = fraction(duplicates, lines);
    v[Signal.DUPLICATE_LINE_CHAR_FRACTION.ordinal()] = fraction(duplicateChars, lineChars);
    v[Signal.JAVASCRIPT_LINES.ordinal()] = javascript;
    v[Signal.C4_SENTENCES.ordinal()] = c4Sentences;
  }

  private static void paragraphSignals(String text, double[] v) {
    long paragraphs = 0;
    long duplicates = 0;
    long chars = 0;
    long duplicateChars = 0;
    Set<String> seen = new HashSet<>();
    for (String raw : PARAGRAPH_BREAK.split(text)) {
      String p = raw.strip();
      if (p.isEmpty()) {
        continue;
      }
      paragraphs++;
      int n = p.codePointCount(0, p.length());
      chars += n;
      if (!seen.add(p)) {
        duplicates++;
        duplicateChars += n;
      }
    }
    v[Signal.DUPLICATE_PARAGRAPH_FRACTION.ordinal()] = fraction(duplicates, paragraphs);
    v[Signal.DUPLICATE_PARAGRAPH_CHAR_FRACTION.ordinal()] = fraction(duplicateChars, chars);
  }

  private static void ngramSignals(List<String> words, double[] v) {
    int n = words.size();
    long[] hashes = new long[n];
    int[] lengths = new int[n];
    long total = 0;
    for (int i = 0; i < n; i++) {
      String w = words.get(i);
      hashes[i] = fnv(w);
      lengths[i] = w.codePointCount(0, w.length());
      total += lengths[i];
    }
    Signal[] top = {Signal.TOP_2GRAM_CHAR_FRACTION, Signal.TOP_3GRAM_CHAR_FRACTION, Signal.TOP_4GRAM_CHAR_FRACTION};
    for (int k = 2; k <= 4; k++) {
      v[top[k - 2].ordinal()] = fraction(topNgramChars(hashes, lengths, k), total);
    }
    Signal[] dup = {
      Signal.DUPLICATE_5GRAM_CHAR_FRACTION, Signal.DUPLICATE_6GRAM_CHAR_FRACTION, Signal.DUPLICATE_7GRAM_CHAR_FRACTION,
      Signal.DUPLICATE_8GRAM_CHAR_FRACTION, Signal.DUPLICATE_9GRAM_CHAR_FRACTION, Signal.DUPLICATE_10GRAM_CHAR_FRACTION
    };
    for (int k = 5; k <= 10; k++) {
      v[dup[k - 5].ordinal()] = fraction(duplicateNgramChars(hashes, lengths, k), total);
    }
  }

  /**
   * Characters of all occurrences of the most frequent k-gram (the first such k-gram on a tie), 0
   * when no k-gram occurs twice.
   */
  static long topNgramChars(long[] hashes, int[] lengths, int k) {
    Map<Long, int[]> counts = new HashMap<>(); // hash -> {count, first position}
    int best = 0;
    int bestAt = -1;
    for (int i = 0; i + k <= hashes.length; i++) {
      int[] c = counts.computeIfAbsent(ngram(hashes, i, k), h -> new int[2]);
      if (c[0]++ == 0) {
        c[1] = i;
      }
      if (c[0] > best) {
        best = c[0];
        bestAt = c[1];
      }
    }
    if (best < 2) {
      return 0;
    }
    long chars = 0;
    for (int j = bestAt; j < bestAt + k; j++) {
      chars += lengths[j];
    }
    return best * chars;
  }

  /**
   * Characters of the k-grams that repeat an earlier one, scanning left to right: a repeat adds its
   * words' characters and the scan jumps past it (so no word counts twice); otherwise the k-gram is
   * remembered and the scan moves one word.
   */
  static long duplicateNgramChars(long[] hashes, int[] lengths, int k) {
    Set<Long> seen = new HashSet<>();
    long chars = 0;
    int i = 0;
    while (i + k <= hashes.length) {
      long h = ngram(hashes, i, k);
      if (seen.contains(h)) {
        for (int j = i; j < i + k; j++) {
          chars += lengths[j];
        }
        i += k;
      } else {
        seen.add(h);
        i++;
      }
    }
    return chars;
  }

  private static long ngram(long[] hashes, int from, int k) {
    long h = 0xcbf29ce484222325L ^ k;
    for (int j = from; j < from + k; j++) {
      h = (h ^ hashes[j]) * 0x100000001b3L;
      h ^= h >>> 29;
    }
    return h;
  }

  private static long fnv(String w) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < w.length(); i++) {
      h = (h ^ w.charAt(i)) * 0x100000001b3L;
    }
    return h;
  }

  /**
   * Addresses: an '@' with a local-part character before it ({@code A-Z a-z 0-9 . _ % + -}) and a
   * domain after it. Found from each '@' rather than by one pattern over the text: a pattern that
   * starts with the local part backtracks quadratically over a long run of letters without an '@'.
   */
  static int emails(String text) {
    int n = 0;
    Matcher domain = EMAIL_DOMAIN.matcher(text);
    for (int at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
      if (at == 0) {
        continue;
      }
      char before = text.charAt(at - 1);
      boolean local = before < 128 && (Character.isLetterOrDigit(before) || EMAIL_LOCAL.indexOf(before) >= 0);
      if (local && domain.region(at + 1, text.length()).lookingAt()) {
        n++;
      }
    }
    return n;
  }

  private static int count(Matcher m) {
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }

  private static double fraction(long part, long whole) {
    return whole == 0 ? 0 : (double) part / whole;
  }
}
