package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.select.ScoreOrder;
import dev.dataselect.transforms.select.Select;
import dev.dataselect.transforms.select.Target;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.beam.sdk.values.PCollection;

/**
 * The {@code --sampler} names of the main and the reselect jobs, each mapped to its {@link Select}
 * over fresh or persisted scores: quality, densest and sparsest are {@link Select#top}, density
 * {@link Select#inverseDensity}, combined {@link Select#qualityAndCoverage}, random {@link
 * Select#random}.
 */
final class Samplers {
  private Samplers() {}

  /** Perplexity: lower is better; every other quality score: higher is better. */
  static ScoreOrder qualityOrder(String quality) {
    return quality.equals("perplexity") ? ScoreOrder.LOWEST_FIRST : ScoreOrder.HIGHEST_FIRST;
  }

  /** The rate targets, or the count targets when counts are given, or thresholds. */
  static List<Target> targets(List<Double> rates, List<Long> counts, List<Double> thresholds) {
    List<Target> out = new ArrayList<>();
    if (!thresholds.isEmpty()) {
      thresholds.forEach(t -> out.add(Target.threshold(t)));
    } else if (!counts.isEmpty()) {
      counts.forEach(c -> out.add(Target.count(c)));
    } else {
      rates.forEach(r -> out.add(Target.rate(r)));
    }
    checkArgument(!out.isEmpty(), "no rate or count to select");
    return out;
  }

  /** The score name of a random selection drawn over ids alone. */
  static final String NO_SCORE = "none";

  /** SemDeDup's score as the report names it. */
  static final String SEMDEDUP_SCORE = "semdedup";

  /** The prototypes' score as the report names it. */
  static final String PROTOTYPES_SCORE = "prototype-distance";

  /** The score the combined sampler weighs, d^beta / q^alpha, as the report names it. */
  static final String COMBINED_SCORE = "combined";

  /** What a sampler reads: the quality scores (and their stage name), the densities, the settings. */
  static final class Inputs {
    @Nullable PCollection<DocumentScore> quality;
    String qualityName = "none";
    @Nullable PCollection<DocumentScore> densities;
    /** SemDeDup's similarity to the nearest preceding document of the cluster. */
    @Nullable PCollection<DocumentScore> semdedup;
    /** The cosine distance to the cluster's centroid (SSL prototypes). */
    @Nullable PCollection<DocumentScore> prototypes;
    /** The quality the combined sampler weighs, when it must differ from {@link #quality} (positive). */
    @Nullable PCollection<DocumentScore> combinedQuality;
    long seed;
    double qualityExponent = 1;
    double densityExponent = 1;
    int shards = JoinById.DEFAULT_SHARDS;

    /** The scores the random sampler draws ids from when it sees no documents (the score is not read). */
    @Nullable
    PCollection<DocumentScore> any() {
      return densities != null ? densities : quality;
    }

    /** The name of {@link #any}'s score. */
    String anyName() {
      return densities != null ? "density" : quality != null ? qualityName : NO_SCORE;
    }
  }

  /**
   * The {@link Select} of {@code --sampler} over these scores, without its target. With {@code
   * overIds}, the random sampler draws over {@link Inputs#any}'s ids (for a selection that sees no
   * documents); otherwise over the documents it is applied to.
   */
  static Select of(Sampler sampler, Inputs in, boolean overIds) {
    Select s;
    switch (sampler) {
      case QUALITY:
        s = Select.top(require(in.quality, sampler, "quality scores")).withOrder(qualityOrder(in.qualityName));
        break;
      case DENSEST:
        s = Select.top(require(in.densities, sampler, "densities"));
        break;
      case SPARSEST:
        s = Select.top(require(in.densities, sampler, "densities")).withOrder(ScoreOrder.LOWEST_FIRST);
        break;
      case RANDOM:
        s = overIds ? Select.random(require(in.any(), sampler, "scores")) : Select.random();
        break;
      case DENSITY:
        s = Select.inverseDensity(require(in.densities, sampler, "densities"));
        break;
      case COMBINED:
        s = Select.qualityAndCoverage(
                require(in.combinedQuality != null ? in.combinedQuality : in.quality, sampler, "quality scores"),
                require(in.densities, sampler, "densities"))
            .withOrder(qualityOrder(in.qualityName))
            .withQualityExponent(in.qualityExponent)
            .withDensityExponent(in.densityExponent);
        break;
      case SEMDEDUP:
        // Least similar to a preceding document first: a rate or count keeps the most novel; a
        // threshold 1 - epsilon keeps every document at most that similar.
        s = Select.top(require(in.semdedup, sampler, "SemDeDup similarities")).withOrder(ScoreOrder.LOWEST_FIRST);
        break;
      case PROTOTYPES:
        s = Select.top(require(in.prototypes, sampler, "distances to the cluster centroids"));
        break;
      default:
        throw new IllegalStateException("unknown sampler " + sampler);
    }
    return s.withSeed(in.seed).withShards(in.shards);
  }

  /** The name of the score a sampler's decision scores are (as the report registers it). */
  static String scoreName(Sampler sampler, Inputs in, boolean overIds) {
    switch (sampler) {
      case QUALITY:
        return in.qualityName;
      case COMBINED:
        return COMBINED_SCORE;
      case RANDOM:
        return overIds ? in.anyName() : NO_SCORE;
      case SEMDEDUP:
        return SEMDEDUP_SCORE;
      case PROTOTYPES:
        return PROTOTYPES_SCORE;
      default:
        return "density";
    }
  }

  private static <T> T require(@Nullable T value, Sampler sampler, String what) {
    checkArgument(value != null, "--sampler=%s needs %s", sampler.label(), what);
    return value;
  }

  /** The stage name of a sampler in the pipeline graph (and the monitoring UI). */
  static String stageName(Sampler sampler) {
    switch (sampler) {
      case QUALITY:
        return "SelectByQuality";
      case DENSITY:
        return "SelectByInverseDensity";
      case COMBINED:
        return "SelectByQualityAndCoverage";
      default:
        return "Select" + Character.toUpperCase(sampler.label().charAt(0)) + sampler.label().substring(1);
    }
  }
}
