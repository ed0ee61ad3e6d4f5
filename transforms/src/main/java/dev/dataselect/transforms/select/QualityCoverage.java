package dev.dataselect.transforms.select;

import dev.dataselect.transforms.DocumentScore;
import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.density.SampleByDensity;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The combined quality x coverage sampler: densities (id, density) in, with the quality scores
 * (id, quality) given to {@link #with}; the ids split into {@link #SELECTED}, {@link #REJECTED} and
 * {@link #UNSCORED} (an id with only one of the two scores, or a quality that is not positive).
 *
 * <p>A document is kept with probability {@code p = min(1, c x q^alpha / d^beta)}, c solved so that
 * {@code sum p = rate x N}: inverse-propensity sampling ({@link SampleByDensity#inversePropensity})
 * on the effective density {@code d^beta / q^alpha}. q is the quality oriented so that larger is
 * better and positive: ASK-LLM's P(yes) as it is, a perplexity as {@code 1 / perplexity}.
 *
 * <ul>
 *   <li>{@code alpha} (quality exponent, default 1): larger favours higher quality; {@code alpha =
 *       0} ignores quality, so with {@code beta = 1} this is the paper's DENSITY sampler exactly.
 *   <li>{@code beta} (density exponent, default 1): larger favours sparse regions (more even
 *       coverage of embedding space); {@code beta = 0} ignores density: quality-weighted sampling.
 * </ul>
 *
 * <p>The two score streams meet in hash-sharded groups (as the decisions do in the main job), so a
 * group holds {@code N / shards} qualities, never the corpus. Every decision is {@code
 * Hashes.unit(id, seed) < p}: a function of (id, seed, scores).
 */
public final class QualityCoverage extends PTransform<PCollection<DocumentScore>, PCollectionTuple> {
  public static final TupleTag<String> SELECTED = SampleByDensity.SELECTED;
  public static final TupleTag<String> REJECTED = SampleByDensity.REJECTED;
  public static final TupleTag<String> UNSCORED = new TupleTag<>("unscored") {};
  /** (id, effective density d^beta / q^alpha) of the kept and dropped documents. */
  public static final TupleTag<DocumentScore> SELECTED_SCORES = SampleByDensity.SELECTED_SCORES;
  public static final TupleTag<DocumentScore> REJECTED_SCORES = SampleByDensity.REJECTED_SCORES;

  private static final TupleTag<DocumentScore> EFFECTIVE = new TupleTag<>("effective") {};

  private final PCollection<DocumentScore> quality;
  private final ScoreOrder qualityOrder;
  private final double alpha;
  private final double beta;
  private final double rate;
  private final long seed;
  private final int shards;
  private final long count; // -1: rate x N

  private QualityCoverage(PCollection<DocumentScore> quality, ScoreOrder qualityOrder, double alpha, double beta, double rate, long seed, int shards) {
    this(quality, qualityOrder, alpha, beta, rate, seed, shards, -1);
  }

  private QualityCoverage(PCollection<DocumentScore> quality, ScoreOrder qualityOrder, double alpha, double beta, double rate, long seed, int shards, long count) {
    this.quality = quality;
    this.qualityOrder = qualityOrder;
    this.alpha = alpha;
    this.beta = beta;
    this.rate = rate;
    this.seed = seed;
    this.shards = shards;
    this.count = count;
  }

  /** Combines these quality scores (higher is better) with the densities it is applied to; rate 0.2. */
  public static QualityCoverage with(PCollection<DocumentScore> quality) {
    return new QualityCoverage(quality, ScoreOrder.HIGHEST_FIRST, 1, 1, 0.2, 0, 1 << 16);
  }

  /** LOWEST_FIRST for a quality where lower is better (perplexity): q = 1 / score. */
  public QualityCoverage withQualityOrder(ScoreOrder order) {
    return new QualityCoverage(quality, order, alpha, beta, rate, seed, shards, count);
  }

  public QualityCoverage withQualityExponent(double alpha) {
    checkArgument(alpha >= 0 && Double.isFinite(alpha), "quality exponent must be finite and >= 0, got %s", alpha);
    return new QualityCoverage(quality, qualityOrder, alpha, beta, rate, seed, shards, count);
  }

  public QualityCoverage withDensityExponent(double beta) {
    checkArgument(beta >= 0 && Double.isFinite(beta), "density exponent must be finite and >= 0, got %s", beta);
    return new QualityCoverage(quality, qualityOrder, alpha, beta, rate, seed, shards, count);
  }

  public QualityCoverage withRate(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    return new QualityCoverage(quality, qualityOrder, alpha, beta, rate, seed, shards, count);
  }

  public QualityCoverage withSeed(long seed) {
    return new QualityCoverage(quality, qualityOrder, alpha, beta, rate, seed, shards, count);
  }

  /** Keeps {@code min(count, N)} documents in expectation instead of a rate. */
  public QualityCoverage withCount(long count) {
    checkArgument(count >= 0, "count must be >= 0, got %s", count);
    return new QualityCoverage(quality, qualityOrder, alpha, beta, rate, seed, shards, count);
  }

  /** Groups the two score streams meet in (default 65,536; a few on the DirectRunner). */
  public QualityCoverage withShards(int shards) {
    checkArgument(shards >= 1, "shards must be >= 1, got %s", shards);
    return new QualityCoverage(quality, qualityOrder, alpha, beta, rate, seed, shards, count);
  }

  /** The effective density {@code d^beta / q^alpha} (q oriented and positive), or NaN when q <= 0. */
  public static double effectiveDensity(double density, double quality, ScoreOrder order, double alpha, double beta) {
    double q = order == ScoreOrder.HIGHEST_FIRST ? quality : 1 / quality;
    if (!(q > 0) || !Double.isFinite(q) || !(density >= 0) || !Double.isFinite(density)) {
      return Double.NaN;
    }
    double logV = (beta == 0 ? 0 : beta * Math.log(density)) - (alpha == 0 ? 0 : alpha * Math.log(q));
    double v = Math.exp(logV);
    return Math.min(v, Double.MAX_VALUE);
  }

  @Override
  public PCollectionTuple expand(PCollection<DocumentScore> densities) {
    PCollectionTuple joined =
        densities
            .apply("JoinScores", JoinById.ofScores(DocumentScore::id, quality).withShards(shards))
            .apply("EffectiveDensity", ParDo.of(new EffectiveFn(qualityOrder, alpha, beta))
                .withOutputTags(EFFECTIVE, TupleTagList.of(UNSCORED)));
    joined.get(EFFECTIVE).setCoder(DocumentScore.DocumentScoreCoder.of());
    joined.get(UNSCORED).setCoder(StringUtf8Coder.of());
    PCollectionTuple sampled = joined.get(EFFECTIVE).apply("SampleByEffectiveDensity", count < 0
        ? SampleByDensity.inversePropensity(rate).withSeed(seed)
        : SampleByDensity.inversePropensity(rate).withSeed(seed).withCount(count));
    return PCollectionTuple.of(SELECTED, sampled.get(SELECTED)).and(REJECTED, sampled.get(REJECTED)).and(UNSCORED, joined.get(UNSCORED))
        .and(SELECTED_SCORES, sampled.get(SELECTED_SCORES)).and(REJECTED_SCORES, sampled.get(REJECTED_SCORES));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("qualityExponent", alpha).withLabel("Quality exponent (alpha)"))
        .add(DisplayData.item("densityExponent", beta).withLabel("Density exponent (beta)"))
        .add(DisplayData.item("qualityOrder", qualityOrder.name()).withLabel("Quality order"))
        .add(DisplayData.item("rate", rate).withLabel("Rate"))
        .add(DisplayData.item("seed", seed).withLabel("Seed"));
  }

  private static final class EffectiveFn extends DoFn<JoinById.Joined<DocumentScore, Double>, DocumentScore> {
    private final ScoreOrder order;
    private final double alpha;
    private final double beta;
    private final Counter unscored = Metrics.counter(QualityCoverage.class, "unscored");

    EffectiveFn(ScoreOrder order, double alpha, double beta) {
      this.order = order;
      this.alpha = alpha;
      this.beta = beta;
    }

    @ProcessElement
    public void process(@Element JoinById.Joined<DocumentScore, Double> j, MultiOutputReceiver out) {
      DocumentScore d = j.left();
      double v = d == null || j.rights().isEmpty() ? Double.NaN : effectiveDensity(d.score(), j.rights().get(0), order, alpha, beta);
      if (Double.isNaN(v)) { // no density, no quality, or no usable combination
        unscored.inc();
        out.get(UNSCORED).output(j.id());
      } else {
        out.get(EFFECTIVE).output(DocumentScore.of(j.id(), v));
      }
    }
  }
}
