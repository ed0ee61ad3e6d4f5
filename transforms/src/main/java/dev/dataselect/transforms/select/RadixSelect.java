package dev.dataselect.transforms.select;

import dev.dataselect.transforms.Hashes;
import java.util.ArrayList;
import java.util.List;

/**
 * The arithmetic of a distributed radix select, free of Beam so it can be tested on its own.
 *
 * <p>A selection of the best {@code k} of N scores is found in passes over the scores, each a
 * mergeable {@link DigitHistogram}: pass 0 counts the top 16 bits of every key; solving it fixes
 * the 16-bit group that holds the boundary and how many of that group are still wanted; pass 1
 * counts the next 16 bits of the keys in that group only; and so on for {@code scorePasses} passes.
 * A last pass counts the top 16 bits of {@code Hashes.unit(id, seed)} of the documents left in the
 * boundary group and solves a hash threshold, so ties (equal scores, or scores equal in every digit
 * read) are broken by hash and the kept count is the target to within the documents of one hash
 * bucket (about {@code group / 65,536}). Several targets share every pass.
 */
public final class RadixSelect {
  private RadixSelect() {}

  /**
   * The digit a document adds to the current pass for an open cut, or -1 when it is outside the
   * boundary group or the cut is resolved.
   */
  public static int digit(Cut cut, long key, String id, long seed, int scorePasses) {
    if (cut.isFinal() || cut.side(key) != 0) {
      return -1;
    }
    if (cut.level() < scorePasses) {
      return (int) ((key >>> (64 - Cut.DIGIT_BITS * (cut.level() + 1))) & (Cut.DIGITS - 1));
    }
    return hashDigit(id, seed);
  }

  static int hashDigit(String id, long seed) {
    return (int) (Hashes.unit(id, seed) * Cut.DIGITS);
  }

  /** Solves pass 0 (the top digit of every scored document, all in table 0). */
  public static Cut.Cuts first(List<Target> targets, ScoreOrder order, DigitHistogram pass0) {
    long[] table = pass0.table(0);
    long n = pass0.total(0);
    List<Cut> cuts = new ArrayList<>();
    for (Target t : targets) {
      switch (t.kind()) {
        case THRESHOLD:
          cuts.add(Cut.resolved(Cut.MAX_LEVEL, order.key(t.value()), 1.0, 0));
          break;
        case RANDOM_RATE:
          cuts.add(Cut.resolved(0, 0, t.value(), n));
          break;
        case RANDOM_COUNT:
          cuts.add(Cut.resolved(0, 0, n == 0 ? 0 : t.wanted(n) / n, n));
          break;
        default:
          cuts.add(solveScoreDigit(Cut.open(t.wanted(n), n), table));
      }
    }
    return new Cut.Cuts(cuts, n);
  }

  /** Solves a later pass: table i holds the digits of target i's boundary group. */
  public static Cut.Cuts next(Cut.Cuts previous, DigitHistogram pass, int scorePasses) {
    List<Cut> cuts = new ArrayList<>();
    for (int i = 0; i < previous.size(); i++) {
      Cut c = previous.get(i);
      if (c.isFinal()) {
        cuts.add(c);
      } else if (c.level() < scorePasses) {
        cuts.add(solveScoreDigit(c, pass.table(i)));
      } else {
        cuts.add(solveHashDigit(c, pass.table(i)));
      }
    }
    return new Cut.Cuts(cuts, previous.total());
  }

  /** Walks the group's digits from the best down, keeping whole digits while they fit. */
  static Cut solveScoreDigit(Cut c, long[] table) {
    double m = c.remaining();
    for (int d = Cut.DIGITS - 1; d >= 0; d--) {
      long count = table[d];
      if (count == 0) {
        continue;
      }
      long prefix = c.level() == 0 ? d : (c.prefix() << Cut.DIGIT_BITS) | d;
      if (m <= 0) {
        return Cut.resolved(c.level() + 1, prefix, 0, count);
      }
      if (count <= m) {
        m -= count;
        continue;
      }
      return new Cut(c.level() + 1, prefix, m, count, Double.NaN);
    }
    return Cut.resolved(c.level(), c.prefix(), 1.0, c.groupCount());
  }

  /** Walks the boundary group's hash buckets from the smallest hash up; solves the hash threshold. */
  static Cut solveHashDigit(Cut c, long[] table) {
    double m = c.remaining();
    for (int h = 0; h < Cut.DIGITS; h++) {
      long count = table[h];
      if (count == 0) {
        continue;
      }
      if (count <= m) {
        m -= count;
        continue;
      }
      return Cut.resolved(c.level(), c.prefix(), (h + Math.max(0, m) / count) / Cut.DIGITS, c.groupCount());
    }
    return Cut.resolved(c.level(), c.prefix(), 1.0, c.groupCount());
  }

  /**
   * The whole selection on one machine, pass by pass exactly as {@link SelectByScore} runs it (each
   * pass's histogram built from every score, then solved): a reference for tests and benchmarks,
   * not for corpora. Returns, per target, whether each document is kept; {@code maxTables[0]} gets
   * the most digit tables any pass held.
   */
  public static boolean[][] inMemory(String[] ids, double[] scores, ScoreOrder order, List<Target> targets, long seed,
      int scorePasses, int[] maxTables) {
    long[] keys = new long[scores.length];
    DigitHistogram h0 = new DigitHistogram();
    for (int i = 0; i < scores.length; i++) {
      keys[i] = order.key(scores[i]);
      h0.add(0, (int) (keys[i] >>> (64 - Cut.DIGIT_BITS)));
    }
    maxTables[0] = Math.max(maxTables[0], h0.tableCount());
    Cut.Cuts cuts = first(targets, order, h0);
    for (int pass = 1; pass <= scorePasses; pass++) {
      DigitHistogram h = new DigitHistogram();
      for (int i = 0; i < scores.length; i++) {
        for (int t = 0; t < cuts.size(); t++) {
          int d = digit(cuts.get(t), keys[i], ids[i], seed, scorePasses);
          if (d >= 0) {
            h.add(t, d);
          }
        }
      }
      maxTables[0] = Math.max(maxTables[0], h.tableCount());
      cuts = next(cuts, h, scorePasses);
    }
    boolean[][] kept = new boolean[targets.size()][scores.length];
    for (int t = 0; t < targets.size(); t++) {
      for (int i = 0; i < scores.length; i++) {
        kept[t][i] = cuts.get(t).keep(ids[i], keys[i], seed);
      }
    }
    return kept;
  }
}
