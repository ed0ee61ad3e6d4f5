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
import java.util.List;
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

  static PCollection<TrainStudent.Trained> fit(PCollection<Example> examples, int folds, long seed, HeadGrid grid, int signals) {
    return examples
        .apply("RidgeStatistics", Combine.globally(new RidgeCombine(folds, seed)))
        .apply("SolveRidge", ParDo.of(new SolveRidge(grid, grid.primary.usesSignals() ? signals : 0)));
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

  /** Every group of the grid solved from the one set of statistics (a group's blocks are sub-blocks of X'X). */
  private static final class SolveRidge extends DoFn<RidgeStatistics, Trained> {
    private final HeadGrid grid;
    private final int signals;

    SolveRidge(HeadGrid grid, int signals) {
      this.grid = grid;
      this.signals = signals;
    }

    @ProcessElement
    public void process(@Element RidgeStatistics stats, OutputReceiver<Trained> out) {
      List<StudentModel.Features> groups = grid.groups();
      int embDims = stats.dimension() - signals;
      Trained t = new Trained();
      t.groups = groups.toArray(new StudentModel.Features[0]);
      t.chosen = new int[groups.size()];
      t.all = new double[groups.size()][];
      t.withoutFold = new double[groups.size()][stats.folds()][];
      t.n = stats.count();
      ObjectNode fit = new ObjectMapper().createObjectNode();
      ObjectNode blocks = fit.putObject("blocks");
      for (int g = 0; g < groups.size(); g++) {
        int[] idx = grid.indices(groups.get(g));
        RidgeStatistics.Solution s = stats.fit(grid.penalties(groups.get(g), embDims, signals));
        t.chosen[g] = idx[s.index];
        t.all[g] = withIntercept(s.all);
        for (int f = 0; f < stats.folds(); f++) {
          t.withoutFold[g][f] = s.withoutFold[f] == null ? null : withIntercept(s.withoutFold[f]);
        }
        t.targetMean = s.targetMean;
        t.targetSd = s.targetSd;
        ObjectNode b = blocks.putObject(groups.get(g).label());
        ArrayNode cv = b.putArray("cv");
        for (RidgeStatistics.CvPoint p : s.cv) {
          HeadGrid.Head h = grid.heads.get(idx[p.index]);
          ObjectNode point = cv.addObject();
          if (h.group.usesEmbedding()) {
            point.put("lambda", h.lambda);
          }
          if (h.group.usesSignals()) {
            point.put("lambdaSignals", h.lambdaSignals);
          }
          point.put("heldOutR2", p.heldOutR2).put("heldOutRmse", p.heldOutRmse);
        }
        if (!s.cv.isEmpty()) {
          b.put("heldOutR2", s.chosen().heldOutR2);
          b.put("heldOutRmse", s.chosen().heldOutRmse);
        }
        if (g == 0) {
          if (!s.cv.isEmpty()) {
            fit.put("heldOutR2", s.chosen().heldOutR2);
            fit.put("heldOutRmse", s.chosen().heldOutRmse);
          }
          fit.set("cv", cv.deepCopy());
        }
      }
      fit.put("validation", stats.folds() + "-fold cross-validation (R² over every fold, exact from the statistics)");
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
