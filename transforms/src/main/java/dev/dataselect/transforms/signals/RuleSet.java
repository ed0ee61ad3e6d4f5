package dev.dataselect.transforms.signals;

import java.util.List;
import java.util.Locale;

/**
 * The published heuristic filters, as rules over {@link Signal}s with their papers' thresholds. A
 * document fails a set when any of its rules drops it; {@link #firstFailure} names the first rule
 * (in the order listed here) so every filtered document has one reason.
 *
 * <p>The product decides on whole documents and never rewrites them: where a paper edits the text
 * (C4 keeps only some lines), the rule is applied to the document as the edit would leave it (C4's
 * "fewer than three sentences" counts the sentences of the lines C4 would keep).
 */
public enum RuleSet {
  /**
   * Gopher's quality and repetition filters: Rae et al. 2021, "Scaling Language Models: Methods,
   * Analysis &amp; Insights from Training Gopher", appendix A.1.1 (quality filter) and table A1
   * (repetition removal).
   */
  GOPHER(List.of(
      Rule.below("gopher.min_words", Signal.WORDS, 50),
      Rule.above("gopher.max_words", Signal.WORDS, 100_000),
      Rule.below("gopher.min_mean_word_length", Signal.MEAN_WORD_LENGTH, 3),
      Rule.above("gopher.max_mean_word_length", Signal.MEAN_WORD_LENGTH, 10),
      Rule.above("gopher.hash_to_word_ratio", Signal.HASH_TO_WORD_RATIO, 0.1),
      Rule.above("gopher.ellipsis_to_word_ratio", Signal.ELLIPSIS_TO_WORD_RATIO, 0.1),
      Rule.above("gopher.bullet_lines", Signal.BULLET_LINE_FRACTION, 0.9),
      Rule.above("gopher.ellipsis_lines", Signal.ELLIPSIS_LINE_FRACTION, 0.3),
      Rule.below("gopher.alphabetic_words", Signal.ALPHABETIC_WORD_FRACTION, 0.8),
      Rule.below("gopher.stop_words", Signal.GOPHER_STOP_WORDS, 2),
      Rule.above("gopher.duplicate_lines", Signal.DUPLICATE_LINE_FRACTION, 0.30),
      Rule.above("gopher.duplicate_paragraphs", Signal.DUPLICATE_PARAGRAPH_FRACTION, 0.30),
      Rule.above("gopher.duplicate_line_chars", Signal.DUPLICATE_LINE_CHAR_FRACTION, 0.20),
      Rule.above("gopher.duplicate_paragraph_chars", Signal.DUPLICATE_PARAGRAPH_CHAR_FRACTION, 0.20),
      Rule.above("gopher.top_2gram", Signal.TOP_2GRAM_CHAR_FRACTION, 0.20),
      Rule.above("gopher.top_3gram", Signal.TOP_3GRAM_CHAR_FRACTION, 0.18),
      Rule.above("gopher.top_4gram", Signal.TOP_4GRAM_CHAR_FRACTION, 0.16),
      Rule.above("gopher.duplicate_5grams", Signal.DUPLICATE_5GRAM_CHAR_FRACTION, 0.15),
      Rule.above("gopher.duplicate_6grams", Signal.DUPLICATE_6GRAM_CHAR_FRACTION, 0.14),
      Rule.above("gopher.duplicate_7grams", Signal.DUPLICATE_7GRAM_CHAR_FRACTION, 0.13),
      Rule.above("gopher.duplicate_8grams", Signal.DUPLICATE_8GRAM_CHAR_FRACTION, 0.12),
      Rule.above("gopher.duplicate_9grams", Signal.DUPLICATE_9GRAM_CHAR_FRACTION, 0.11),
      Rule.above("gopher.duplicate_10grams", Signal.DUPLICATE_10GRAM_CHAR_FRACTION, 0.10))),
  /**
   * C4's page filters: Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a
   * Unified Text-to-Text Transformer", section 2.2 — pages with "lorem ipsum" or a curly bracket go,
   * and so do pages left with fewer than three sentences once only the lines that end in terminal
   * punctuation, have at least five words and do not mention "javascript" are kept. C4's list of
   * bad words is not applied: no maintained artifact ships it.
   */
  C4(List.of(
      Rule.above("c4.lorem_ipsum", Signal.LOREM_IPSUM, 0),
      Rule.above("c4.curly_bracket", Signal.CURLY_BRACKET, 0),
      Rule.below("c4.min_sentences", Signal.C4_SENTENCES, 3))),
  /**
   * FineWeb's own filters: Penedo et al. 2024, "The FineWeb Datasets: Decanting the Web for the
   * Finest Text Data at Scale", section 3.6 — documents whose lines end in punctuation at most 12 %
   * of the time, whose characters are at least 10 % in duplicated lines, or whose lines are at
   * least 67 % shorter than 30 characters go.
   */
  FINEWEB(List.of(
      Rule.atMost("fineweb.terminal_punctuation_lines", Signal.TERMINAL_PUNCTUATION_LINE_FRACTION, 0.12),
      Rule.atLeast("fineweb.duplicate_line_chars", Signal.DUPLICATE_LINE_CHAR_FRACTION, 0.1),
      Rule.atLeast("fineweb.short_lines", Signal.SHORT_LINE_FRACTION, 0.67)));

  private final List<Rule> rules;

  RuleSet(List<Rule> rules) {
    this.rules = rules;
  }

  /** The rules, in the order they are checked. */
  public List<Rule> rules() {
    return rules;
  }

  /** The option spelling: {@code gopher}, {@code c4}, {@code fineweb}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The set named by {@code label} (any case). */
  public static RuleSet of(String label) {
    for (RuleSet s : values()) {
      if (s.label().equalsIgnoreCase(label.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown filter '" + label + "'; known: gopher, c4, fineweb");
  }

  /** The id of the first rule that drops a document with these signals, null when it passes. */
  public String firstFailure(TextSignals signals) {
    for (Rule r : rules) {
      if (r.drops(signals.get(r.signal()))) {
        return r.id();
      }
    }
    return null;
  }

  /** One threshold on one signal: the document is dropped when the comparison holds. */
  public static final class Rule implements java.io.Serializable {
    private enum Op {
      BELOW("<"), ABOVE(">"), AT_MOST("<="), AT_LEAST(">=");

      final String symbol;

      Op(String symbol) {
        this.symbol = symbol;
      }
    }

    private final String id;
    private final Signal signal;
    private final Op op;
    private final double threshold;

    private Rule(String id, Signal signal, Op op, double threshold) {
      this.id = id;
      this.signal = signal;
      this.op = op;
      this.threshold = threshold;
    }

    static Rule below(String id, Signal s, double t) {
      return new Rule(id, s, Op.BELOW, t);
    }

    static Rule above(String id, Signal s, double t) {
      return new Rule(id, s, Op.ABOVE, t);
    }

    static Rule atMost(String id, Signal s, double t) {
      return new Rule(id, s, Op.AT_MOST, t);
    }

    static Rule atLeast(String id, Signal s, double t) {
      return new Rule(id, s, Op.AT_LEAST, t);
    }

    /** The reason a dropped document records: {@code gopher.min_words}. */
    public String id() {
      return id;
    }

    public Signal signal() {
      return signal;
    }

    public double threshold() {
      return threshold;
    }

    /** True when a document with this value of the signal is dropped. */
    public boolean drops(double value) {
      switch (op) {
        case BELOW:
          return value < threshold;
        case ABOVE:
          return value > threshold;
        case AT_MOST:
          return value <= threshold;
        default:
          return value >= threshold;
      }
    }

    /** {@code drop when words < 50}. */
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s: drop when %s %s %s", id, signal.column(), op.symbol,
          threshold == Math.rint(threshold) ? String.valueOf((long) threshold) : String.valueOf(threshold));
    }
  }
}
