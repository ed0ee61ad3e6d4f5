package dev.dataselect.transforms.student;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Trains a student scorer (a linear head on embeddings) from {@link Example}s, with Beam combines
 * over sufficient statistics and a closed-form solve on one worker. Returns one {@link Result}: the
 * {@link StudentModel} (its fit figures included) and a deterministic sample of held-out
 * (teacher, prediction) pairs for the report.
 *
 * <ul>
 *   <li>{@link #ridge()}: one combine builds per-fold {@code XᵀX, Xᵀy, Σx, Σy, Σy², n}
 *       ({@link RidgeStatistics}); every λ is scored by k-fold cross-validation from those numbers
 *       (training statistics = total − fold), the best is refit on everything. Held-out R² is
 *       exact (all folds); Spearman is computed on the held-out pairs sample (each example
 *       predicted by the model that did not see its fold).
 *   <li>{@link #logistic()}: targets in [0, 1]. Each of {@link #withPasses} Newton (IRLS) passes is
 *       a combine over gradient and Hessian with the current weights as a side input, for 2 × L
 *       models at once: each λ trained without fold 0 (for validation) and on all data. An
 *       extra pass without Hessians measures the held-out log-loss on fold 0 at the final weights;
 *       the λ with the lowest is chosen and its all-data model kept. So the pass count stays
 *       fixed (k-fold CV would multiply the Hessians per example by k); held-out AUC is measured
 *       on fold 0, which holds 1/k of the examples.
 * </ul>
 *
 * <p>Folds are {@code floor(k · hash(id, seed))}: deterministic on every runner.
 */
public final class TrainStudent extends PTransform<PCollection<Example>, PCollection<TrainStudent.Result>> {
  public static final double[] DEFAULT_LAMBDAS = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
  private static final long FOLD_SALT = 0x5D1C0FF5EEDL;
  private static final long PAIR_SALT = 0x7E57AB1EL;

  private final StudentModel.Task task;
  private final int folds;
  private final double[] lambdas;
  private final long seed;
  private final int passes;
  private final int maxHeldOutPairs;
  private final SortedMap<String, String> embedding;
  private final SortedMap<String, String> teacher;

  private TrainStudent(StudentModel.Task task, int folds, double[] lambdas, long seed, int passes, int maxHeldOutPairs,
      SortedMap<String, String> embedding, SortedMap<String, String> teacher) {
    this.task = task;
    this.folds = folds;
    this.lambdas = lambdas;
    this.seed = seed;
    this.passes = passes;
    this.maxHeldOutPairs = maxHeldOutPairs;
    this.embedding = embedding;
    this.teacher = teacher;
  }

  /** Ridge regression (teacher scores). */
  public static TrainStudent ridge() {
    return of(StudentModel.Task.RIDGE);
  }

  /** Logistic regression (0/1 labels or probabilities). */
  public static TrainStudent logistic() {
    return of(StudentModel.Task.LOGISTIC);
  }

  public static TrainStudent of(StudentModel.Task task) {
    return new TrainStudent(task, 5, DEFAULT_LAMBDAS, 42, 8, 100_000, new TreeMap<>(), new TreeMap<>());
  }

  /** Cross-validation folds k, in [2, 50]; default 5. */
  public TrainStudent withFolds(int folds) {
    checkArgument(folds >= 2 && folds <= 50, "folds must be in [2, 50], got %s", folds);
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher);
  }

  /** The regularisation strengths to choose from, each finite and > 0 (per-example penalty λ|w|²). */
  public TrainStudent withLambdas(double... lambdas) {
    checkArgument(lambdas.length >= 1 && lambdas.length <= 20, "lambdas must hold 1 to 20 values, got %s", lambdas.length);
    for (double l : lambdas) {
      checkArgument(l > 0 && Double.isFinite(l), "lambdas must be finite and > 0, got %s", l);
    }
    double[] sorted = lambdas.clone();
    Arrays.sort(sorted);
    return new TrainStudent(task, folds, sorted, seed, passes, maxHeldOutPairs, embedding, teacher);
  }

  /** Seed of the fold assignment and of the held-out pairs sample. */
  public TrainStudent withSeed(long seed) {
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher);
  }

  /** Newton passes of the logistic head, in [1, 50]; default 8. */
  public TrainStudent withPasses(int passes) {
    checkArgument(passes >= 1 && passes <= 50, "passes must be in [1, 50], got %s", passes);
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher);
  }

  /** Held-out (teacher, prediction) pairs kept for Spearman / AUC / calibration, in [10, 10^6]; default 100,000. */
  public TrainStudent withMaxHeldOutPairs(int maxHeldOutPairs) {
    checkArgument(maxHeldOutPairs >= 10 && maxHeldOutPairs <= 1_000_000, "maxHeldOutPairs must be in [10, 1000000], got %s", maxHeldOutPairs);
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher);
  }

  /** The embedding model's metadata ({@code Embed.metadata()}), stored in the model file. */
  public TrainStudent withEmbeddingMetadata(Map<String, String> embedding) {
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, new TreeMap<>(embedding), teacher);
  }

  /** Where the teacher values came from, stored in the model file. */
  public TrainStudent withTeacher(Map<String, String> teacher) {
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, new TreeMap<>(teacher));
  }

  /** The fold of a document id: {@code floor(k · hash(id, seed))}. */
  public static int fold(String id, long seed, int folds) {
    return Math.min(folds - 1, (int) (Hashes.unit(id, seed ^ FOLD_SALT) * folds));
  }

  /** The trained model and held-out pairs (up to the configured maximum, chosen by hash of id). */
  public static final class Result implements Serializable {
    private static final long serialVersionUID = 1L;
    public final StudentModel model;
    public final String[] ids;
    public final double[] teacher;
    public final double[] predicted;

    Result(StudentModel model, String[] ids, double[] teacher, double[] predicted) {
      this.model = model;
      this.ids = ids;
      this.teacher = teacher;
      this.predicted = predicted;
    }
  }

  /** Heads trained by the combines: the all-data head and, per fold, the head that did not see it. */
  static final class Trained implements Serializable {
    private static final long serialVersionUID = 1L;
    double lambda;
    double[] all; // intercept last
    double[][] withoutFold; // [fold] or null
    double targetMean;
    double targetSd;
    long n;
    String fit; // JSON object of the combine-side figures

    double predict(double[] w, float[] x) {
      double z = LogisticStatistics.linear(w, x);
      return z;
    }
  }

  @Override
  public PCollection<Result> expand(PCollection<Example> examples) {
    PCollection<Trained> trained = task == StudentModel.Task.RIDGE
        ? RidgeFit.fit(examples, folds, seed, lambdas)
        : LogisticFit.fit(examples, folds, seed, lambdas, passes);
    trained.setCoder(SerializableCoder.of(Trained.class));
    PCollectionView<Trained> view = trained.apply("TrainedView", View.asSingleton());
    PCollection<List<KV<String, KV<Double, Double>>>> pairs = examples
        .apply("PredictHeldOut", ParDo.of(new PredictHeldOut(view, task, seed, folds)).withSideInputs(view))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(DoubleCoder.of(), DoubleCoder.of())))
        .apply("SampleHeldOut", Top.of(maxHeldOutPairs, new ByHash(seed)));
    return pairs
        .apply("Finish", ParDo.of(new Finish(view, task, embedding, teacher, folds, lambdas)).withSideInputs(view))
        .setCoder(SerializableCoder.of(Result.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("task", task.label()).withLabel("Student head"))
        .add(DisplayData.item("folds", folds).withLabel("Cross-validation folds"))
        .add(DisplayData.item("lambdas", Arrays.toString(lambdas)).withLabel("Regularisation grid"))
        .add(DisplayData.item("seed", seed).withLabel("Fold seed"))
        .add(DisplayData.item("maxHeldOutPairs", maxHeldOutPairs).withLabel("Held-out pairs kept"));
    if (task == StudentModel.Task.LOGISTIC) {
      builder.add(DisplayData.item("passes", passes).withLabel("Newton passes"));
    }
  }

  private static final class PredictHeldOut extends DoFn<Example, KV<String, KV<Double, Double>>> {
    private final PCollectionView<Trained> view;
    private final StudentModel.Task task;
    private final long seed;
    private final int folds;

    PredictHeldOut(PCollectionView<Trained> view, StudentModel.Task task, long seed, int folds) {
      this.view = view;
      this.task = task;
      this.seed = seed;
      this.folds = folds;
    }

    @ProcessElement
    public void process(@Element Example e, ProcessContext c) {
      Trained t = c.sideInput(view);
      double[] w = t.withoutFold[fold(e.id(), seed, folds)];
      if (w == null) {
        return; // no head held this fold out (logistic validates on fold 0 only)
      }
      double z = LogisticStatistics.linear(w, e.features());
      double p = task == StudentModel.Task.LOGISTIC ? LogisticStatistics.sigmoid(z) : z;
      c.output(KV.of(e.id(), KV.of(e.target(), p)));
    }
  }

  /** Orders pairs by hash of id (then id): Top keeps the largest, a deterministic sample. */
  static final class ByHash implements Comparator<KV<String, KV<Double, Double>>>, Serializable {
    private final long seed;

    ByHash(long seed) {
      this.seed = seed;
    }

    @Override
    public int compare(KV<String, KV<Double, Double>> a, KV<String, KV<Double, Double>> b) {
      int c = Double.compare(Hashes.unit(a.getKey(), seed ^ PAIR_SALT), Hashes.unit(b.getKey(), seed ^ PAIR_SALT));
      return c != 0 ? c : a.getKey().compareTo(b.getKey());
    }
  }

  private static final class Finish extends DoFn<List<KV<String, KV<Double, Double>>>, Result> {
    private final PCollectionView<Trained> view;
    private final StudentModel.Task task;
    private final SortedMap<String, String> embedding;
    private final SortedMap<String, String> teacher;
    private final int folds;
    private final double[] lambdas;

    Finish(PCollectionView<Trained> view, StudentModel.Task task, SortedMap<String, String> embedding,
        SortedMap<String, String> teacher, int folds, double[] lambdas) {
      this.view = view;
      this.task = task;
      this.embedding = embedding;
      this.teacher = teacher;
      this.folds = folds;
      this.lambdas = lambdas;
    }

    @ProcessElement
    public void process(@Element List<KV<String, KV<Double, Double>>> pairs, ProcessContext c) throws IOException {
      Trained t = c.sideInput(view);
      List<KV<String, KV<Double, Double>>> sorted = new java.util.ArrayList<>(pairs);
      sorted.sort(Comparator.comparing(KV::getKey));
      int m = sorted.size();
      String[] ids = new String[m];
      double[] y = new double[m];
      double[] p = new double[m];
      for (int i = 0; i < m; i++) {
        ids[i] = sorted.get(i).getKey();
        y[i] = sorted.get(i).getValue().getKey();
        p[i] = sorted.get(i).getValue().getValue();
      }
      ObjectNode fit = (ObjectNode) new ObjectMapper().readTree(t.fit);
      fit.put("n", t.n);
      fit.put("folds", folds);
      fit.put("lambda", t.lambda);
      ArrayNode grid = fit.putArray("lambdas");
      for (double l : lambdas) {
        grid.add(l);
      }
      fit.put("heldOutPairs", m);
      fit.put("heldOutSpearman", HeldOutMetrics.spearman(y, p));
      if (task == StudentModel.Task.LOGISTIC) {
        fit.put("heldOutAuc", HeldOutMetrics.auc(y, p));
      } else {
        fit.put("heldOutR2OnPairs", HeldOutMetrics.r2(y, p));
      }
      double[] w = Arrays.copyOf(t.all, t.all.length - 1);
      StudentModel model = StudentModel.of(task, w, t.all[t.all.length - 1], t.lambda, embedding, teacher,
          t.targetMean, t.targetSd, fit.toString());
      c.output(new Result(model, ids, y, p));
    }
  }
}
