package dev.dataselect.transforms.density;

import dev.dataselect.transforms.DocumentScore;
import static com.google.common.base.Preconditions.checkArgument;

import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.StringUtf8Coder;
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
 * The paper's DENSITY sampler over scores, behind {@code Select.inverseDensity}: {@code
 * PCollection<DocumentScore>} of (id, density), as {@link KdeDensity} outputs, in; the ids split
 * into {@link #SELECTED} and {@link #REJECTED} out. {@link #inversePropensity} keeps a document with
 * probability {@code p = min(1, c / density)}, with c solved so that {@code sum p = rate x N}:
 * sparse regions are kept more, so the sample spreads evenly over embedding space. (The densest /
 * sparsest comparison samplers are {@code Select.top(density)}, exact.)
 *
 * <p>The global quantity (c, or the density threshold) comes from a {@link LogHistogram} of all
 * densities built by a combiner (a few thousand bins, merged exactly by addition; nothing collects
 * the densities on one machine) and solved into a {@link KeepRule}, a tiny side input. A document
 * is kept iff {@code Hashes.unit(id, seed) < p}: deterministic, and independent across documents.
 * The expected kept count is {@code rate x N} (see {@link KeepRule} for the histogram's effect);
 * the achieved count differs from it by the Bernoulli noise, SD at most {@code sqrt(rate x N)}.
 *
 * <p>Windows: each window is sampled on its own. A density that is negative, NaN or infinite fails
 * the bundle.
 */
public final class SampleByDensity
    extends PTransform<PCollection<DocumentScore>, PCollectionTuple> {
  private static final Logger LOG = LoggerFactory.getLogger(SampleByDensity.class);

  public static final TupleTag<String> SELECTED = new TupleTag<>("selected") {};
  public static final TupleTag<String> REJECTED = new TupleTag<>("rejected") {};
  /** The kept documents' (id, density): for reports that compare kept and dropped scores. */
  public static final TupleTag<DocumentScore> SELECTED_SCORES = new TupleTag<>("selectedScores") {};
  /** The dropped documents' (id, density). */
  public static final TupleTag<DocumentScore> REJECTED_SCORES = new TupleTag<>("rejectedScores") {};

  public static final double DEFAULT_RELATIVE_ACCURACY = 0.001;
  public static final double MAX_RELATIVE_ACCURACY = 0.1;

  private final KeepRule.Kind kind;
  private final double rate;
  private final long seed;
  private final double relativeAccuracy;
  private final long count; // -1: keep rate x N

  private SampleByDensity(KeepRule.Kind kind, double rate, long seed, double relativeAccuracy) {
    this(kind, rate, seed, relativeAccuracy, -1);
  }

  private SampleByDensity(KeepRule.Kind kind, double rate, long seed, double relativeAccuracy, long count) {
    this.kind = kind;
    this.rate = rate;
    this.seed = seed;
    this.relativeAccuracy = relativeAccuracy;
    this.count = count;
  }

  private static double checkRate(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    return rate;
  }

  /** Inverse-propensity sampling at {@code rate} in [0, 1], seed 0. */
  public static SampleByDensity inversePropensity(double rate) {
    return new SampleByDensity(
        KeepRule.Kind.INVERSE_PROPENSITY, checkRate(rate), 0L, DEFAULT_RELATIVE_ACCURACY);
  }

  /**
   * The densest {@code rate} fraction by the histogram's keep rule (top-k to within a histogram
   * bin), for the keep rule's tests; selections use {@code Select.top(density)}, exact by the radix
   * select.
   */
  static SampleByDensity densest(double rate) {
    return new SampleByDensity(
        KeepRule.Kind.DENSEST, checkRate(rate), 0L, DEFAULT_RELATIVE_ACCURACY);
  }

  /** The sparsest {@code rate} fraction by the histogram's keep rule; see {@link #densest}. */
  static SampleByDensity sparsest(double rate) {
    return new SampleByDensity(
        KeepRule.Kind.SPARSEST, checkRate(rate), 0L, DEFAULT_RELATIVE_ACCURACY);
  }

  /** The fraction to keep; a count ({@link #withCount}), set before or after, takes precedence. */
  public SampleByDensity withRate(double rate) {
    return new SampleByDensity(kind, checkRate(rate), seed, relativeAccuracy, count);
  }

  /**
   * Keeps {@code min(count, N)} documents in expectation instead of a rate: the rate becomes {@code
   * count / N}, N counted by the same histogram. Takes precedence over the rate, whichever is set
   * first.
   */
  public SampleByDensity withCount(long count) {
    checkArgument(count >= 0, "count must be >= 0, got %s", count);
    return new SampleByDensity(kind, rate, seed, relativeAccuracy, count);
  }

  /** The seed of the per-document hash; use a seed other than the KDE's for independence. */
  public SampleByDensity withSeed(long seed) {
    return new SampleByDensity(kind, rate, seed, relativeAccuracy, count);
  }

  /**
   * The relative accuracy alpha of the density histogram, in (0, 0.1]: densities within a factor
   * {@code (1 + alpha) / (1 - alpha)} of each other may get the same keep probability. Default
   * 0.001.
   */
  public SampleByDensity withRelativeAccuracy(double relativeAccuracy) {
    checkArgument(
        relativeAccuracy > 0 && relativeAccuracy <= MAX_RELATIVE_ACCURACY,
        "relativeAccuracy must be in (0, %s], got %s",
        MAX_RELATIVE_ACCURACY,
        relativeAccuracy);
    return new SampleByDensity(kind, rate, seed, relativeAccuracy, count);
  }

  @Override
  public PCollectionTuple expand(PCollection<DocumentScore> densities) {
    PCollectionView<KeepRule> rule =
        densities
            .apply(
                "HistogramOfDensities",
                Combine.globally(new HistogramFn(relativeAccuracy)).withoutDefaults())
            .apply("SolveKeepRule", ParDo.of(new SolveFn(kind, rate, count)))
            .setCoder(KeepRule.KeepRuleCoder.of())
            .apply("AsRule", View.asSingleton());
    PCollectionTuple out =
        densities.apply(
            "KeepByRule",
            ParDo.of(new KeepFn(rule, seed))
                .withSideInputs(rule)
                .withOutputTags(
                    SELECTED, TupleTagList.of(REJECTED).and(SELECTED_SCORES).and(REJECTED_SCORES)));
    out.get(SELECTED).setCoder(StringUtf8Coder.of());
    out.get(REJECTED).setCoder(StringUtf8Coder.of());
    out.get(SELECTED_SCORES).setCoder(DocumentScore.DocumentScoreCoder.of());
    out.get(REJECTED_SCORES).setCoder(DocumentScore.DocumentScoreCoder.of());
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("sampler", kind.name()).withLabel("Sampler"))
        .add(count < 0 ? DisplayData.item("rate", rate).withLabel("Rate") : DisplayData.item("count", count).withLabel("Count"))
        .add(DisplayData.item("seed", seed).withLabel("Seed"))
        .add(
            DisplayData.item("relativeAccuracy", relativeAccuracy)
                .withLabel("Density histogram relative accuracy"));
  }

  private static final class HistogramFn
      extends Combine.CombineFn<DocumentScore, LogHistogram, LogHistogram> {
    private final double alpha;

    HistogramFn(double alpha) {
      this.alpha = alpha;
    }

    @Override
    public LogHistogram createAccumulator() {
      return LogHistogram.withRelativeAccuracy(alpha);
    }

    @Override
    public LogHistogram addInput(LogHistogram h, DocumentScore density) {
      return h.add(density.score());
    }

    @Override
    public LogHistogram mergeAccumulators(Iterable<LogHistogram> histograms) {
      LogHistogram merged = createAccumulator();
      for (LogHistogram h : histograms) {
        merged.merge(h);
      }
      return merged;
    }

    @Override
    public LogHistogram extractOutput(LogHistogram h) {
      return h;
    }

    @Override
    public Coder<LogHistogram> getAccumulatorCoder(CoderRegistry r, Coder<DocumentScore> in) {
      return LogHistogram.LogHistogramCoder.of();
    }

    @Override
    public Coder<LogHistogram> getDefaultOutputCoder(
        CoderRegistry r, Coder<DocumentScore> in) {
      return LogHistogram.LogHistogramCoder.of();
    }
  }

  private static final class SolveFn extends DoFn<LogHistogram, KeepRule> {
    private final KeepRule.Kind kind;
    private final double fixedRate;
    private final long count;

    SolveFn(KeepRule.Kind kind, double rate, long count) {
      this.kind = kind;
      this.fixedRate = rate;
      this.count = count;
    }

    @ProcessElement
    public void process(@Element LogHistogram h, OutputReceiver<KeepRule> out) {
      double rate = count < 0 ? fixedRate : h.total() == 0 ? 0 : Math.min(1.0, count / (double) h.total());
      KeepRule rule;
      switch (kind) {
        case INVERSE_PROPENSITY:
          rule = KeepRule.inversePropensity(h, rate);
          break;
        case DENSEST:
          rule = KeepRule.densest(h, rate);
          break;
        case SPARSEST:
          rule = KeepRule.sparsest(h, rate);
          break;
        default:
          throw new AssertionError(kind);
      }
      LOG.info("{} densities at rate {}: {}", h.total(), rate, rule);
      out.output(rule);
    }
  }

  private static final class KeepFn extends DoFn<DocumentScore, String> {
    private final PCollectionView<KeepRule> rule;
    private final long seed;
    private final Counter selected = Metrics.counter(SampleByDensity.class, "selected");
    private final Counter rejected = Metrics.counter(SampleByDensity.class, "rejected");

    KeepFn(PCollectionView<KeepRule> rule, long seed) {
      this.rule = rule;
      this.seed = seed;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      DocumentScore d = c.element();
      if (c.sideInput(rule).keep(d.id(), d.score(), seed)) {
        selected.inc();
        c.output(SELECTED, d.id());
        c.output(SELECTED_SCORES, d);
      } else {
        rejected.inc();
        c.output(REJECTED, d.id());
        c.output(REJECTED_SCORES, d);
      }
    }
  }
}
