package dev.dataselect.transforms.student;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.student.TrainStudent.Trained;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The ridge head of {@link TrainStudent}: one combine of per-fold sufficient statistics (X'X, X'y)
 * over every example, then each regularisation strength solved for every fold and for all data.
 */
final class RidgeFit {
  private RidgeFit() {}

  static PCollection<TrainStudent.Trained> fit(PCollection<Example> examples, int folds, long seed, double[] lambdas) {
    return examples
        .apply("RidgeStatistics", Combine.globally(new RidgeCombine(folds, seed)))
        .apply("SolveRidge", ParDo.of(new SolveRidge(lambdas)));
  }

  /** Ridge statistics per fold; the dimension is set by the first example. */
  static final class RidgeCombine extends Combine.CombineFn<Example, RidgeCombine.Acc, RidgeStatistics> {
    private final int folds;
    private final long seed;

    RidgeCombine(int folds, long seed) {
      this.folds = folds;
      this.seed = seed;
    }

    static final class Acc {
      RidgeStatistics stats; // null until the first example
    }

    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc addInput(Acc acc, Example e) {
      if (acc.stats == null) {
        acc.stats = RidgeStatistics.empty(e.features().length, folds);
      }
      acc.stats.add(TrainStudent.fold(e.id(), seed, folds), e.features(), e.target());
      return acc;
    }

    @Override
    public Acc mergeAccumulators(Iterable<Acc> accs) {
      Acc out = new Acc();
      for (Acc a : accs) {
        if (a.stats != null) {
          out.stats = out.stats == null ? a.stats : out.stats.merge(a.stats);
        }
      }
      return out;
    }

    @Override
    public RidgeStatistics extractOutput(Acc acc) {
      return acc.stats == null ? RidgeStatistics.empty(1, folds) : acc.stats;
    }

    @Override
    public Coder<Acc> getAccumulatorCoder(CoderRegistry registry, Coder<Example> inputCoder) {
      return new AccCoder();
    }

    @Override
    public Coder<RidgeStatistics> getDefaultOutputCoder(CoderRegistry registry, Coder<Example> inputCoder) {
      return new RidgeStatisticsCoder();
    }

    static final class AccCoder extends AtomicCoder<Acc> {
      @Override
      public void encode(Acc acc, OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
        data.writeBoolean(acc.stats != null);
        if (acc.stats != null) {
          acc.stats.writeTo(data);
        }
        data.flush();
      }

      @Override
      public Acc decode(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        Acc acc = new Acc();
        if (data.readBoolean()) {
          acc.stats = RidgeStatistics.readFrom(data);
        }
        return acc;
      }
    }
  }

  /** Encodes {@link RidgeStatistics} with its own {@code writeTo}/{@code readFrom}. */
  static final class RidgeStatisticsCoder extends AtomicCoder<RidgeStatistics> {
    @Override
    public void encode(RidgeStatistics s, OutputStream out) throws IOException {
      DataOutputStream data = new DataOutputStream(new java.io.BufferedOutputStream(out, 1 << 16));
      s.writeTo(data);
      data.flush();
    }

    @Override
    public RidgeStatistics decode(InputStream in) throws IOException {
      return RidgeStatistics.readFrom(new DataInputStream(in));
    }
  }

  private static final class SolveRidge extends DoFn<RidgeStatistics, Trained> {
    private final double[] lambdas;

    SolveRidge(double[] lambdas) {
      this.lambdas = lambdas;
    }

    @ProcessElement
    public void process(@Element RidgeStatistics stats, OutputReceiver<Trained> out) {
      RidgeStatistics.Solution s = stats.fit(lambdas);
      Trained t = new Trained();
      t.lambda = s.lambda;
      t.all = withIntercept(s.all);
      t.withoutFold = new double[stats.folds()][];
      for (int f = 0; f < stats.folds(); f++) {
        t.withoutFold[f] = s.withoutFold[f] == null ? null : withIntercept(s.withoutFold[f]);
      }
      t.targetMean = s.targetMean;
      t.targetSd = s.targetSd;
      t.n = stats.count();
      ObjectNode fit = new ObjectMapper().createObjectNode();
      fit.put("heldOutR2", s.chosen().heldOutR2);
      fit.put("heldOutRmse", s.chosen().heldOutRmse);
      fit.put("validation", stats.folds() + "-fold cross-validation (R² over every fold, exact from the statistics)");
      ArrayNode cv = fit.putArray("cv");
      for (RidgeStatistics.CvPoint p : s.cv) {
        cv.addObject().put("lambda", p.lambda).put("heldOutR2", p.heldOutR2).put("heldOutRmse", p.heldOutRmse);
      }
      t.fit = fit.toString();
      out.output(t);
    }

    private static double[] withIntercept(RidgeStatistics.Fit f) {
      double[] w = Arrays.copyOf(f.weights, f.weights.length + 1);
      w[f.weights.length] = f.intercept;
      return w;
    }
  }
}
