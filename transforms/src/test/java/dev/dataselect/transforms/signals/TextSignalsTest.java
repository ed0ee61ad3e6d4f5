package dev.dataselect.transforms.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each signal on examples computed by hand (the arithmetic is in the comments). */
class TextSignalsTest {
  private static final double EPS = 1e-12;

  @Test
  void repeatedLinesAndNgrams() {
    // Lines: 23 + 23 + 10 characters; paragraphs: the first two lines, then "A dog ran!".
    // Words: The cat sat on the mat. (x2) A dog ran! = 15 words, 18 + 18 + 8 = 44 characters.
    String text = "The cat sat on the mat.\nThe cat sat on the mat.\n\nA dog ran!";
    TextSignals s = TextSignals.of(text);
    Map<Signal, Double> expected = new java.util.EnumMap<>(Signal.class);
    expected.put(Signal.CHARS, 59.0);
    expected.put(Signal.WORDS, 15.0);
    expected.put(Signal.LINES, 3.0);
    expected.put(Signal.MEAN_WORD_LENGTH, 44.0 / 15);
    expected.put(Signal.ALPHABETIC_WORD_FRACTION, 1.0);
    expected.put(Signal.HASH_TO_WORD_RATIO, 0.0);
    expected.put(Signal.ELLIPSIS_TO_WORD_RATIO, 0.0);
    expected.put(Signal.TERMINAL_PUNCTUATION_LINE_FRACTION, 1.0);
    expected.put(Signal.ELLIPSIS_LINE_FRACTION, 0.0);
    expected.put(Signal.BULLET_LINE_FRACTION, 0.0);
    expected.put(Signal.SHORT_LINE_FRACTION, 1.0);
    expected.put(Signal.DUPLICATE_LINE_FRACTION, 1.0 / 3);
    expected.put(Signal.DUPLICATE_LINE_CHAR_FRACTION, 23.0 / 56);
    expected.put(Signal.DUPLICATE_PARAGRAPH_FRACTION, 0.0);
    expected.put(Signal.DUPLICATE_PARAGRAPH_CHAR_FRACTION, 0.0);
    expected.put(Signal.TOP_2GRAM_CHAR_FRACTION, 2 * 6.0 / 44); // "The cat", twice
    expected.put(Signal.TOP_3GRAM_CHAR_FRACTION, 2 * 9.0 / 44); // "The cat sat"
    expected.put(Signal.TOP_4GRAM_CHAR_FRACTION, 2 * 11.0 / 44); // "The cat sat on"
    expected.put(Signal.DUPLICATE_5GRAM_CHAR_FRACTION, 14.0 / 44); // the second "The cat sat on the"
    expected.put(Signal.DUPLICATE_6GRAM_CHAR_FRACTION, 18.0 / 44); // the second line
    expected.put(Signal.DUPLICATE_7GRAM_CHAR_FRACTION, 0.0); // "... mat. A" never repeats
    expected.put(Signal.DUPLICATE_8GRAM_CHAR_FRACTION, 0.0);
    expected.put(Signal.DUPLICATE_9GRAM_CHAR_FRACTION, 0.0);
    expected.put(Signal.DUPLICATE_10GRAM_CHAR_FRACTION, 0.0);
    expected.put(Signal.STOP_WORD_FRACTION, 7.0 / 15); // The on the (x2), A
    expected.put(Signal.GOPHER_STOP_WORDS, 4.0); // The the The the
    expected.put(Signal.UPPERCASE_FRACTION, 3.0 / 59);
    expected.put(Signal.DIGIT_FRACTION, 0.0);
    expected.put(Signal.NON_ASCII_FRACTION, 0.0);
    expected.put(Signal.URLS, 0.0);
    expected.put(Signal.EMAILS, 0.0);
    expected.put(Signal.LOREM_IPSUM, 0.0);
    expected.put(Signal.JAVASCRIPT_LINES, 0.0);
    expected.put(Signal.CURLY_BRACKET, 0.0);
    expected.put(Signal.C4_SENTENCES, 2.0); // the two 6-word lines; "A dog ran!" has 3 words
    assertEquals(Signal.values().length, expected.size(), "every signal has an expected value");
    expected.forEach((signal, value) -> assertEquals(value, s.get(signal), EPS, signal.column()));
  }

  @Test
  void unicodeBulletsEllipsesUrlsAndEmails() {
    // Line 1: 21 characters, line 2: 54, line 3: 16; with the two line breaks 93.
    String text = "• Ünïcödé wörds… here\n- see https://example.com/a?b=1 or mail me@example.org\n#tag #two ......";
    TextSignals s = TextSignals.of(text);
    assertEquals(93, s.get(Signal.CHARS));
    assertEquals(13, s.get(Signal.WORDS));
    assertEquals(3, s.get(Signal.LINES));
    assertEquals(2.0 / 3, s.get(Signal.BULLET_LINE_FRACTION), EPS); // "•" and "-"
    assertEquals(1.0 / 3, s.get(Signal.ELLIPSIS_LINE_FRACTION), EPS); // "......"
    assertEquals(2.0 / 13, s.get(Signal.HASH_TO_WORD_RATIO), EPS);
    assertEquals(3.0 / 13, s.get(Signal.ELLIPSIS_TO_WORD_RATIO), EPS); // "…" and "......" (two)
    assertEquals(10.0 / 13, s.get(Signal.ALPHABETIC_WORD_FRACTION), EPS); // not "•", "-", "......"
    assertEquals(7.0 / 93, s.get(Signal.NON_ASCII_FRACTION), EPS); // • Ü ï ö é ö …
    assertEquals(1.0 / 93, s.get(Signal.UPPERCASE_FRACTION), EPS);
    assertEquals(1.0 / 93, s.get(Signal.DIGIT_FRACTION), EPS);
    assertEquals(1, s.get(Signal.URLS));
    assertEquals(1, s.get(Signal.EMAILS));
    assertEquals(1.0 / 3, s.get(Signal.TERMINAL_PUNCTUATION_LINE_FRACTION), EPS); // "......" ends in a period
  }

  @Test
  @org.junit.jupiter.api.Timeout(30) // a pattern that backtracks over a long word would take hours
  void emptyBlankAndVeryLongTexts() {
    for (String text : new String[] {"", "   \n\n \t\r\n"}) {
      TextSignals s = TextSignals.of(text);
      for (Signal signal : Signal.values()) {
        if (signal != Signal.CHARS) {
          assertEquals(0, s.get(signal), EPS, signal.column() + " of '" + text + "'");
        }
      }
    }
    String word = "a".repeat(200_000);
    TextSignals s = TextSignals.of(word + "\r\n" + word);
    assertEquals(400_002, s.get(Signal.CHARS));
    assertEquals(2, s.get(Signal.WORDS));
    assertEquals(2, s.get(Signal.LINES)); // the \r is not part of the line
    assertEquals(200_000, s.get(Signal.MEAN_WORD_LENGTH), EPS);
    assertEquals(0, s.get(Signal.SHORT_LINE_FRACTION));
    assertEquals(0.5, s.get(Signal.DUPLICATE_LINE_FRACTION), EPS);
    assertEquals(0, s.get(Signal.TOP_2GRAM_CHAR_FRACTION)); // a single 2-gram, never repeated
    assertEquals(1, TextSignals.of(word + "@" + word + ".org and x@" + word).get(Signal.EMAILS));
  }

  @Test
  void paragraphsRepeatAcrossBlankLinesWithSpaces() {
    String p = "One short paragraph here.";
    TextSignals s = TextSignals.of(p + "\n \n" + p + "\r\n\r\n" + "Another one.");
    assertEquals(1.0 / 3, s.get(Signal.DUPLICATE_PARAGRAPH_FRACTION), EPS);
    assertEquals(25.0 / (25 + 25 + 12), s.get(Signal.DUPLICATE_PARAGRAPH_CHAR_FRACTION), EPS);
  }

  @Test
  void stripKeepsInnerPunctuation() {
    assertEquals("don't", TextSignals.strip("\"don't!\""));
    assertEquals("", TextSignals.strip("..."));
    assertEquals("Ünï", TextSignals.strip("«Ünï»"));
  }
}
