package dev.dataselect.transforms.signals;

import java.util.Locale;

/**
 * The text-quality signals {@link TextSignals} computes for a document: cheap surface statistics
 * that separate running prose from boilerplate, lists and spam, and the inputs of the published
 * rule filters ({@link RuleSet}).
 *
 * <p>Definitions shared by all signals:
 *
 * <ul>
 *   <li><b>characters</b> are Unicode code points;
 *   <li><b>words</b> are the maximal runs of characters that are neither whitespace nor space
 *       separators ({@link Character#isWhitespace}, {@link Character#isSpaceChar}: a no-break space
 *       separates words too);
 *   <li><b>lines</b> are the text split at {@code \n} (a trailing {@code \r} removed), and only
 *       lines with a non-whitespace character count, trimmed;
 *   <li><b>paragraphs</b> are the text split at runs of two or more line breaks (blank lines
 *       between), trimmed, empty ones left out;
 *   <li>a fraction of an empty set (no words, no lines) is 0.
 * </ul>
 */
public enum Signal {
  /** Characters in the text. */
  CHARS("characters in the text"),
  /** Words in the text. */
  WORDS("whitespace-separated words"),
  /** Non-blank lines. */
  LINES("non-blank lines"),
  /** Mean characters per word. */
  MEAN_WORD_LENGTH("mean characters per word"),
  /** Fraction of words with at least one alphabetic character (Gopher's "alphabetic words"). */
  ALPHABETIC_WORD_FRACTION("fraction of words with at least one letter"),
  /** Occurrences of {@code #} per word. */
  HASH_TO_WORD_RATIO("'#' characters per word"),
  /** Ellipses ({@code ...} or {@code …}) per word. */
  ELLIPSIS_TO_WORD_RATIO("ellipses ('...' or '…') per word"),
  /** Fraction of lines ending in terminal punctuation: . ! ? or a closing quote ({@code " ' ” ’ »}). */
  TERMINAL_PUNCTUATION_LINE_FRACTION("fraction of lines ending in . ! ? or a closing quote"),
  /** Fraction of lines ending in an ellipsis. */
  ELLIPSIS_LINE_FRACTION("fraction of lines ending in an ellipsis"),
  /** Fraction of lines starting with a bullet: {@code • ● ○ ◦ ■ □ ▪ ▫ ‣ ⁃ - * –}. */
  BULLET_LINE_FRACTION("fraction of lines starting with a bullet"),
  /** Fraction of lines shorter than 30 characters (FineWeb). */
  SHORT_LINE_FRACTION("fraction of lines under 30 characters"),
  /** Fraction of lines that repeat an earlier line of the document. */
  DUPLICATE_LINE_FRACTION("fraction of lines repeating an earlier line"),
  /** Characters of the repeating lines over the characters of all lines. */
  DUPLICATE_LINE_CHAR_FRACTION("characters in repeated lines / characters in lines"),
  /** Fraction of paragraphs that repeat an earlier paragraph. */
  DUPLICATE_PARAGRAPH_FRACTION("fraction of paragraphs repeating an earlier paragraph"),
  /** Characters of the repeating paragraphs over the characters of all paragraphs. */
  DUPLICATE_PARAGRAPH_CHAR_FRACTION("characters in repeated paragraphs / characters in paragraphs"),
  /** Characters of the most frequent word 2-gram (all its occurrences) over the characters of all words. */
  TOP_2GRAM_CHAR_FRACTION("characters in the most frequent word 2-gram / characters in words"),
  /** As {@link #TOP_2GRAM_CHAR_FRACTION} for 3-grams. */
  TOP_3GRAM_CHAR_FRACTION("characters in the most frequent word 3-gram / characters in words"),
  /** As {@link #TOP_2GRAM_CHAR_FRACTION} for 4-grams. */
  TOP_4GRAM_CHAR_FRACTION("characters in the most frequent word 4-gram / characters in words"),
  /**
   * Characters of the words covered by a repeated word 5-gram (every occurrence after the first)
   * over the characters of all words; each word counts once.
   */
  DUPLICATE_5GRAM_CHAR_FRACTION("characters in repeated word 5-grams / characters in words"),
  /** As {@link #DUPLICATE_5GRAM_CHAR_FRACTION} for 6-grams. */
  DUPLICATE_6GRAM_CHAR_FRACTION("characters in repeated word 6-grams / characters in words"),
  /** As {@link #DUPLICATE_5GRAM_CHAR_FRACTION} for 7-grams. */
  DUPLICATE_7GRAM_CHAR_FRACTION("characters in repeated word 7-grams / characters in words"),
  /** As {@link #DUPLICATE_5GRAM_CHAR_FRACTION} for 8-grams. */
  DUPLICATE_8GRAM_CHAR_FRACTION("characters in repeated word 8-grams / characters in words"),
  /** As {@link #DUPLICATE_5GRAM_CHAR_FRACTION} for 9-grams. */
  DUPLICATE_9GRAM_CHAR_FRACTION("characters in repeated word 9-grams / characters in words"),
  /** As {@link #DUPLICATE_5GRAM_CHAR_FRACTION} for 10-grams. */
  DUPLICATE_10GRAM_CHAR_FRACTION("characters in repeated word 10-grams / characters in words"),
  /** Fraction of words (lower-cased, outer punctuation stripped) in Lucene's English stop-word set. */
  STOP_WORD_FRACTION("fraction of words in Lucene's English stop-word set"),
  /** How many of Gopher's eight stop words (the, be, to, of, and, that, have, with) occur as words. */
  GOPHER_STOP_WORDS("occurrences of the, be, to, of, and, that, have, with"),
  /** Fraction of characters that are upper case. */
  UPPERCASE_FRACTION("fraction of characters that are upper case"),
  /** Fraction of characters that are digits. */
  DIGIT_FRACTION("fraction of characters that are digits"),
  /** Fraction of characters outside ASCII. */
  NON_ASCII_FRACTION("fraction of characters outside ASCII"),
  /** URLs ({@code http://}, {@code https://} or {@code www.} followed by a non-space). */
  URLS("URLs"),
  /** E-mail addresses. */
  EMAILS("e-mail addresses"),
  /** 1 when the text contains "lorem ipsum" (any case), else 0. */
  LOREM_IPSUM("1 when 'lorem ipsum' occurs"),
  /** Lines that mention "javascript" (any case). */
  JAVASCRIPT_LINES("lines mentioning 'javascript'"),
  /** 1 when the text contains a curly bracket, else 0. */
  CURLY_BRACKET("1 when '{' or '}' occurs"),
  /**
   * Sentences in the lines C4 keeps: lines that end in terminal punctuation, have at least 5 words
   * and do not mention "javascript"; a sentence ends at . ! or ? followed by whitespace or the end.
   */
  C4_SENTENCES("sentences in the lines C4 keeps");

  private final String description;

  Signal(String description) {
    this.description = description;
  }

  /** What the signal measures, in a few words. */
  public String description() {
    return description;
  }

  /** The column name in persisted signals and the report: {@code mean_word_length}. */
  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }
}
