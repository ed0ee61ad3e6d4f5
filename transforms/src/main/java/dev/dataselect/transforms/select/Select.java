package dev.dataselect.transforms.select;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;
import static java.util.Objects.requireNonNull;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.density.SampleByDensity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The one selection transform: documents in, the kept and the dropped documents out, the scores
 * that decide given as arguments (each a scoring stage's {@code PCollection<DocumentScore>}).
 *
 * <pre>{@code
 * Select.Result r = docs.apply(Select.top(quality).withRate(0.2));         // ASK-LLM: best 20 %
 * docs.apply(Select.inverseDensity(density).withCount(1_000_000));          // DENSITY
 * docs.apply(Select.qualityAndCoverage(quality, density).withRate(0.2));    // q^alpha / d^beta
 * docs.apply(Select.threshold(quality, 0.9));                               // every q >= 0.9
 * docs.apply(Select.random().withRate(0.1).withSeed(7));                    // the baseline
 * r.selected(); r.rejected(); r.unscored(); r.selectedScores(); r.rejectedScores();
 * }</pre>
 *
 * <p>Samplers: {@link #random} keeps a document iff {@code Hashes.unit(id, seed) < rate} (no join,
 * no scores). {@link #top} keeps the best {@code rate x N} (or count) by score under an order, found
 * by a radix select over mergeable digit histograms ({@link SelectByScore}); ties are broken by
 * hash. {@link #inverseDensity} is the paper's DENSITY sampler (keep with {@code p = min(1, c /
 * density)}, {@link SampleByDensity}); {@link #qualityAndCoverage} the same on {@code d^beta /
 * q^alpha} ({@link QualityCoverage}). Every decision is a function of (id, seed, scores), so reruns,
 * retries and runners agree. Decisions meet the documents in a hash-sharded {@link JoinById}; a
 * document without a usable score (a model stage dead-lettered it, a NaN) goes to {@link
 * Result#unscored()}, so {@code selected + rejected + unscored = input}. Document ids must be unique
 * ({@code RejectDuplicateIds} dead-letters repeats): an id whose decisions disagree is unscored.
 *
 * <p>Settings are order-independent: a count, when set, wins over a rate, whichever came first.
 * {@link #forTargets} is the many-targets form over scores alone (score once, select many): every
 * target shares the same passes.
 */
public final class Select extends PTransform<PCollection<Document>, Select.Result> {
  /** The samplers; {@link #TOP} covers quality, densest and sparsest (an order and a score). */
  public enum Kind {
    RANDOM,
    TOP,
    INVERSE_DENSITY,
    QUALITY_AND_COVERAGE
  }

  private final Kind kind;
  @Nullable private final PCollection<DocumentScore> scores;
  @Nullable private final PCollection<DocumentScore> density;
  private final ScoreOrder order;
  @Nullable private final Double rate;
  @Nullable private final Long count;
  @Nullable private final Double threshold;
  private final long seed;
  private final double qualityExponent;
  private final double densityExponent;
  private final int shards;

  private Select(Kind kind, @Nullable PCollection<DocumentScore> scores, @Nullable PCollection<DocumentScore> density,
      ScoreOrder order, @Nullable Double rate, @Nullable Long count, @Nullable Double threshold, long seed,
      double qualityExponent, double densityExponent, int shards) {
    this.kind = kind;
    this.scores = scores;
    this.density = density;
    this.order = order;
    this.rate = rate;
    this.count = count;
    this.threshold = threshold;
    this.seed = seed;
    this.qualityExponent = qualityExponent;
    this.densityExponent = densityExponent;
    this.shards = shards;
  }

  private static Select of(Kind kind, @Nullable PCollection<DocumentScore> scores, @Nullable PCollection<DocumentScore> density) {
    return new Select(kind, scores, density, ScoreOrder.HIGHEST_FIRST, null, null, null, 0L, 1, 1, JoinById.DEFAULT_SHARDS);
  }

  /** The random baseline: each document kept iff {@code Hashes.unit(id, seed) < rate}. */
  public static Select random() {
    return of(Kind.RANDOM, null, null);
  }

  /**
   * Random selection over the ids of {@code scores} (the score is not read): the form {@link
   * #forTargets} needs, which sees no documents.
   */
  public static Select random(PCollection<DocumentScore> scores) {
    return of(Kind.RANDOM, requireNonNull(scores, "scores"), null);
  }

  /** The best documents by {@code scores}, highest first unless {@link #withOrder} says otherwise. */
  public static Select top(PCollection<DocumentScore> scores) {
    return of(Kind.TOP, requireNonNull(scores, "scores"), null);
  }

  /** Every document whose score is at least as good as {@code threshold} (≥, or ≤ for LOWEST_FIRST). */
  public static Select threshold(PCollection<DocumentScore> scores, double threshold) {
    checkArgument(Double.isFinite(threshold), "threshold must be finite, got %s", threshold);
    Select s = top(scores);
    return new Select(s.kind, s.scores, null, s.order, null, null, threshold, s.seed, 1, 1, s.shards);
  }

  /** The paper's DENSITY sampler: inverse-propensity sampling on {@code density} ({@code KdeDensity}'s output). */
  public static Select inverseDensity(PCollection<DocumentScore> density) {
    return of(Kind.INVERSE_DENSITY, null, requireNonNull(density, "density"));
  }

  /**
   * Quality x coverage: inverse-propensity sampling on {@code density^beta / quality^alpha}
   * ({@link #withDensityExponent}, {@link #withQualityExponent}, both 1 by default); the quality is
   * oriented by {@link #withOrder} (LOWEST_FIRST for a perplexity).
   */
  public static Select qualityAndCoverage(PCollection<DocumentScore> quality, PCollection<DocumentScore> density) {
    return of(Kind.QUALITY_AND_COVERAGE, requireNonNull(quality, "quality"), requireNonNull(density, "density"));
  }

  private Select with(ScoreOrder order, @Nullable Double rate, @Nullable Long count, long seed, double alpha, double beta, int shards) {
    return new Select(kind, scores, density, order, rate, count, threshold, seed, alpha, beta, shards);
  }

  /** Keeps {@code rate x N} documents (N: the scored documents), {@code rate} in [0, 1]. */
  public Select withRate(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    checkArgument(threshold == null, "a threshold selection keeps every score past its threshold: it takes no rate");
    return with(order, rate, count, seed, qualityExponent, densityExponent, shards);
  }

  /** Keeps {@code min(count, N)} documents; wins over a rate, set before or after. */
  public Select withCount(long count) {
    checkArgument(count >= 0, "count must be >= 0, got %s", count);
    checkArgument(threshold == null, "a threshold selection keeps every score past its threshold: it takes no count");
    return with(order, rate, count, seed, qualityExponent, densityExponent, shards);
  }

  /**
   * A rate or a count target as {@link #withRate} or {@link #withCount} sets it; a threshold target
   * turns a {@link #top} selection into {@link #threshold} (keeping its order), and takes no rate or count.
   */
  public Select withTarget(Target target) {
    switch (target.kind()) {
      case RATE:
        return withRate(target.value());
      case COUNT:
        return withCount((long) target.value());
      case THRESHOLD:
        checkArgument(kind == Kind.TOP, "a threshold target applies to Select.top, not %s", kind);
        checkArgument(rate == null && count == null, "a threshold selection keeps every score past its threshold: it takes no rate or count");
        return new Select(kind, scores, density, order, null, null, target.value(), seed, qualityExponent, densityExponent, shards);
      default:
        throw new IllegalArgumentException("withTarget takes a rate, a count or a threshold, got " + target);
    }
  }

  /** The seed of every per-document hash (random decisions, tie-breaks, Bernoulli draws); 0 by default. */
  public Select withSeed(long seed) {
    return with(order, rate, count, seed, qualityExponent, densityExponent, shards);
  }

  /** Which end of the score is better: HIGHEST_FIRST (default) or LOWEST_FIRST (perplexity, sparsest). */
  public Select withOrder(ScoreOrder order) {
    return with(requireNonNull(order, "order"), rate, count, seed, qualityExponent, densityExponent, shards);
  }

  /** alpha of {@link #qualityAndCoverage}: larger favours quality; 0 ignores it. */
  public Select withQualityExponent(double alpha) {
    checkArgument(alpha >= 0 && Double.isFinite(alpha), "quality exponent must be finite and >= 0, got %s", alpha);
    return with(order, rate, count, seed, alpha, densityExponent, shards);
  }

  /** beta of {@link #qualityAndCoverage}: larger favours sparse regions; 0 ignores density. */
  public Select withDensityExponent(double beta) {
    checkArgument(beta >= 0 && Double.isFinite(beta), "density exponent must be finite and >= 0, got %s", beta);
    return with(order, rate, count, seed, qualityExponent, beta, shards);
  }

  /** Groups of the joins by id ({@link JoinById#DEFAULT_SHARDS}; a few on the DirectRunner, which pays per group). */
  public Select withShards(int shards) {
    checkArgument(shards >= 1, "shards must be >= 1, got %s", shards);
    return with(order, rate, count, seed, qualityExponent, densityExponent, shards);
  }

  public Kind kind() {
    return kind;
  }

  /** The target the settings give: the threshold, else the count, else the rate. */
  public Target target() {
    if (threshold != null) {
      return Target.threshold(threshold);
    }
    checkState(count != null || rate != null, "Select.%s needs withRate(r) or withCount(n)", kind.name().toLowerCase(java.util.Locale.ROOT));
    return count != null ? Target.count(count) : Target.rate(rate);
  }

  /** The many-targets form: per target, the ids kept and dropped; no documents are read. */
  public Decide forTargets(List<Target> targets) {
    checkArgument(!targets.isEmpty(), "at least one target is needed");
    return new Decide(this, List.copyOf(targets));
  }

  @Override
  public Result expand(PCollection<Document> docs) {
    Target target = target();
    if (kind == Kind.RANDOM && target.kind() == Target.Kind.RATE) {
      // Each decision needs only the id: no scores, no join.
      PCollectionTuple out = docs.apply("KeepIfHashBelowRate",
          ParDo.of(new RandomFn(target.value(), seed)).withOutputTags(Result.SELECTED, TupleTagList.of(Result.REJECTED)));
      Pipeline p = docs.getPipeline();
      return new Result(p, out.get(Result.SELECTED).setCoder(docs.getCoder()), out.get(Result.REJECTED).setCoder(docs.getCoder()),
          p.apply("NoUnscored", Create.empty(docs.getCoder())), empty(p, "NoSelectedScores"), empty(p, "NoRejectedScores"));
    }
    Select self = this;
    if (kind == Kind.RANDOM && scores == null) {
      // A random count needs N: draw over the documents' ids (the score is not read).
      self = random(docs.apply("Ids", MapElements.into(TypeDescriptor.of(DocumentScore.class)).via(d -> DocumentScore.of(d.id(), 0.0))))
          .withSeed(seed).withShards(shards);
    }
    Decision d = self.decide(List.of(target), "").get(0);
    PCollection<KV<String, Boolean>> decisions =
        PCollectionList.of(d.selectedIds().apply("Keep", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, true))))
            .and(d.rejectedIds().apply("Drop", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, false))))
            .apply("Decisions", Flatten.pCollections())
            .setCoder(KvCoder.of(StringUtf8Coder.of(), BooleanCoder.of()));
    PCollectionTuple routed =
        docs.apply("JoinDecisions", JoinById.of(Document::id, decisions).withShards(shards))
            .apply("Route", ParDo.of(new RouteFn()).withOutputTags(Result.SELECTED, TupleTagList.of(Result.REJECTED).and(Result.UNSCORED)));
    return new Result(docs.getPipeline(), routed.get(Result.SELECTED).setCoder(docs.getCoder()),
        routed.get(Result.REJECTED).setCoder(docs.getCoder()), routed.get(Result.UNSCORED).setCoder(docs.getCoder()),
        d.selectedScores(), d.rejectedScores());
  }

  private static PCollection<DocumentScore> empty(Pipeline p, String name) {
    return p.apply(name, Create.empty(DocumentScore.DocumentScoreCoder.of()));
  }

  /** One decision per target, each step named with {@code prefix} and the target's label when there are several. */
  List<Decision> decide(List<Target> targets, String prefix) {
    boolean byThreshold = targets.stream().anyMatch(t -> t.kind() == Target.Kind.THRESHOLD);
    checkArgument(kind == Kind.TOP || !byThreshold,
        "thresholds apply to top selections (quality, densest, sparsest); %s takes rates or counts", kind);
    List<Decision> out = new ArrayList<>();
    switch (kind) {
      case TOP:
        return byScore(prefix, scores, order, targets);
      case RANDOM: {
        checkArgument(scores != null, "random selection over ids needs their scores: Select.random(scores)");
        List<Target> random = new ArrayList<>();
        for (Target t : targets) {
          random.add(t.kind() == Target.Kind.COUNT ? Target.randomCount((long) t.value()) : Target.randomRate(t.value()));
        }
        List<Decision> drawn = byScore(prefix, scores, ScoreOrder.HIGHEST_FIRST, random);
        for (int i = 0; i < targets.size(); i++) {
          Decision d = drawn.get(i);
          out.add(new Decision(targets.get(i), d.selectedIds, d.rejectedIds, d.selectedScores, d.rejectedScores));
        }
        return out;
      }
      case INVERSE_DENSITY: {
        PCollection<DocumentScore> usable = usable(density, prefix.isEmpty() ? "UsableDensities" : prefix + " UsableDensities");
        for (Target t : targets) {
          SampleByDensity ips = SampleByDensity.inversePropensity(t.kind() == Target.Kind.RATE ? t.value() : 0).withSeed(seed);
          if (t.kind() == Target.Kind.COUNT) {
            ips = ips.withCount((long) t.value());
          }
          PCollectionTuple r = usable.apply(name(prefix, "InverseDensity", t, targets), ips);
          out.add(new Decision(t, r.get(SampleByDensity.SELECTED), r.get(SampleByDensity.REJECTED),
              r.get(SampleByDensity.SELECTED_SCORES), r.get(SampleByDensity.REJECTED_SCORES)));
        }
        return out;
      }
      case QUALITY_AND_COVERAGE:
        for (Target t : targets) {
          QualityCoverage qc = QualityCoverage.with(scores)
              .withQualityOrder(order)
              .withQualityExponent(qualityExponent)
              .withDensityExponent(densityExponent)
              .withRate(t.kind() == Target.Kind.RATE ? t.value() : 0)
              .withSeed(seed)
              .withShards(shards);
          if (t.kind() == Target.Kind.COUNT) {
            qc = qc.withCount((long) t.value());
          }
          PCollectionTuple r = density.apply(name(prefix, "QualityAndCoverage", t, targets), qc);
          out.add(new Decision(t, r.get(QualityCoverage.SELECTED), r.get(QualityCoverage.REJECTED),
              r.get(QualityCoverage.SELECTED_SCORES), r.get(QualityCoverage.REJECTED_SCORES)));
        }
        return out;
      default:
        throw new IllegalStateException("unknown sampler " + kind);
    }
  }

  /** The finite, non-negative densities (KdeDensity emits only those); others leave their documents unscored. */
  private static PCollection<DocumentScore> usable(PCollection<DocumentScore> density, String name) {
    return density.apply(name, Filter.by((DocumentScore s) -> Double.isFinite(s.score()) && s.score() >= 0));
  }

  private static String name(String prefix, String base, Target t, List<Target> all) {
    String n = prefix.isEmpty() ? base : prefix;
    return all.size() == 1 ? n : n + "@" + t.label();
  }

  private List<Decision> byScore(String prefix, PCollection<DocumentScore> s, ScoreOrder o, List<Target> targets) {
    String name = prefix.isEmpty() ? "ByScore" : prefix;
    PCollectionTuple r = s.apply(name, SelectByScore.of(o, targets).withSeed(seed));
    List<Decision> out = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      String label = name + "@" + targets.get(i).label();
      PCollection<DocumentScore> kept = r.get(SelectByScore.selected(i));
      PCollection<DocumentScore> dropped = r.get(SelectByScore.rejected(i));
      // Scores that are NaN or infinite get no decision: their documents count as unscored.
      out.add(new Decision(targets.get(i), kept.apply(label + " SelectedIds", ids()), dropped.apply(label + " RejectedIds", ids()), kept, dropped));
    }
    return out;
  }

  private static MapElements<DocumentScore, String> ids() {
    return MapElements.into(TypeDescriptors.strings()).via(DocumentScore::id);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("sampler", kind.name()).withLabel("Sampler"))
        .add(DisplayData.item("order", order.name()).withLabel("Order"))
        .add(DisplayData.item("seed", seed).withLabel("Seed"))
        .addIfNotNull(DisplayData.item("rate", rate).withLabel("Rate"))
        .addIfNotNull(DisplayData.item("count", count).withLabel("Count"))
        .addIfNotNull(DisplayData.item("threshold", threshold).withLabel("Threshold"));
    if (kind == Kind.QUALITY_AND_COVERAGE) {
      builder
          .add(DisplayData.item("qualityExponent", qualityExponent).withLabel("Quality exponent (alpha)"))
          .add(DisplayData.item("densityExponent", densityExponent).withLabel("Density exponent (beta)"));
    }
  }

  /** One target's decision over scores: the ids kept and dropped, and the (id, score) that decided. */
  public static final class Decision {
    private final Target target;
    private final PCollection<String> selectedIds;
    private final PCollection<String> rejectedIds;
    private final PCollection<DocumentScore> selectedScores;
    private final PCollection<DocumentScore> rejectedScores;

    Decision(Target target, PCollection<String> selectedIds, PCollection<String> rejectedIds,
        PCollection<DocumentScore> selectedScores, PCollection<DocumentScore> rejectedScores) {
      this.target = target;
      this.selectedIds = selectedIds;
      this.rejectedIds = rejectedIds;
      this.selectedScores = selectedScores;
      this.rejectedScores = rejectedScores;
    }

    public Target target() {
      return target;
    }

    public PCollection<String> selectedIds() {
      return selectedIds;
    }

    public PCollection<String> rejectedIds() {
      return rejectedIds;
    }

    /** The kept documents' deciding score: the score itself, or d^beta / q^alpha for quality x coverage. */
    public PCollection<DocumentScore> selectedScores() {
      return selectedScores;
    }

    public PCollection<DocumentScore> rejectedScores() {
      return rejectedScores;
    }
  }

  /** {@link #forTargets}: a selection's decisions for many targets, over scores alone. */
  public static final class Decide extends PTransform<PBegin, Decisions> {
    private final Select select;
    private final List<Target> targets;

    Decide(Select select, List<Target> targets) {
      this.select = select;
      this.targets = targets;
    }

    @Override
    public Decisions expand(PBegin begin) {
      return new Decisions(begin.getPipeline(), select.decide(targets, ""));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      select.populateDisplayData(builder);
      builder.add(DisplayData.item("targets", targets.toString()).withLabel("Targets"));
    }
  }

  /** The output of {@link Decide}: one {@link Decision} per target, in the targets' order. */
  public static final class Decisions extends Outputs {
    private final List<Decision> all;

    Decisions(Pipeline pipeline, List<Decision> all) {
      super(pipeline);
      this.all = List.copyOf(all);
    }

    public List<Decision> all() {
      return all;
    }

    public Decision get(int i) {
      return all.get(i);
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new LinkedHashMap<>();
      for (int i = 0; i < all.size(); i++) {
        Decision d = all.get(i);
        out.put(new TupleTag<>("selectedIds-" + i), d.selectedIds);
        out.put(new TupleTag<>("rejectedIds-" + i), d.rejectedIds);
        out.put(new TupleTag<>("selectedScores-" + i), d.selectedScores);
        out.put(new TupleTag<>("rejectedScores-" + i), d.rejectedScores);
      }
      return out;
    }
  }

  /** A composite output: its pipeline and its named collections; nothing to finish. */
  private abstract static class Outputs implements POutput {
    private final Pipeline pipeline;

    Outputs(Pipeline pipeline) {
      this.pipeline = pipeline;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public void finishSpecifyingOutput(String transformName, org.apache.beam.sdk.values.PInput input, PTransform<?, ?> transform) {}
  }

  /**
   * What {@link Select} outputs: the documents kept, dropped and without a usable score, and the
   * deciding score of each kept and dropped document (empty for the random sampler at a rate,
   * which reads no score).
   */
  public static final class Result extends Outputs {
    static final TupleTag<Document> SELECTED = new TupleTag<>("selected") {};
    static final TupleTag<Document> REJECTED = new TupleTag<>("rejected") {};
    static final TupleTag<Document> UNSCORED = new TupleTag<>("unscored") {};
    private static final TupleTag<DocumentScore> SELECTED_SCORES = new TupleTag<>("selectedScores") {};
    private static final TupleTag<DocumentScore> REJECTED_SCORES = new TupleTag<>("rejectedScores") {};

    private final PCollection<Document> selected;
    private final PCollection<Document> rejected;
    private final PCollection<Document> unscored;
    private final PCollection<DocumentScore> selectedScores;
    private final PCollection<DocumentScore> rejectedScores;

    Result(Pipeline pipeline, PCollection<Document> selected, PCollection<Document> rejected, PCollection<Document> unscored,
        PCollection<DocumentScore> selectedScores, PCollection<DocumentScore> rejectedScores) {
      super(pipeline);
      this.selected = selected;
      this.rejected = rejected;
      this.unscored = unscored;
      this.selectedScores = selectedScores;
      this.rejectedScores = rejectedScores;
    }

    public PCollection<Document> selected() {
      return selected;
    }

    public PCollection<Document> rejected() {
      return rejected;
    }

    /** Documents no decision names: their score is missing (a dead letter says why) or not finite. */
    public PCollection<Document> unscored() {
      return unscored;
    }

    public PCollection<DocumentScore> selectedScores() {
      return selectedScores;
    }

    public PCollection<DocumentScore> rejectedScores() {
      return rejectedScores;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> out = new LinkedHashMap<>();
      out.put(SELECTED, selected);
      out.put(REJECTED, rejected);
      out.put(UNSCORED, unscored);
      out.put(SELECTED_SCORES, selectedScores);
      out.put(REJECTED_SCORES, rejectedScores);
      return out;
    }
  }

  private static final class RandomFn extends DoFn<Document, Document> {
    private final double rate;
    private final long seed;
    private final Counter selected = Metrics.counter(Select.class, "selected");
    private final Counter rejected = Metrics.counter(Select.class, "rejected");

    RandomFn(double rate, long seed) {
      this.rate = rate;
      this.seed = seed;
    }

    @ProcessElement
    public void process(@Element Document d, MultiOutputReceiver out) {
      if (Hashes.keep(d.id(), seed, rate)) {
        selected.inc();
        out.get(Result.SELECTED).output(d);
      } else {
        rejected.inc();
        out.get(Result.REJECTED).output(d);
      }
    }
  }

  /**
   * A document to the output its decision names; a decision without a document names nothing. An
   * id with decisions that disagree (its scores were given twice: ids must be unique, see {@code
   * RejectDuplicateIds}) has no single decision, so its documents go to {@link Result#unscored()}
   * whatever order the decisions arrive in.
   */
  private static final class RouteFn extends DoFn<JoinById.Joined<Document, Boolean>, Document> {
    @ProcessElement
    public void process(@Element JoinById.Joined<Document, Boolean> j, MultiOutputReceiver out) {
      Document d = j.left();
      if (d != null) {
        List<Boolean> decisions = j.rights();
        boolean keep = decisions.contains(true);
        boolean drop = decisions.contains(false);
        out.get(keep == drop ? Result.UNSCORED : keep ? Result.SELECTED : Result.REJECTED).output(d);
      }
    }
  }
}
