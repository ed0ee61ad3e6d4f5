package dev.dataselect.transforms.select;

import dev.dataselect.transforms.DocumentScore;
import static com.google.common.base.Preconditions.checkArgument;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Top-k, rate, threshold and random selections over scores: {@code PCollection<DocumentScore>}
 * of (id, score) in; for each target {@code i}, {@link #selected(int)} and {@link #rejected(int)}
 * (id, score) out, plus {@link #INVALID} for scores that are NaN or infinite. Several targets (e.g.
 * rates 0.1, 0.2, 0.4) share every pass.
 *
 * <p>Nothing is sorted and nothing is collected on one machine: thresholds are found by a radix
 * select ({@link RadixSelect}) whose state per pass is a {@link DigitHistogram} of at most 65,536
 * counts per target, merged by addition in a combiner. With the default two score passes the
 * boundary is resolved to the top 32 bits of the score's key (about 6 significant digits); scores
 * equal up to that are ties, broken by {@code Hashes.unit(id, seed)} in a last pass, so the kept
 * count is the target to within about {@code group / 65,536} documents and every decision is a
 * function of (id, seed, score) alone: reruns, retries and other runners agree.
 *
 * <p>Cost: {@code scorePasses + 1} global combines (the first over every score, the others over a
 * digit per document), then one filter. Windows: use in the global window.
 */
public final class SelectByScore extends PTransform<PCollection<DocumentScore>, PCollectionTuple> {
  private static final Logger LOG = LoggerFactory.getLogger(SelectByScore.class);

  /** Scores that are NaN or infinite: no target can place them. */
  public static final TupleTag<DocumentScore> INVALID = new TupleTag<>("invalid") {};

  public static final int DEFAULT_SCORE_PASSES = 2;

  private final ScoreOrder order;
  private final List<Target> targets;
  private final long seed;
  private final int scorePasses;

  private SelectByScore(ScoreOrder order, List<Target> targets, long seed, int scorePasses) {
    this.order = order;
    this.targets = List.copyOf(targets);
    this.seed = seed;
    this.scorePasses = scorePasses;
  }

  /** Selects by {@code order} for each target; seed 0. */
  public static SelectByScore of(ScoreOrder order, List<Target> targets) {
    checkArgument(!targets.isEmpty(), "at least one target is needed");
    checkArgument(targets.size() < (1 << 15), "at most 32767 targets, got %s", targets.size());
    return new SelectByScore(order, targets, 0L, DEFAULT_SCORE_PASSES);
  }

  /** The best {@code rate} fraction by {@code order}. */
  public static SelectByScore best(ScoreOrder order, double rate) {
    return of(order, List.of(Target.rate(rate)));
  }

  /** The seed of the tie-breaking hash (and of random targets). */
  public SelectByScore withSeed(long seed) {
    return new SelectByScore(order, targets, seed, scorePasses);
  }

  /**
   * Score digits resolved before ties are broken by hash, in [1, 4]: 1 resolves scores to about 1
   * significant digit, 2 (default) to about 6, 4 exactly. Each pass is one more combine.
   */
  public SelectByScore withScorePasses(int passes) {
    checkArgument(passes >= 1 && passes <= Cut.MAX_LEVEL, "scorePasses must be in [1, %s], got %s", Cut.MAX_LEVEL, passes);
    return new SelectByScore(order, targets, seed, passes);
  }

  public List<Target> targets() {
    return targets;
  }

  /** The kept (id, score) of target {@code i}. */
  public static TupleTag<DocumentScore> selected(int i) {
    return new TupleTag<>("selected-" + i);
  }

  /** The dropped (id, score) of target {@code i}. */
  public static TupleTag<DocumentScore> rejected(int i) {
    return new TupleTag<>("rejected-" + i);
  }

  @Override
  public PCollectionTuple expand(PCollection<DocumentScore> scores) {
    PCollection<Cut.Cuts> cuts =
        scores
            .apply("Pass0Digits", ParDo.of(new TopDigitFn(order)))
            .apply("Pass0Histogram", Combine.globally(new HistogramFn()))
            .apply("Pass0Solve", ParDo.of(new SolveFirstFn(targets, order)))
            .setCoder(Cut.CutsCoder.of());
    for (int pass = 1; pass <= scorePasses; pass++) {
      PCollectionView<Cut.Cuts> view = cuts.apply("Pass" + (pass - 1) + "Cuts", View.asSingleton());
      String name = pass < scorePasses ? "Pass" + pass : "TieBreak";
      cuts =
          scores
              .apply(name + "Digits", ParDo.of(new DigitFn(view, order, seed, scorePasses)).withSideInputs(view))
              .apply(name + "Histogram", Combine.globally(new HistogramFn()))
              .apply(name + "Solve", ParDo.of(new SolveNextFn(view, scorePasses)).withSideInputs(view))
              .setCoder(Cut.CutsCoder.of());
    }
    PCollectionView<Cut.Cuts> rules = cuts.apply("FinalCuts", View.asSingleton());
    List<TupleTag<?>> others = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      if (i > 0) {
        others.add(selected(i));
      }
      others.add(rejected(i));
    }
    PCollectionTuple out =
        scores.apply(
            "KeepByCut",
            ParDo.of(new KeepFn(rules, order, seed, targets.size()))
                .withSideInputs(rules)
                .withOutputTags(selected(0), TupleTagList.of(others).and(INVALID)));
    DocumentScore.DocumentScoreCoder coder = DocumentScore.DocumentScoreCoder.of();
    for (int i = 0; i < targets.size(); i++) {
      out.get(selected(i)).setCoder(coder);
      out.get(rejected(i)).setCoder(coder);
    }
    out.get(INVALID).setCoder(coder);
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("order", order.name()).withLabel("Order"))
        .add(DisplayData.item("targets", targets.toString()).withLabel("Targets"))
        .add(DisplayData.item("seed", seed).withLabel("Seed"))
        .add(DisplayData.item("scorePasses", scorePasses).withLabel("Score passes"));
  }

  private static final class TopDigitFn extends DoFn<DocumentScore, Integer> {
    private final ScoreOrder order;

    TopDigitFn(ScoreOrder order) {
      this.order = order;
    }

    @ProcessElement
    public void process(@Element DocumentScore s, OutputReceiver<Integer> out) {
      if (Double.isFinite(s.score())) {
        out.output((int) (order.key(s.score()) >>> (64 - Cut.DIGIT_BITS)));
      }
    }
  }

  /** Emits {@code target << 16 | digit} for every open target whose boundary group holds the score. */
  private static final class DigitFn extends DoFn<DocumentScore, Integer> {
    private final PCollectionView<Cut.Cuts> cuts;
    private final ScoreOrder order;
    private final long seed;
    private final int scorePasses;

    DigitFn(PCollectionView<Cut.Cuts> cuts, ScoreOrder order, long seed, int scorePasses) {
      this.cuts = cuts;
      this.order = order;
      this.seed = seed;
      this.scorePasses = scorePasses;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      double score = c.element().score();
      if (!Double.isFinite(score)) {
        return;
      }
      long key = order.key(score);
      Cut.Cuts all = c.sideInput(cuts);
      for (int i = 0; i < all.size(); i++) {
        int d = RadixSelect.digit(all.get(i), key, c.element().id(), seed, scorePasses);
        if (d >= 0) {
          c.output((i << Cut.DIGIT_BITS) | d);
        }
      }
    }
  }

  /** Merges per-pass digit counts by addition; shared with {@link LimitByHash}. */
  static final class HistogramFn extends Combine.CombineFn<Integer, DigitHistogram, DigitHistogram> {
    @Override
    public DigitHistogram createAccumulator() {
      return new DigitHistogram();
    }

    @Override
    public DigitHistogram addInput(DigitHistogram h, Integer code) {
      return h.add(code >>> Cut.DIGIT_BITS, code & (Cut.DIGITS - 1));
    }

    @Override
    public DigitHistogram mergeAccumulators(Iterable<DigitHistogram> hs) {
      DigitHistogram merged = new DigitHistogram();
      for (DigitHistogram h : hs) {
        merged.merge(h);
      }
      return merged;
    }

    @Override
    public DigitHistogram extractOutput(DigitHistogram h) {
      return h;
    }

    @Override
    public Coder<DigitHistogram> getAccumulatorCoder(CoderRegistry r, Coder<Integer> in) {
      return DigitHistogram.DigitHistogramCoder.of();
    }

    @Override
    public Coder<DigitHistogram> getDefaultOutputCoder(CoderRegistry r, Coder<Integer> in) {
      return DigitHistogram.DigitHistogramCoder.of();
    }
  }

  private static final class SolveFirstFn extends DoFn<DigitHistogram, Cut.Cuts> {
    private final List<Target> targets;
    private final ScoreOrder order;

    SolveFirstFn(List<Target> targets, ScoreOrder order) {
      this.targets = targets;
      this.order = order;
    }

    @ProcessElement
    public void process(@Element DigitHistogram h, OutputReceiver<Cut.Cuts> out) {
      out.output(RadixSelect.first(targets, order, h));
    }
  }

  private static final class SolveNextFn extends DoFn<DigitHistogram, Cut.Cuts> {
    private final PCollectionView<Cut.Cuts> previous;
    private final int scorePasses;

    SolveNextFn(PCollectionView<Cut.Cuts> previous, int scorePasses) {
      this.previous = previous;
      this.scorePasses = scorePasses;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Cut.Cuts next = RadixSelect.next(c.sideInput(previous), c.element(), scorePasses);
      if (next.cuts().stream().allMatch(Cut::isFinal)) {
        LOG.info("selection boundaries over {} scores: {}", next.total(), next.cuts());
      }
      c.output(next);
    }
  }

  private static final class KeepFn extends DoFn<DocumentScore, DocumentScore> {
    private final PCollectionView<Cut.Cuts> cuts;
    private final ScoreOrder order;
    private final long seed;
    private final int targets;
    private final Counter selected = Metrics.counter(SelectByScore.class, "selected");
    private final Counter rejected = Metrics.counter(SelectByScore.class, "rejected");
    private final Counter invalid = Metrics.counter(SelectByScore.class, "invalid");

    KeepFn(PCollectionView<Cut.Cuts> cuts, ScoreOrder order, long seed, int targets) {
      this.cuts = cuts;
      this.order = order;
      this.seed = seed;
      this.targets = targets;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      DocumentScore s = c.element();
      if (!Double.isFinite(s.score())) {
        invalid.inc();
        c.output(INVALID, s);
        return;
      }
      long key = order.key(s.score());
      Cut.Cuts all = c.sideInput(cuts);
      for (int i = 0; i < targets; i++) {
        if (all.get(i).keep(s.id(), key, seed)) {
          selected.inc();
          c.output(selected(i), s);
        } else {
          rejected.inc();
          c.output(rejected(i), s);
        }
      }
    }
  }
}
