package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Options of the main job ({@code --job=select}, the default): read, filter, deduplicate, score and
 * embed, select, write. Each job has its own interface ({@link ReselectJobOptions}, {@link
 * TrainStudentJobOptions}, {@link ReportJobOptions}), composed of the small ones they share.
 */
public interface DataselectOptions
    extends JobOptions, CorpusOptions, SelectionOptions, ModelOptions, StudentModelOption, DensityOptions, ClusterOptions,
        OutputOptions {
  @Description(
      "Sampler: random (keep iff hash(id, seed) < rate); quality (the best rate fraction by --quality); density "
          + "(inverse-propensity sampling on embedding density: even coverage); densest / sparsest (top / bottom "
          + "rate fraction by density, the paper's comparison samplers); combined (quality x coverage: keep with "
          + "p = min(1, c q^alpha / d^beta), see --qualityExponent and --densityExponent); semdedup (k-means, then "
          + "drop near-duplicates of a preceding document of the cluster, see --semdedupEpsilon); prototypes (k-means, "
          + "then the rate fraction farthest from their centroid).")
  @Default.Enum("DENSITY")
  Sampler getSampler();

  void setSampler(Sampler value);
}
