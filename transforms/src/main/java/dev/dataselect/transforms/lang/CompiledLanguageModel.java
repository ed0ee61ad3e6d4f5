package dev.dataselect.transforms.lang;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import opennlp.tools.ml.maxent.GISModel;
import opennlp.tools.ml.model.AbstractModel;
import opennlp.tools.ml.model.Context;
import opennlp.tools.ml.model.MaxentModel;

/**
 * OpenNLP's language model (a maximum-entropy model over character 1- to 3-grams) laid out for
 * lookup by n-gram without objects: the same parameters, the same sums, a tenth of the memory
 * reads.
 *
 * <p>OpenNLP keeps one {@code Context} object per n-gram (an {@code int[]} of outcomes and a {@code
 * double[]} of parameters) in a {@code HashMap<String, Context>}. Short strings' hash codes collide
 * often across scripts, so many of that map's buckets are trees, and each n-gram of a text costs a
 * string, a tree walk and three scattered arrays: in a JFR profile of the demo the lookups and the
 * sums were 85 % of the language stage. Here an n-gram is a {@code long} (its length and up to three
 * UTF-16 chars, 16 bits each), found by linear probing in one {@code long[]} with a mixed hash (the
 * key and its index side by side, one cache line per probe: the lookups are the stage's cost), and
 * its parameters are a dense row over all outcomes when it has many (letters and common pairs have a
 * parameter for most languages; a row is added in one loop the JIT vectorises), else one slice of two
 * flat arrays (outcome as a {@code byte}, parameter as a {@code double}). The model has 145,895
 * n-grams and 1.27 million parameters: about 20 MB, shared by every thread in the JVM.
 *
 * <p>{@link #addTo} adds an n-gram's parameters to per-outcome sums that started at the uniform
 * prior's log-probability, exactly the terms OpenNLP's {@code GISModel.eval} adds; only the order of
 * the additions can differ (OpenNLP adds in its feature set's hash order), which moves a sum in its
 * last bits. A test holds the verdicts and confidences equal to OpenNLP's own.
 */
final class CompiledLanguageModel {
  /** The longest n-gram the model has. */
  static final int MAX_GRAM = 3;
  /**
   * N-grams with parameters for at least this many outcomes get a dense row: 17,882 of the
   * language model's n-grams, 14.7 MB, and most of the additions a text makes.
   */
  static final int DENSE_MIN_OUTCOMES = 16;

  private final String[] outcomes;
  /** Open addressing: slot i holds its key at {@code 2i} and its n-gram's index at {@code 2i + 1}. */
  private final long[] table;
  private final int mask;
  /** N-grams {@code 0 .. dense - 1} have a dense row; the rest a sparse slice. */
  private final int dense;
  private final double[] rows;
  private final int[] start;
  private final byte[] outcome;
  private final double[] parameter;
  private final double logPrior;

  private CompiledLanguageModel(String[] outcomes, long[] table, int dense, double[] rows,
      int[] start, byte[] outcome, double[] parameter) {
    this.outcomes = outcomes;
    this.table = table;
    this.mask = table.length / 2 - 1;
    this.dense = dense;
    this.rows = rows;
    this.start = start;
    this.outcome = outcome;
    this.parameter = parameter;
    this.logPrior = Math.log(1.0 / outcomes.length);
  }

  /**
   * Compiles OpenNLP's {@code model}: a {@link GISModel} (the language model's prior is uniform,
   * which {@link #startSums} assumes), every feature an n-gram of one to three chars, at most 127
   * outcomes (the language model has 103).
   */
  @SuppressWarnings("unchecked")
  static CompiledLanguageModel of(MaxentModel model) {
    checkArgument(model instanceof GISModel, "expected OpenNLP's maximum-entropy language model, got %s", model.getClass());
    AbstractModel m = (AbstractModel) model;
    checkArgument(m.getNumOutcomes() <= Byte.MAX_VALUE, "%s outcomes do not fit the layout", m.getNumOutcomes());
    Object[] structures = m.getDataStructures();
    Map<String, Context> contexts = (Map<String, Context>) structures[1];
    String[] outcomes = new String[m.getNumOutcomes()];
    for (int i = 0; i < outcomes.length; i++) {
      outcomes[i] = m.getOutcome(i);
    }
    int capacity = Integer.highestOneBit(Math.max(16, contexts.size() * 2 - 1)) << 1;
    long[] table = new long[2 * capacity];
    // Frequent n-grams (letters, common pairs) have parameters for most languages: a dense row,
    // added in one vectorised loop; the rest a sparse slice of (outcome, parameter) pairs.
    List<Map.Entry<String, Context>> denseGrams = new ArrayList<>();
    List<Map.Entry<String, Context>> sparseGrams = new ArrayList<>();
    for (Map.Entry<String, Context> e : contexts.entrySet()) {
      (e.getValue().getOutcomes().length >= DENSE_MIN_OUTCOMES ? denseGrams : sparseGrams).add(e);
    }
    int n = outcomes.length;
    double[] rows = new double[denseGrams.size() * n];
    int total = 0;
    for (Map.Entry<String, Context> e : sparseGrams) {
      total += e.getValue().getOutcomes().length;
    }
    int[] start = new int[sparseGrams.size() + 1];
    byte[] outcome = new byte[total];
    double[] parameter = new double[total];
    int index = 0;
    int at = 0;
    for (List<Map.Entry<String, Context>> part : List.of(denseGrams, sparseGrams)) {
      for (Map.Entry<String, Context> e : part) {
        String gram = e.getKey();
        checkArgument(!gram.isEmpty() && gram.length() <= MAX_GRAM, "n-gram '%s' is not 1 to %s chars", gram, MAX_GRAM);
        long key = key(gram.toCharArray(), 0, gram.length());
        int slot = mix(key) & (capacity - 1);
        while (table[2 * slot] != 0) {
          checkArgument(table[2 * slot] != key, "n-gram '%s' twice", gram);
          slot = (slot + 1) & (capacity - 1);
        }
        table[2 * slot] = key;
        table[2 * slot + 1] = index;
        int[] os = e.getValue().getOutcomes();
        double[] ps = e.getValue().getParameters();
        if (part == denseGrams) {
          for (int j = 0; j < os.length; j++) {
            rows[index * n + os[j]] = ps[j];
          }
        } else {
          start[index - denseGrams.size()] = at;
          for (int j = 0; j < os.length; j++) {
            outcome[at] = (byte) os[j];
            parameter[at] = ps[j];
            at++;
          }
        }
        index++;
      }
    }
    start[sparseGrams.size()] = at;
    return new CompiledLanguageModel(outcomes, table, denseGrams.size(), rows, start, outcome, parameter);
  }

  /** The number of outcomes (languages). */
  int outcomes() {
    return outcomes.length;
  }

  /** The model's name of outcome {@code i} (an ISO 639-3 code). */
  String outcome(int i) {
    return outcomes[i];
  }

  /** The number of n-grams the model has parameters for. */
  int grams() {
    return dense + start.length - 1;
  }

  /** The n-gram of {@code length} chars at {@code from} in {@code chars}, as a key; never 0. */
  static long key(char[] chars, int from, int length) {
    long k = length;
    for (int i = 0; i < length; i++) {
      k = (k << 16) | chars[from + i];
    }
    return k << (16 * (MAX_GRAM - length));
  }

  /** The n-gram a key stands for. */
  static String gram(long key) {
    int length = (int) (key >>> (16 * MAX_GRAM));
    char[] c = new char[length];
    for (int i = 0; i < length; i++) {
      c[i] = (char) (key >>> (16 * (MAX_GRAM - 1 - i)));
    }
    return new String(c);
  }

  private static int mix(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 29) ^ (h >>> 47));
  }

  /** The index of the n-gram {@code key} in the model, or -1 when the model has no parameter for it. */
  int index(long key) {
    int slot = mix(key) & mask;
    while (true) {
      long k = table[2 * slot];
      if (k == key) {
        return (int) table[2 * slot + 1];
      }
      if (k == 0) {
        return -1;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Sets {@code sums} to the prior's log-probability of each outcome, as OpenNLP's eval starts. */
  void startSums(double[] sums) {
    java.util.Arrays.fill(sums, 0, outcomes.length, logPrior);
  }

  /** Adds n-gram {@code index}'s parameters to {@code sums}, per outcome. */
  void addTo(int index, double[] sums) {
    if (index < dense) {
      // A missing outcome's 0.0 leaves its sum as it was, bit for bit.
      int n = outcomes.length;
      for (int k = 0, r = index * n; k < n; k++) {
        sums[k] += rows[r + k];
      }
      return;
    }
    int sparse = index - dense;
    for (int j = start[sparse], end = start[sparse + 1]; j < end; j++) {
      sums[outcome[j]] += parameter[j];
    }
  }
}
