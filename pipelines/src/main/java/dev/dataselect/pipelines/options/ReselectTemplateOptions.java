package dev.dataselect.pipelines.options;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The parameters of the select-only job and its Flex Template: which earlier run's scores, which
 * samplers, rates, counts or thresholds, and where to write. No model option: no model runs; the
 * documents ({@code --withDocuments}) are read as the earlier run's summary.json says it read them.
 */
public interface ReselectTemplateOptions extends SelectionOptions, ReselectOptions, QualityOption, OutputOptions {
  @Description(
      "Samplers, comma-separated, each selected at every rate, count or threshold: random (keep iff hash(id, seed) < rate); quality (the best rate fraction by --quality); density "
          + "(inverse-propensity sampling on embedding density: even coverage); densest / sparsest (top / bottom "
          + "rate fraction by density, the paper's comparison samplers); combined (quality x coverage: keep with "
          + "p = min(1, c q^alpha / d^beta), see --qualityExponent and --densityExponent); semdedup and prototypes "
          + "(over the scores a main run with that sampler persisted).")
  @Default.InstanceFactory(DensityOnly.class)
  List<Sampler> getSampler();

  void setSampler(List<Sampler> value);

  /** {@code [density]}, the default of {@code --sampler}. */
  class DensityOnly implements DefaultValueFactory<List<Sampler>> {
    @Override
    public List<Sampler> create(PipelineOptions options) {
      return List.of(Sampler.DENSITY);
    }
  }
}
