package dev.dataselect.transforms.student;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Trains a student scorer (a linear head on embeddings, text signals or both: {@link #withFeatures})
 * from {@link Example}s, with Beam combines over sufficient statistics and a closed-form solve on
 * one worker. Returns one {@link Result}: the
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
 * <p>With signals, a first combine measures each signal feature's mean and standard deviation over
 * every example, and the fit sees them standardised; the embedding block and the signal block each
 * get their own penalty, chosen together by the same cross-validation over the grid {@link
 * #withLambdas} × {@link #withSignalLambdas}. With {@code both}, each block alone is fitted as well
 * (its own penalty chosen the same way) and the fit figures report all three on the same folds:
 * what each block is worth. The logistic head's cost per example and pass grows with the number of
 * heads: (|λ| × |λ signals| + |λ|) × 2 Hessians of the embedding's size with the defaults, 56.
 *
 * <p>Folds are {@code floor(k · hash(id, seed))}: deterministic on every runner.
 */
public final class TrainStudent extends PTransform<PCollection<Example>, PCollection<TrainStudent.Result>> {
  public static final double[] DEFAULT_LAMBDAS = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
  /** Penalties of the standardised signal block (per example, per unit of standard deviation). */
  public static final double[] DEFAULT_SIGNAL_LAMBDAS = {1e-3, 1e-2, 1e-1, 1};
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
  private final StudentModel.Features features;
  private final double[] signalLambdas;
  private final List<String> signalNames;

  private TrainStudent(StudentModel.Task task, int folds, double[] lambdas, long seed, int passes, int maxHeldOutPairs,
      SortedMap<String, String> embedding, SortedMap<String, String> teacher, StudentModel.Features features,
      double[] signalLambdas, List<String> signalNames) {
    this.task = task;
    this.folds = folds;
    this.lambdas = lambdas;
    this.seed = seed;
    this.passes = passes;
    this.maxHeldOutPairs = maxHeldOutPairs;
    this.embedding = embedding;
    this.teacher = teacher;
    this.features = features;
    this.signalLambdas = signalLambdas;
    this.signalNames = signalNames;
  }

  private TrainStudent(StudentModel.Task task, int folds, double[] lambdas, long seed, int passes, int maxHeldOutPairs,
      SortedMap<String, String> embedding, SortedMap<String, String> teacher) {
    this(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher, StudentModel.Features.EMBEDDING,
        DEFAULT_SIGNAL_LAMBDAS, SignalFeatures.names());
  }

  private TrainStudent with(double[] lambdas, StudentModel.Features features, double[] signalLambdas, List<String> signalNames) {
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher, features,
        signalLambdas, signalNames);
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
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher, features, signalLambdas, signalNames);
  }

  /** The regularisation strengths to choose from, each finite and > 0 (per-example penalty λ|w|²). */
  public TrainStudent withLambdas(double... lambdas) {
    return with(checkedLambdas(lambdas, "lambdas"), features, signalLambdas, signalNames);
  }

  private static double[] checkedLambdas(double[] lambdas, String name) {
    checkArgument(lambdas.length >= 1 && lambdas.length <= 20, "%s must hold 1 to 20 values, got %s", name, lambdas.length);
    for (double l : lambdas) {
      checkArgument(l > 0 && Double.isFinite(l), "%s must be finite and > 0, got %s", name, l);
    }
    double[] sorted = lambdas.clone();
    Arrays.sort(sorted);
    return sorted;
  }

  /**
   * Which feature blocks the head reads: {@code embedding} (the default), {@code signals} ({@link
   * SignalFeatures}; the examples' embeddings may be empty) or {@code both}.
   */
  public TrainStudent withFeatures(StudentModel.Features features) {
    return with(lambdas, java.util.Objects.requireNonNull(features, "features"), signalLambdas, signalNames);
  }

  /** The signal block's penalties to choose from, each finite and > 0; default {@link #DEFAULT_SIGNAL_LAMBDAS}. */
  public TrainStudent withSignalLambdas(double... signalLambdas) {
    return with(lambdas, features, checkedLambdas(signalLambdas, "signalLambdas"), signalNames);
  }

  /** The names of the examples' signal features, in order; default {@link SignalFeatures#names()}. */
  public TrainStudent withSignalNames(List<String> names) {
    checkArgument(!names.isEmpty(), "signal names must not be empty");
    return with(lambdas, features, signalLambdas, List.copyOf(names));
  }

  /** Seed of the fold assignment and of the held-out pairs sample. */
  public TrainStudent withSeed(long seed) {
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher, features, signalLambdas, signalNames);
  }

  /** Newton passes of the logistic head, in [1, 50]; default 8. */
  public TrainStudent withPasses(int passes) {
    checkArgument(passes >= 1 && passes <= 50, "passes must be in [1, 50], got %s", passes);
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher, features, signalLambdas, signalNames);
  }

  /** Held-out (teacher, prediction) pairs kept for Spearman / AUC / calibration, in [10, 10^6]; default 100,000. */
  public TrainStudent withMaxHeldOutPairs(int maxHeldOutPairs) {
    checkArgument(maxHeldOutPairs >= 10 && maxHeldOutPairs <= 1_000_000, "maxHeldOutPairs must be in [10, 1000000], got %s", maxHeldOutPairs);
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, teacher, features, signalLambdas, signalNames);
  }

  /** The embedding model's metadata ({@code Embed.metadata()}), stored in the model file. */
  public TrainStudent withEmbeddingMetadata(Map<String, String> embedding) {
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, new TreeMap<>(embedding), teacher, features, signalLambdas, signalNames);
  }

  /** Where the teacher values came from, stored in the model file. */
  public TrainStudent withTeacher(Map<String, String> teacher) {
    return new TrainStudent(task, folds, lambdas, seed, passes, maxHeldOutPairs, embedding, new TreeMap<>(teacher), features, signalLambdas, signalNames);
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

  /**
   * What the combines trained, per fitted group of {@link HeadGrid} (the primary group first): the
   * chosen head, its all-data weights and the weights that did not see each fold.
   */
  static final class Trained implements Serializable {
    private static final long serialVersionUID = 1L;
    StudentModel.Features[] groups;
    int[] chosen; // per group: index into the grid's heads
    double[][] all; // per group: weights, intercept last
    double[][][] withoutFold; // per group: [fold] or null
    double targetMean;
    double targetSd;
    long n;
    String fit; // JSON object of the combine-side figures, with one "blocks" entry per group
  }

  /** Mean and standard deviation of each signal feature over the examples (sd 1 where it is constant). */
  static final class Scaling implements Serializable {
    private static final long serialVersionUID = 1L;
    final double[] mean;
    final double[] sd;

    Scaling(double[] mean, double[] sd) {
      this.mean = mean;
      this.sd = sd;
    }
  }

  @Override
  public PCollection<Result> expand(PCollection<Example> examples) {
    HeadGrid grid = HeadGrid.of(features, lambdas, signalLambdas);
    PCollectionView<Scaling> scaling = null;
    if (features.usesSignals()) {
      scaling = examples
          .apply("SignalMoments", Combine.globally(new SignalMoments(signalNames.size())))
          .apply("SignalScaling", MapElements.into(TypeDescriptor.of(Scaling.class)).via(SignalMoments::scaling))
          .setCoder(SerializableCoder.of(Scaling.class))
          .apply("ScalingView", View.asSingleton());
    }
    PCollection<Example> x = examples.apply("Features", ParDo.of(new ToFeatures(features, signalNames.size(), scaling))
        .withSideInputs(scaling == null ? List.of() : List.of(scaling)));
    PCollection<Trained> trained = task == StudentModel.Task.RIDGE
        ? RidgeFit.fit(x, folds, seed, grid, signalNames.size())
        : LogisticFit.fit(x, folds, seed, grid, signalNames.size(), passes);
    trained.setCoder(SerializableCoder.of(Trained.class));
    PCollectionView<Trained> view = trained.apply("TrainedView", View.asSingleton());
    PCollection<List<KV<String, List<Double>>>> pairs = x
        .apply("PredictHeldOut", ParDo.of(new PredictHeldOut(view, task, seed, folds)).withSideInputs(view))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ListCoder.of(DoubleCoder.of())))
        .apply("SampleHeldOut", Top.of(maxHeldOutPairs, new ByHash(seed)));
    List<PCollectionView<?>> sides = new ArrayList<>(List.of(view));
    if (scaling != null) {
      sides.add(scaling);
    }
    return pairs
        .apply("Finish", ParDo.of(new Finish(view, scaling, task, grid, signalNames, embedding, teacher, folds, lambdas))
            .withSideInputs(sides))
        .setCoder(SerializableCoder.of(Result.class));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("task", task.label()).withLabel("Student head"))
        .add(DisplayData.item("features", features.label()).withLabel("Feature blocks"))
        .add(DisplayData.item("folds", folds).withLabel("Cross-validation folds"))
        .add(DisplayData.item("lambdas", Arrays.toString(lambdas)).withLabel("Regularisation grid"))
        .add(DisplayData.item("seed", seed).withLabel("Fold seed"))
        .add(DisplayData.item("maxHeldOutPairs", maxHeldOutPairs).withLabel("Held-out pairs kept"));
    if (features.usesSignals()) {
      builder.add(DisplayData.item("signalLambdas", Arrays.toString(signalLambdas)).withLabel("Signal regularisation grid"));
    }
    if (task == StudentModel.Task.LOGISTIC) {
      builder.add(DisplayData.item("passes", passes).withLabel("Newton passes"));
    }
  }

  /** Count, Σs and Σs² of each signal feature (a combiner; doubles, so merging order barely matters). */
  static final class SignalMoments extends Combine.CombineFn<Example, double[], double[]> {
    private final int size;

    SignalMoments(int size) {
      this.size = size;
    }

    @Override
    public double[] createAccumulator() {
      return new double[1 + 2 * size];
    }

    @Override
    public double[] addInput(double[] acc, Example e) {
      float[] s = e.signalFeatures();
      checkArgument(s.length == size, "example %s has %s signal features, the student expects %s", e.id(), s.length, size);
      acc[0]++;
      for (int j = 0; j < size; j++) {
        acc[1 + j] += s[j];
        acc[1 + size + j] += (double) s[j] * s[j];
      }
      return acc;
    }

    @Override
    public double[] mergeAccumulators(Iterable<double[]> accs) {
      double[] out = createAccumulator();
      for (double[] a : accs) {
        for (int i = 0; i < out.length; i++) {
          out[i] += a[i];
        }
      }
      return out;
    }

    @Override
    public double[] extractOutput(double[] acc) {
      return acc;
    }

    @Override
    public Coder<double[]> getAccumulatorCoder(CoderRegistry registry, Coder<Example> inputCoder) {
      return SerializableCoder.of(double[].class);
    }

    @Override
    public Coder<double[]> getDefaultOutputCoder(CoderRegistry registry, Coder<Example> inputCoder) {
      return SerializableCoder.of(double[].class);
    }

    static Scaling scaling(double[] acc) {
      int size = (acc.length - 1) / 2;
      double n = Math.max(1, acc[0]);
      double[] mean = new double[size];
      double[] sd = new double[size];
      for (int j = 0; j < size; j++) {
        mean[j] = acc[1 + j] / n;
        double var = acc[1 + size + j] / n - mean[j] * mean[j];
        sd[j] = var > 1e-12 * Math.max(1, mean[j] * mean[j]) ? Math.sqrt(var) : 1;
      }
      return new Scaling(mean, sd);
    }
  }

  /** An example → its feature vector {@code [embedding | standardised signals]}, the blocks the head reads. */
  private static final class ToFeatures extends DoFn<Example, Example> {
    private final StudentModel.Features features;
    private final int signals;
    private final PCollectionView<Scaling> scaling;

    ToFeatures(StudentModel.Features features, int signals, PCollectionView<Scaling> scaling) {
      this.features = features;
      this.signals = signals;
      this.scaling = scaling;
    }

    @ProcessElement
    public void process(@Element Example e, ProcessContext c) {
      float[] emb = features.usesEmbedding() ? e.features() : new float[0];
      checkArgument(!features.usesEmbedding() || emb.length > 0, "example %s has no embedding, which a %s student needs",
          e.id(), features.label());
      if (!features.usesSignals()) {
        c.output(e);
        return;
      }
      Scaling sc = c.sideInput(scaling);
      float[] s = e.signalFeatures();
      checkArgument(s.length == signals, "example %s has %s signal features, the student expects %s", e.id(), s.length, signals);
      float[] x = Arrays.copyOf(emb, emb.length + signals);
      for (int j = 0; j < signals; j++) {
        x[emb.length + j] = (float) ((s[j] - sc.mean[j]) / sc.sd[j]);
      }
      c.output(Example.of(e.id(), x, e.target()));
    }
  }

  /** (id, [teacher, the held-out prediction of each group's head]) for the examples some head held out. */
  private static final class PredictHeldOut extends DoFn<Example, KV<String, List<Double>>> {
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
      int f = fold(e.id(), seed, folds);
      if (t.withoutFold[0][f] == null) {
        return; // no head held this fold out (logistic validates on fold 0 only)
      }
      List<Double> out = new ArrayList<>(1 + t.groups.length);
      out.add(e.target());
      for (int g = 0; g < t.groups.length; g++) {
        double z = LogisticStatistics.linear(t.withoutFold[g][f], e.features());
        out.add(task == StudentModel.Task.LOGISTIC ? LogisticStatistics.sigmoid(z) : z);
      }
      c.output(KV.of(e.id(), out));
    }
  }

  /** Orders pairs by hash of id (then id): Top keeps the largest, a deterministic sample. */
  static final class ByHash implements Comparator<KV<String, List<Double>>>, Serializable {
    private final long seed;

    ByHash(long seed) {
      this.seed = seed;
    }

    @Override
    public int compare(KV<String, List<Double>> a, KV<String, List<Double>> b) {
      int c = Double.compare(Hashes.unit(a.getKey(), seed ^ PAIR_SALT), Hashes.unit(b.getKey(), seed ^ PAIR_SALT));
      return c != 0 ? c : a.getKey().compareTo(b.getKey());
    }
  }

  private static final class Finish extends DoFn<List<KV<String, List<Double>>>, Result> {
    private final PCollectionView<Trained> view;
    private final PCollectionView<Scaling> scaling;
    private final StudentModel.Task task;
    private final HeadGrid grid;
    private final List<String> signalNames;
    private final SortedMap<String, String> embedding;
    private final SortedMap<String, String> teacher;
    private final int folds;
    private final double[] lambdas;

    Finish(PCollectionView<Trained> view, PCollectionView<Scaling> scaling, StudentModel.Task task, HeadGrid grid,
        List<String> signalNames, SortedMap<String, String> embedding, SortedMap<String, String> teacher, int folds,
        double[] lambdas) {
      this.view = view;
      this.scaling = scaling;
      this.task = task;
      this.grid = grid;
      this.signalNames = signalNames;
      this.embedding = embedding;
      this.teacher = teacher;
      this.folds = folds;
      this.lambdas = lambdas;
    }

    @ProcessElement
    public void process(@Element List<KV<String, List<Double>>> pairs, ProcessContext c) throws IOException {
      Trained t = c.sideInput(view);
      List<KV<String, List<Double>>> sorted = new ArrayList<>(pairs);
      sorted.sort(Comparator.comparing(KV::getKey));
      int m = sorted.size();
      String[] ids = new String[m];
      double[] y = new double[m];
      double[][] p = new double[t.groups.length][m];
      for (int i = 0; i < m; i++) {
        ids[i] = sorted.get(i).getKey();
        List<Double> v = sorted.get(i).getValue();
        y[i] = v.get(0);
        for (int g = 0; g < t.groups.length; g++) {
          p[g][i] = v.get(1 + g);
        }
      }
      ObjectNode fit = (ObjectNode) new ObjectMapper().readTree(t.fit);
      HeadGrid.Head head = grid.heads.get(t.chosen[0]);
      fit.put("features", grid.primary.label());
      fit.put("n", t.n);
      fit.put("folds", folds);
      fit.put("lambda", head.lambda);
      if (grid.primary.usesSignals()) {
        fit.put("lambdaSignals", head.lambdaSignals);
      }
      ArrayNode lambdaGrid = fit.putArray("lambdas");
      for (double l : lambdas) {
        lambdaGrid.add(l);
      }
      fit.put("heldOutPairs", m);
      boolean binary = m > 0 && Arrays.stream(y).allMatch(v -> v == 0 || v == 1);
      fit.put("binaryTargets", binary);
      ObjectNode blocks = fit.has("blocks") ? (ObjectNode) fit.get("blocks") : fit.putObject("blocks");
      for (int g = 0; g < t.groups.length; g++) {
        ObjectNode b = blocks.has(t.groups[g].label()) ? (ObjectNode) blocks.get(t.groups[g].label()) : blocks.putObject(t.groups[g].label());
        HeadGrid.Head h = grid.heads.get(t.chosen[g]);
        if (t.groups[g].usesEmbedding()) {
          b.put("lambda", h.lambda);
        }
        if (t.groups[g].usesSignals()) {
          b.put("lambdaSignals", h.lambdaSignals);
        }
        b.put("heldOutSpearman", HeldOutMetrics.spearman(y, p[g]));
        if (task == StudentModel.Task.LOGISTIC || binary) {
          b.put("heldOutAuc", HeldOutMetrics.auc(y, p[g]));
        }
        if (task == StudentModel.Task.RIDGE) {
          b.put("heldOutR2OnPairs", HeldOutMetrics.r2(y, p[g]));
        }
      }
      ObjectNode primary = (ObjectNode) blocks.get(grid.primary.label());
      fit.put("heldOutSpearman", primary.get("heldOutSpearman").asDouble());
      if (primary.has("heldOutAuc")) {
        fit.put("heldOutAuc", primary.get("heldOutAuc").asDouble());
      }
      if (primary.has("heldOutR2OnPairs")) {
        fit.put("heldOutR2OnPairs", primary.get("heldOutR2OnPairs").asDouble());
      }
      double[] all = t.all[0];
      int signals = grid.primary.usesSignals() ? signalNames.size() : 0;
      int embDims = all.length - 1 - signals;
      double[] w = Arrays.copyOf(all, embDims);
      double intercept = all[all.length - 1];
      StudentModel model;
      if (signals == 0) {
        model = StudentModel.of(task, w, intercept, head.lambda, embedding, teacher, t.targetMean, t.targetSd, fit.toString());
      } else {
        Scaling sc = c.sideInput(scaling);
        model = StudentModel.of(task, grid.primary, w, intercept, head.lambda, signalNames, sc.mean, sc.sd,
            Arrays.copyOfRange(all, embDims, embDims + signals), head.lambdaSignals, embedding, teacher, t.targetMean,
            t.targetSd, fit.toString());
      }
      c.output(new Result(model, ids, y, p[0]));
    }
  }
}
