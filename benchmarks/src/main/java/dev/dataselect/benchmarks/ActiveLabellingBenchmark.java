package dev.dataselect.benchmarks;

import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.density.KdeDensity;
import dev.dataselect.transforms.density.KeepRule;
import dev.dataselect.transforms.density.Kernel;
import dev.dataselect.transforms.density.LogHistogram;
import dev.dataselect.transforms.density.ReferenceSample;
import dev.dataselect.transforms.density.SampleByDensity;
import dev.dataselect.transforms.select.QualityCoverage;
import dev.dataselect.transforms.select.ScoreOrder;
import dev.dataselect.transforms.student.HeldOutMetrics;
import dev.dataselect.transforms.student.StudentModel;
import dev.dataselect.transforms.student.TrainStudent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code bin/bench active}: does labelling the documents {@code --job=pick-for-labelling} would pick
 * teach a student more per label than labelling random ones? Learning curves (held-out AUC against
 * labels used) of PICKED and RANDOM labelling on the reference-vs-crawl set ({@link
 * ReferenceVsCrawl}: curated sources 1, raw Common Crawl 0; a proxy task, not human judgement).
 *
 * <p>Per seed s (1 to {@code --seeds}):
 *
 * <ol>
 *   <li>Split: a document is in the test set iff {@code Hashes.unit(id, s ^ salt) <
 *       --test-fraction}, else in the pool. The test set is fixed for the seed and never labelled.
 *   <li>Seed labels: the first {@code budgets[0]} pool documents in hash order ({@code
 *       Hashes.unit(id, s ^ another salt)}), not stratified (they may hold no positive at all).
 *       Both strategies start from this set, so their first budget has the same student and AUC.
 *   <li>At each budget: a student is trained on the labels so far with the product's {@link
 *       TrainStudent} on the DirectRunner in this JVM ({@link DirectStudent}); {@code --head=ridge}
 *       (default: ridge on the 0/1 labels, exact 5-fold CV of its penalties) or {@code logistic}
 *       (validates its penalty on fold 0 only; about 10 times slower here), features {@code both}
 *       (embedding and text signals), the product's default penalty grids, fold seed s. It scores
 *       every test document ({@link StudentModel#score}) and its AUC against the labels is the
 *       figure. A student trained on one class only scores every document alike: AUC 0.5.
 *   <li>Then labels are added up to the next budget. RANDOM takes the next pool documents in the
 *       hash order of step 2. PICKED does what pick-for-labelling does with the current student:
 *       for every unlabelled pool document, uncertainty {@code u = model.uncertainty(score)} and
 *       effective density {@code QualityCoverage.effectiveDensity(d, u, HIGHEST_FIRST, 1, 1) = d /
 *       u}, then {@link KeepRule#inversePropensity} from a {@link LogHistogram} (relative accuracy
 *       {@link SampleByDensity#DEFAULT_RELATIVE_ACCURACY}) of those effective densities at rate =
 *       batch / unlabelled, each document kept by {@link KeepRule#keep} with round seed {@code
 *       1000 s + labels so far}. The Bernoulli draws keep about, not exactly, the batch: the batch
 *       is taken from the documents in the order (kept by the draw first, then higher keep
 *       probability, then hash of id with the round seed), so a draw that kept too many loses its
 *       lowest-probability ones and one that kept too few is topped up with the most probable of
 *       the rest; the totals kept by the draws against the labels asked are printed, and the mean
 *       uncertainty the rounds gave unlabelled positives and negatives (a diagnostic: it reads
 *       the labels PICKED does not see).
 *   <li>Density d: the product's reference-sample KDE ({@link ReferenceSample}) with the whole pool
 *       (labelled and not) as the reference sample, Gaussian kernel, bandwidth by the product's
 *       default heuristic ({@link KdeDensity#DEFAULT_BANDWIDTH_HEURISTIC}, the median distance to
 *       the nearest other pool document), each document excluded from its own density; computed
 *       once per seed, since the corpus the densities describe does not change as labels arrive.
 * </ol>
 *
 * <p>{@code --batch=B} (default 0: one round per budget step) adds PICKED's labels in rounds of at
 * most B, retraining the student after each round; RANDOM is the same either way.
 *
 * <p>Prints, per budget, the mean AUC over seeds and its spread (min, max) for both strategies,
 * their ratio (picked / random, of the means), the mean count of positives among the labels, a
 * per-seed table as {@code #} lines, {@code pickedAtLeastRandomAtEveryBudget} (of the means),
 * {@code budgetWherePickedReachesRandomFinalAuc} (the smallest budget whose mean picked AUC is at
 * least random's mean AUC at the largest budget, or {@code not reached}), the wall time and the
 * 1-minute load average (the machine may be shared). Headline (last line): the ratio of mean AUCs,
 * picked / random, averaged over every budget after the first (the area under the learning curves
 * after the shared seed labels; at the largest budget both strategies have labelled much of the
 * same pool, so the last budget alone says least).
 *
 * <pre>
 * --seeds=5 --budgets=16,32,64,128,256 --test-fraction=0.3 --batch=0 --head=ridge|logistic
 * </pre>
 */
public final class ActiveLabellingBenchmark {
  private static final long TEST_SALT = 0x7E57_5E7L;
  private static final long ORDER_SALT = 0x0DE5_0DE5L;
  private static final int RANDOM = 0;
  private static final int PICKED = 1;
  private static final String[] STRATEGIES = {"random", "picked"};

  private ActiveLabellingBenchmark() {}

  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    BenchArgs a = new BenchArgs(args);
    int seeds = a.integer("seeds", 5);
    int[] budgets = Arrays.stream(a.string("budgets", "16,32,64,128,256").split(",")).mapToInt(Integer::parseInt).toArray();
    double testFraction = a.number("test-fraction", 0.3);
    int batch = a.integer("batch", 0);
    String head = a.string("head", "ridge");
    for (int b = 1; b < budgets.length; b++) {
      if (budgets[b] <= budgets[b - 1]) {
        throw new IllegalArgumentException("budgets must increase, got " + a.string("budgets", ""));
      }
    }
    ReferenceVsCrawl set = ReferenceVsCrawl.load();
    BenchSupport.print("note", ReferenceVsCrawl.NOTE);
    BenchSupport.print("documents", set.size());
    BenchSupport.print("positives", set.positives());
    BenchSupport.print("negatives", set.size() - set.positives());
    BenchSupport.print("student", head + ", features both, 5 folds, product default penalty grids, DirectRunner"
        + (head.equals("logistic") ? " (validates on fold 0 only)" : " (exact 5-fold CV)"));
    BenchSupport.print("schedule", "seeds=" + seeds + " budgets=" + Arrays.toString(budgets) + " testFraction=" + testFraction
        + " picked rounds=" + (batch > 0 ? "at most " + batch + " labels" : "one per budget step"));

    int nb = budgets.length;
    double[][][] auc = new double[2][seeds][nb];
    int[][][] positives = new int[2][seeds][nb];
    Trainer trainer = new Trainer(set, head);
    Draws draws = new Draws();
    double bandwidthSum = 0;
    int testSum = 0;
    int testPositivesSum = 0;
    int poolSum = 0;
    for (int s = 1; s <= seeds; s++) {
      List<Integer> test = new ArrayList<>();
      List<Integer> pool = new ArrayList<>();
      for (int i = 0; i < set.size(); i++) {
        (Hashes.unit(set.ids.get(i), s ^ TEST_SALT) < testFraction ? test : pool).add(i);
      }
      if (budgets[nb - 1] > pool.size()) {
        throw new IllegalArgumentException("the largest budget " + budgets[nb - 1] + " exceeds the pool (" + pool.size() + ")");
      }
      testSum += test.size();
      testPositivesSum += (int) test.stream().filter(i -> set.labels[i] == 1).count();
      poolSum += pool.size();
      long orderSeed = s ^ ORDER_SALT;
      List<Integer> randomOrder = new ArrayList<>(pool);
      randomOrder.sort(Comparator.comparingDouble((Integer i) -> Hashes.unit(set.ids.get(i), orderSeed))
          .thenComparing(i -> set.ids.get(i)));
      double[] density = new double[set.size()];
      bandwidthSum += poolDensities(set, pool, s, density);

      Set<Integer> seedSet = new LinkedHashSet<>(randomOrder.subList(0, budgets[0]));
      StudentModel seedModel = trainer.train(seedSet, s);
      for (int strategy : new int[] {RANDOM, PICKED}) {
        Set<Integer> labelled = new LinkedHashSet<>(seedSet);
        StudentModel model = seedModel;
        for (int b = 0; b < nb; b++) {
          if (b > 0) {
            model = trainer.train(labelled, s);
          }
          auc[strategy][s - 1][b] = testAuc(set, model, test);
          positives[strategy][s - 1][b] = (int) labelled.stream().filter(i -> set.labels[i] == 1).count();
          if (b == nb - 1) {
            break;
          }
          if (strategy == RANDOM) {
            for (int i : randomOrder) {
              if (labelled.size() == budgets[b + 1]) {
                break;
              }
              labelled.add(i);
            }
          } else {
            StudentModel current = model;
            while (labelled.size() < budgets[b + 1]) {
              int round = batch > 0 ? Math.min(batch, budgets[b + 1] - labelled.size()) : budgets[b + 1] - labelled.size();
              if (current == null) { // a later round of a step: the student of the labels so far
                current = trainer.train(labelled, s);
              }
              labelled.addAll(pick(set, pool, labelled, density, current, round, 1000L * s + labelled.size(), draws));
              current = null;
            }
          }
        }
      }
      System.err.printf(Locale.ROOT, "seed %d done: %.0f s%n", s, BenchSupport.seconds(start));
    }

    BenchSupport.print("testDocuments[mean over seeds]", (double) testSum / seeds);
    BenchSupport.print("testPositives[mean over seeds]", (double) testPositivesSum / seeds);
    BenchSupport.print("poolDocuments[mean over seeds]", (double) poolSum / seeds);
    BenchSupport.print("density", "reference KDE over the pool, Gaussian, bandwidth " + KdeDensity.DEFAULT_BANDWIDTH_HEURISTIC
        + " (mean over seeds " + String.format(Locale.ROOT, "%.4f", bandwidthSum / seeds) + ")");
    BenchSupport.print("pickedDraws", "the keep rule's Bernoulli draws kept " + draws.kept + " documents for " + draws.asked
        + " labels asked in " + draws.rounds + " rounds (" + draws.topped + " rounds topped up, " + draws.trimmed + " trimmed)");
    BenchSupport.print("pickedRoundsMeanUncertainty[unlabelled negatives]", draws.uncertaintySum[0] / draws.documents[0]);
    BenchSupport.print("pickedRoundsMeanUncertainty[unlabelled positives]", draws.uncertaintySum[1] / draws.documents[1]);
    System.out.println("# per seed AUC, random / picked (positives labelled)");
    for (int s = 0; s < seeds; s++) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "# seed %d:", s + 1));
      for (int b = 0; b < nb; b++) {
        line.append(String.format(Locale.ROOT, "  %d: %.3f (%d) / %.3f (%d)", budgets[b], auc[RANDOM][s][b],
            positives[RANDOM][s][b], auc[PICKED][s][b], positives[PICKED][s][b]));
      }
      System.out.println(line);
    }

    double[][] mean = new double[2][nb];
    boolean atLeast = true;
    double ratioSum = 0;
    for (int b = 0; b < nb; b++) {
      for (int strategy : new int[] {RANDOM, PICKED}) {
        double[] v = new double[seeds];
        double pos = 0;
        for (int s = 0; s < seeds; s++) {
          v[s] = auc[strategy][s][b];
          pos += positives[strategy][s][b];
        }
        mean[strategy][b] = Arrays.stream(v).average().orElse(Double.NaN);
        String key = "[" + STRATEGIES[strategy] + ", budget=" + budgets[b] + "]";
        BenchSupport.print("auc" + key, mean[strategy][b]);
        BenchSupport.print("aucSpread" + key, String.format(Locale.ROOT, "min %.4f, max %.4f",
            Arrays.stream(v).min().orElse(Double.NaN), Arrays.stream(v).max().orElse(Double.NaN)));
        BenchSupport.print("positivesLabelled" + key, pos / seeds);
      }
      double ratio = mean[PICKED][b] / mean[RANDOM][b];
      BenchSupport.print("ratio[picked/random, budget=" + budgets[b] + "]", ratio);
      atLeast &= mean[PICKED][b] >= mean[RANDOM][b];
      if (b > 0) {
        ratioSum += ratio;
      }
    }
    String reached = "not reached";
    for (int b = 0; b < nb; b++) {
      if (mean[PICKED][b] >= mean[RANDOM][nb - 1]) {
        reached = Integer.toString(budgets[b]);
        break;
      }
    }
    BenchSupport.print("pickedAtLeastRandomAtEveryBudget", atLeast);
    BenchSupport.print("budgetWherePickedReachesRandomFinalAuc", reached);
    BenchSupport.print("aucRatio[picked/random, budget=" + budgets[nb - 1] + "]", mean[PICKED][nb - 1] / mean[RANDOM][nb - 1]);
    BenchSupport.print("trainings", trainer.trainings);
    BenchSupport.print("trainSeconds[all trainings]", trainer.seconds);
    BenchSupport.print("wallSeconds", BenchSupport.seconds(start));
    BenchSupport.print("loadAverage[1 min]", BenchSupport.loadAverage());
    BenchSupport.print("aucRatio[picked/random, mean over budgets after " + budgets[0] + "]",
        nb > 1 ? ratioSum / (nb - 1) : Double.NaN);
  }

  /** Densities of the pool's documents into {@code density[row]}; returns the bandwidth. */
  private static double poolDensities(ReferenceVsCrawl set, List<Integer> pool, long seed, double[] density) {
    List<Embedding> e = new ArrayList<>();
    for (int i : pool) {
      e.add(Embedding.of(set.ids.get(i), set.embeddings[i]));
    }
    ReferenceSample sample = ReferenceSample.draw(e, e.size(), seed, KdeDensity.DEFAULT_BANDWIDTH_HEURISTIC);
    double[] d = sample.densitiesOf(e, Kernel.GAUSSIAN, KdeDensity.DEFAULT_BATCH_SIZE);
    for (int k = 0; k < pool.size(); k++) {
      density[pool.get(k)] = d[k];
    }
    return sample.bandwidth();
  }

  /**
   * The {@code count} unlabelled pool documents pick-for-labelling would label next: effective
   * density d / u, inverse-propensity keep rule at rate count / unlabelled, then the order of the
   * class comment.
   */
  private static List<Integer> pick(ReferenceVsCrawl set, List<Integer> pool, Set<Integer> labelled, double[] density,
      StudentModel model, int count, long roundSeed, Draws draws) {
    List<Integer> unlabelled = new ArrayList<>();
    for (int i : pool) {
      if (!labelled.contains(i)) {
        unlabelled.add(i);
      }
    }
    double[] effective = new double[set.size()];
    LogHistogram histogram = LogHistogram.withRelativeAccuracy(SampleByDensity.DEFAULT_RELATIVE_ACCURACY);
    for (int i : unlabelled) {
      double u = model.uncertainty(model.score(set.embeddings[i], set.signals[i]));
      effective[i] = QualityCoverage.effectiveDensity(density[i], u, ScoreOrder.HIGHEST_FIRST, 1, 1);
      histogram.add(effective[i]);
      int label = (int) set.labels[i];
      draws.uncertaintySum[label] += u;
      draws.documents[label]++;
    }
    KeepRule rule = KeepRule.inversePropensity(histogram, (double) count / unlabelled.size());
    double[] p = new double[set.size()];
    boolean[] kept = new boolean[set.size()];
    int keptCount = 0;
    for (int i : unlabelled) {
      p[i] = rule.probability(effective[i]);
      kept[i] = rule.keep(set.ids.get(i), effective[i], roundSeed);
      keptCount += kept[i] ? 1 : 0;
    }
    unlabelled.sort(Comparator.comparing((Integer i) -> !kept[i])
        .thenComparing(i -> -p[i])
        .thenComparingDouble(i -> Hashes.unit(set.ids.get(i), roundSeed)));
    draws.rounds++;
    draws.asked += count;
    draws.kept += keptCount;
    draws.topped += keptCount < count ? 1 : 0;
    draws.trimmed += keptCount > count ? 1 : 0;
    return unlabelled.subList(0, count);
  }

  private static double testAuc(ReferenceVsCrawl set, StudentModel model, List<Integer> test) {
    double[] y = new double[test.size()];
    double[] score = new double[test.size()];
    for (int k = 0; k < test.size(); k++) {
      int i = test.get(k);
      y[k] = set.labels[i];
      score[k] = model.score(set.embeddings[i], set.signals[i]);
    }
    return HeldOutMetrics.auc(y, score);
  }

  /**
   * The keep rule's draws against the labels asked, over every PICKED round, and (a diagnostic
   * that reads the hidden labels) the uncertainties the rounds saw per class.
   */
  private static final class Draws {
    long rounds;
    long asked;
    long kept;
    long topped;
    long trimmed;
    final double[] uncertaintySum = new double[2]; // [label]
    final long[] documents = new long[2]; // [label]
  }

  /** Trains students with the product's transform and counts the cost. */
  private static final class Trainer {
    private final ReferenceVsCrawl set;
    private final String head;
    int trainings;
    double seconds;

    Trainer(ReferenceVsCrawl set, String head) {
      if (!head.equals("ridge") && !head.equals("logistic")) {
        throw new IllegalArgumentException("--head is ridge or logistic, got " + head);
      }
      this.set = set;
      this.head = head;
    }

    StudentModel train(Set<Integer> rows, long seed) {
      long t = System.nanoTime();
      TrainStudent transform = (head.equals("ridge") ? TrainStudent.ridge() : TrainStudent.logistic())
          .withFeatures(StudentModel.Features.BOTH).withFolds(5).withSeed(seed);
      StudentModel model = DirectStudent.train(transform, set.examples(rows)).model;
      seconds += BenchSupport.seconds(t);
      trainings++;
      return model;
    }
  }
}
