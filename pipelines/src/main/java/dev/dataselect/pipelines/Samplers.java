package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.transforms.density.SampleByDensity;
import dev.dataselect.transforms.select.QualityCoverage;
import dev.dataselect.transforms.select.ScoreOrder;
import dev.dataselect.transforms.select.SelectByScore;
import dev.dataselect.transforms.select.Target;
import java.util.ArrayList;
import java.util.List;
import javax.annotation.Nullable;
import org.apache.beam.sdk.transforms.Keys;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The samplers of the main and the reselect jobs over persisted or fresh scores: each turns (id,
 * score) collections into, per target, the ids kept and dropped. Top-k samplers (quality, densest,
 * sparsest) and random share one radix select for all targets; the inverse-propensity samplers
 * (density, combined) solve one keep rule per target.
 */
final class Samplers {
  static final List<String> NAMES = List.of("random", "quality", "density", "densest", "sparsest", "combined");

  private Samplers() {}

  static boolean needsDensity(String sampler) {
    return List.of("density", "densest", "sparsest", "combined").contains(sampler);
  }

  static boolean needsQuality(String sampler) {
    return sampler.equals("quality") || sampler.equals("combined");
  }

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

  /** The score the combined sampler weighs, d^beta / q^alpha, as the report names it. */
  static final String COMBINED_SCORE = "combined";

  /** Ids kept and dropped by one target, and the same as (id, score) of the score that decided. */
  static final class Decision {
    final Target target;
    final PCollection<String> selected;
    final PCollection<String> rejected;
    final String scoreName;
    final PCollection<KV<String, Double>> selectedScores;
    final PCollection<KV<String, Double>> rejectedScores;

    Decision(Target target, PCollection<String> selected, PCollection<String> rejected, String scoreName,
        PCollection<KV<String, Double>> selectedScores, PCollection<KV<String, Double>> rejectedScores) {
      this.target = target;
      this.selected = selected;
      this.rejected = rejected;
      this.scoreName = scoreName;
      this.selectedScores = selectedScores;
      this.rejectedScores = rejectedScores;
    }
  }

  /** What a sampler reads: the quality scores (and their stage name), the densities, the settings. */
  static final class Inputs {
    @Nullable PCollection<KV<String, Double>> quality;
    String qualityName = "none";
    @Nullable PCollection<KV<String, Double>> densities;
    /** The quality the combined sampler weighs, when it must differ from {@link #quality} (positive). */
    @Nullable PCollection<KV<String, Double>> combinedQuality;
    long seed;
    double qualityExponent = 1;
    double densityExponent = 1;
    int shards = 1 << 16;

    /** Ids with no score (0.0), for the random sampler when there are no scores to carry along. */
    @Nullable PCollection<KV<String, Double>> unscoredIds;

    /** The scores the random sampler draws from: any score collection (the score is not read). */
    PCollection<KV<String, Double>> any() {
      return densities != null ? densities : quality != null ? quality : unscoredIds;
    }

    /** The name of {@link #any}'s score. */
    String anyName() {
      return densities != null ? "density" : quality != null ? qualityName : NO_SCORE;
    }
  }

  static List<Decision> apply(String sampler, List<Target> targets, Inputs in) {
    String prefix = stageName(sampler);
    checkArgument(
        List.of("quality", "densest", "sparsest").contains(sampler) || targets.stream().noneMatch(t -> t.kind() == Target.Kind.THRESHOLD),
        "--sampler=%s takes rates or counts; thresholds apply to quality, densest and sparsest", sampler);
    List<Decision> out = new ArrayList<>();
    switch (sampler) {
      case "quality":
        return byScore(prefix, require(in.quality, sampler, "quality scores"), in.qualityName, qualityOrder(in.qualityName), targets, in.seed);
      case "densest":
        return byScore(prefix, require(in.densities, sampler, "densities"), "density", ScoreOrder.HIGHEST_FIRST, targets, in.seed);
      case "sparsest":
        return byScore(prefix, require(in.densities, sampler, "densities"), "density", ScoreOrder.LOWEST_FIRST, targets, in.seed);
      case "random": {
        List<Target> random = new ArrayList<>();
        for (Target t : targets) {
          random.add(t.kind() == Target.Kind.COUNT ? Target.randomCount((long) t.value()) : Target.randomRate(t.value()));
        }
        List<Decision> drawn = byScore(prefix, require(in.any(), sampler, "scores"), in.anyName(), ScoreOrder.HIGHEST_FIRST, random, in.seed);
        for (int i = 0; i < targets.size(); i++) {
          Decision d = drawn.get(i);
          out.add(new Decision(targets.get(i), d.selected, d.rejected, d.scoreName, d.selectedScores, d.rejectedScores));
        }
        return out;
      }
      case "density":
        for (Target t : targets) {
          SampleByDensity ips = SampleByDensity.inversePropensity(t.kind() == Target.Kind.RATE ? t.value() : 0).withSeed(in.seed);
          if (t.kind() == Target.Kind.COUNT) {
            ips = ips.withCount((long) t.value());
          }
          PCollectionTuple r = require(in.densities, sampler, "densities").apply(targets.size() == 1 ? prefix : prefix + "@" + t.label(), ips);
          out.add(new Decision(t, r.get(SampleByDensity.SELECTED), r.get(SampleByDensity.REJECTED), "density",
              r.get(SampleByDensity.SELECTED_SCORES), r.get(SampleByDensity.REJECTED_SCORES)));
        }
        return out;
      case "combined":
        for (Target t : targets) {
          QualityCoverage qc = QualityCoverage.with(require(in.combinedQuality != null ? in.combinedQuality : in.quality, sampler, "quality scores"))
              .withQualityOrder(qualityOrder(in.qualityName))
              .withQualityExponent(in.qualityExponent)
              .withDensityExponent(in.densityExponent)
              .withRate(t.kind() == Target.Kind.RATE ? t.value() : 0)
              .withSeed(in.seed)
              .withShards(in.shards);
          if (t.kind() == Target.Kind.COUNT) {
            qc = qc.withCount((long) t.value());
          }
          PCollectionTuple r = require(in.densities, sampler, "densities").apply(targets.size() == 1 ? prefix : prefix + "@" + t.label(), qc);
          out.add(new Decision(t, r.get(QualityCoverage.SELECTED), r.get(QualityCoverage.REJECTED), COMBINED_SCORE,
              r.get(QualityCoverage.SELECTED_SCORES), r.get(QualityCoverage.REJECTED_SCORES)));
        }
        return out;
      default:
        throw new IllegalArgumentException("--sampler must be one of " + NAMES + ", got '" + sampler + "'");
    }
  }

  private static List<Decision> byScore(String name, PCollection<KV<String, Double>> scores, String scoreName, ScoreOrder order,
      List<Target> targets, long seed) {
    PCollectionTuple r = scores
        .apply(name, SelectByScore.of(order, targets).withSeed(seed));
    List<Decision> out = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      String label = name + "@" + targets.get(i).label();
      out.add(new Decision(targets.get(i),
          r.get(SelectByScore.selected(i)).apply(label + " SelectedIds", Keys.create()),
          r.get(SelectByScore.rejected(i)).apply(label + " RejectedIds", Keys.create()),
          scoreName, r.get(SelectByScore.selected(i)), r.get(SelectByScore.rejected(i))));
    }
    // Scores that are NaN or infinite get no decision: their documents count as unscored.
    return out;
  }

  private static <T> T require(@Nullable T value, String sampler, String what) {
    checkArgument(value != null, "--sampler=%s needs %s", sampler, what);
    return value;
  }

  /** The stage name of a sampler in the pipeline graph (and the monitoring UI). */
  static String stageName(String sampler) {
    switch (sampler) {
      case "quality":
        return "SelectByQuality";
      case "density":
        return "SelectByInverseDensity";
      case "combined":
        return "SelectByQualityAndCoverage";
      default:
        return "Select" + Character.toUpperCase(sampler.charAt(0)) + sampler.substring(1);
    }
  }

  /** Zero scores for documents, for the random sampler with a count. */
  static MapElements<dev.dataselect.transforms.Document, KV<String, Double>> idsWithoutScore() {
    return MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles())).via(d -> KV.of(d.id(), 0.0));
  }
}
