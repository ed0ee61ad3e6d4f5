package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** What to keep. */
public interface SelectionOptions extends PipelineOptions {
  @Description(
      "Sampler: random (keep iff hash(id, seed) < rate); quality (the best rate fraction by --quality); density "
          + "(inverse-propensity sampling on embedding density: even coverage); densest / sparsest (top / bottom "
          + "rate fraction by density, the paper's comparison samplers).")
  @Default.String("density")
  String getSampler();

  void setSampler(String value);

  @Description("Fraction of documents to keep, in [0, 1].")
  @Default.Double(0.2)
  Double getRate();

  void setRate(Double value);

  @Description("Seed of every sampling decision: the same seed and ids give the same selection on every runner.")
  @Default.Long(42)
  Long getSeed();

  void setSeed(Long value);

  @Description("Remove exact duplicates (same text after NFKC, lower case, collapsed whitespace) before selecting.")
  @Default.Boolean(true)
  Boolean getDedup();

  void setDedup(Boolean value);
}
