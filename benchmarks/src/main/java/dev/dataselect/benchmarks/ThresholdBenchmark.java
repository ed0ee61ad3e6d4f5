package dev.dataselect.benchmarks;

import dev.dataselect.transforms.select.RadixSelect;
import dev.dataselect.transforms.select.ScoreOrder;
import dev.dataselect.transforms.select.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code bin/bench threshold}: the top-k selection's accuracy at scale. Over {@code --n} (default
 * 1,000,000) synthetic P(yes)-like scores (a logistic of a Gaussian, with 2 % exact ties at 0.5),
 * selects at rates 0.1 .. 0.8 and a count with the radix select exactly as {@code SelectByScore}
 * runs it, and prints each target's kept count, its error, and the state one pass held (digit
 * tables of 65,536 counts), which does not grow with N. Headline: the largest relative error.
 */
public final class ThresholdBenchmark {
  private ThresholdBenchmark() {}

  public static void main(String[] argv) {
    BenchArgs args = new BenchArgs(argv);
    int n = args.integer("n", 1_000_000);
    Random r = new Random(args.integer("data-seed", 1));
    String[] ids = new String[n];
    double[] scores = new double[n];
    for (int i = 0; i < n; i++) {
      ids[i] = "doc-" + i;
      scores[i] = i % 50 == 0 ? 0.5 : 1 / (1 + Math.exp(-(r.nextGaussian() * 3 - 1)));
    }
    List<Target> targets = new ArrayList<>();
    for (double rate : new double[] {0.1, 0.2, 0.4, 0.6, 0.8}) {
      targets.add(Target.rate(rate));
    }
    targets.add(Target.count(12_345));
    int[] tables = {0};
    long start = System.nanoTime();
    boolean[][] kept = RadixSelect.inMemory(ids, scores, ScoreOrder.HIGHEST_FIRST, targets, 42, 2, tables);
    double seconds = BenchSupport.seconds(start);
    double worst = 0;
    BenchSupport.print("documents", n);
    for (int t = 0; t < targets.size(); t++) {
      long got = 0;
      for (boolean k : kept[t]) {
        got += k ? 1 : 0;
      }
      double wanted = targets.get(t).wanted(n);
      double rel = Math.abs(got - wanted) / wanted;
      worst = Math.max(worst, rel);
      BenchSupport.print("target " + targets.get(t).label(), got + " kept of " + Math.round(wanted) + " wanted (error " + String.format("%.4f", 100 * rel) + " %)");
    }
    BenchSupport.print("digit tables held by one pass (65,536 longs each)", tables[0]);
    BenchSupport.print("accumulator bound (bytes, dense)", (long) tables[0] * 65_536 * 8);
    BenchSupport.print("seconds (3 passes + keep, one thread)", String.format("%.1f", seconds));
    BenchSupport.print("largest relative error (goal < 0.5 %)", String.format("%.4f %%", 100 * worst));
  }
}
