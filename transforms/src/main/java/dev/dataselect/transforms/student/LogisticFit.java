package dev.dataselect.transforms.student;

import static com.google.common.base.Preconditions.checkArgument;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.student.TrainStudent.Trained;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineWithContext;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Max;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The logistic head of {@link TrainStudent}: Newton passes, each one combine of every held-out
 * fold's gradient and Hessian at the weights broadcast as a side input, for every regularisation
 * strength at once; a last pass evaluates the held-out log-loss and picks the strength.
 */
final class LogisticFit {
  private LogisticFit() {}

  /**
   * Model i (i < heads) is head i trained without fold 0, model heads + i head i on all data; the
   * feature vector ends with {@code signals} signal features when the grid's primary group reads them.
   */
  static PCollection<TrainStudent.Trained> fit(PCollection<Example> examples, int folds, long seed, HeadGrid grid, int signals,
      int passes) {
    int sig = grid.primary.usesSignals() ? signals : 0;
    Coder<LogisticStatistics.Models> modelsCoder = new ModelsCoder();
    PCollection<LogisticStatistics.Models> models = examples
        .apply("Dimension", MapElements.into(TypeDescriptors.integers()).via(e -> e.features().length))
        .apply("MaxDimension", Max.integersGlobally())
        .apply("StartWeights", ParDo.of(new StartWeights(grid, sig)))
        .setCoder(modelsCoder);
    for (int t = 0; t <= passes; t++) {
      boolean evaluate = t == passes;
      PCollectionView<LogisticStatistics.Models> view = models.apply("Weights" + t, View.asSingleton());
      PCollection<LogisticStatistics> stats = examples
          .apply(evaluate ? "Evaluate" : "NewtonPass" + t,
              Combine.globally(new LogisticCombine(view, !evaluate, folds, seed)).withoutDefaults().withSideInputs(view))
          .setCoder(new LogisticStatisticsCoder());
      if (evaluate) {
        return stats.apply("ChooseLambda", ParDo.of(new ChooseLambda(grid, passes, folds)));
      }
      models = stats.apply("NewtonStep" + t, ParDo.of(new NewtonStep())).setCoder(modelsCoder);
    }
    throw new AssertionError("unreachable");
  }

  private static final class StartWeights extends DoFn<Integer, LogisticStatistics.Models> {
    private final HeadGrid grid;
    private final int signals;

    StartWeights(HeadGrid grid, int signals) {
      this.grid = grid;
      this.signals = signals;
    }

    @ProcessElement
    public void process(@Element Integer dimension, OutputReceiver<LogisticStatistics.Models> out) {
      checkArgument(dimension != null && dimension > 0, "logistic student: no training examples");
      int heads = grid.heads.size();
      int[] heldOut = new int[2 * heads];
      double[][] penalties = new double[2 * heads][];
      for (int i = 0; i < heads; i++) {
        heldOut[i] = 0;
        heldOut[heads + i] = -1;
        penalties[i] = grid.heads.get(i).penalty(dimension - signals, signals);
        penalties[heads + i] = penalties[i];
      }
      out.output(LogisticStatistics.Models.start(dimension, heldOut, penalties));
    }
  }

  /** One pass's gradient (and Hessian) for every model, at the weights of the side input. */
  static final class LogisticCombine
      extends CombineWithContext.CombineFnWithContext<Example, LogisticStatistics, LogisticStatistics> {
    private final PCollectionView<LogisticStatistics.Models> weights;
    private final boolean withHessian;
    private final int folds;
    private final long seed;

    LogisticCombine(PCollectionView<LogisticStatistics.Models> weights, boolean withHessian, int folds, long seed) {
      this.weights = weights;
      this.withHessian = withHessian;
      this.folds = folds;
      this.seed = seed;
    }

    @Override
    public LogisticStatistics createAccumulator(CombineWithContext.Context c) {
      return LogisticStatistics.empty(c.sideInput(weights), withHessian);
    }

    @Override
    public LogisticStatistics addInput(LogisticStatistics acc, Example e, CombineWithContext.Context c) {
      return acc.add(TrainStudent.fold(e.id(), seed, folds), e.features(), e.target());
    }

    @Override
    public LogisticStatistics mergeAccumulators(Iterable<LogisticStatistics> accs, CombineWithContext.Context c) {
      LogisticStatistics out = null;
      for (LogisticStatistics a : accs) {
        out = out == null ? a : out.merge(a);
      }
      return out == null ? createAccumulator(c) : out;
    }

    @Override
    public LogisticStatistics extractOutput(LogisticStatistics acc, CombineWithContext.Context c) {
      return acc;
    }

    @Override
    public Coder<LogisticStatistics> getAccumulatorCoder(CoderRegistry registry, Coder<Example> inputCoder) {
      return new LogisticStatisticsCoder();
    }
  }

  /** The weights of a pass: dimension, then per model held-out fold, λ and weights. */
  static final class ModelsCoder extends AtomicCoder<LogisticStatistics.Models> {
    @Override
    public void encode(LogisticStatistics.Models m, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
      m.writeTo(data);
      data.flush();
    }

    @Override
    public LogisticStatistics.Models decode(InputStream in) throws IOException {
      return LogisticStatistics.Models.readFrom(new DataInputStream(in));
    }
  }

  /** A pass's statistics with the weights they were taken at; Hessians as upper triangles. */
  static final class LogisticStatisticsCoder extends AtomicCoder<LogisticStatistics> {
    @Override
    public void encode(LogisticStatistics s, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
      s.models().writeTo(data);
      s.writeTo(data);
      data.flush();
    }

    @Override
    public LogisticStatistics decode(InputStream in) throws IOException {
      // Reads exactly what encode wrote (no read-ahead), so it works inside nested coders too.
      DataInputStream data = new DataInputStream(in);
      return LogisticStatistics.readFrom(data, LogisticStatistics.Models.readFrom(data));
    }
  }

  private static final class NewtonStep extends DoFn<LogisticStatistics, LogisticStatistics.Models> {
    @ProcessElement
    public void process(@Element LogisticStatistics stats, OutputReceiver<LogisticStatistics.Models> out) {
      out.output(stats.step());
    }
  }

  /** Per group of the grid: the head with the lowest held-out log-loss on fold 0 (ties to the stronger penalty). */
  private static final class ChooseLambda extends DoFn<LogisticStatistics, Trained> {
    private final HeadGrid grid;
    private final int passes;
    private final int folds;

    ChooseLambda(HeadGrid grid, int passes, int folds) {
      this.grid = grid;
      this.passes = passes;
      this.folds = folds;
    }

    @ProcessElement
    public void process(@Element LogisticStatistics stats, OutputReceiver<Trained> out) {
      LogisticStatistics.Models m = stats.models();
      int heads = grid.heads.size();
      List<StudentModel.Features> groups = grid.groups();
      Trained t = new Trained();
      t.groups = groups.toArray(new StudentModel.Features[0]);
      t.chosen = new int[groups.size()];
      t.all = new double[groups.size()][];
      t.withoutFold = new double[groups.size()][folds][];
      ObjectNode fit = new ObjectMapper().createObjectNode();
      ObjectNode blocks = fit.putObject("blocks");
      for (int g = 0; g < groups.size(); g++) {
        int best = -1;
        ObjectNode b = blocks.putObject(groups.get(g).label());
        ArrayNode cv = b.putArray("cv");
        for (int i : grid.indices(groups.get(g))) {
          HeadGrid.Head h = grid.heads.get(i);
          double loss = stats.heldOutLogLoss(i);
          ObjectNode point = cv.addObject();
          if (h.group.usesEmbedding()) {
            point.put("lambda", h.lambda);
          }
          if (h.group.usesSignals()) {
            point.put("lambdaSignals", h.lambdaSignals);
          }
          point.put("heldOutLogLoss", loss).put("gradientNorm", stats.gradientNorm(i));
          if (!Double.isNaN(loss) && (best < 0 || loss <= stats.heldOutLogLoss(best))) {
            best = i;
          }
        }
        checkArgument(best >= 0 && stats.count(heads) >= 2,
            "logistic student: needs examples in fold 0 and in the other folds (fold 0 has %s, all %s)",
            stats.heldOutCount(0), stats.count(heads));
        int all = heads + best;
        t.chosen[g] = best;
        t.all[g] = m.weights(all);
        t.withoutFold[g][0] = m.weights(best);
        b.put("heldOutLogLoss", stats.heldOutLogLoss(best));
        b.put("trainLogLoss", stats.trainLogLoss(all));
        if (g == 0) {
          t.n = stats.count(all);
          fit.set("cv", cv.deepCopy());
          fit.put("heldOutLogLoss", stats.heldOutLogLoss(best));
          fit.put("trainLogLoss", stats.trainLogLoss(all));
          fit.put("gradientNorm", stats.gradientNorm(all));
          fit.put("validation", "fold 0 of " + folds + " held out (" + stats.heldOutCount(best) + " examples) to choose lambda");
        }
      }
      t.targetMean = 0.5;
      t.targetSd = 0.5;
      fit.put("passes", passes);
      t.fit = fit.toString();
      out.output(t);
    }
  }
}
