package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How much to keep and the seed of every decision; each job adds the sampler(s) it runs. */
public interface SelectionOptions extends PipelineOptions {
  @Description("Fraction of documents to keep, in [0, 1].")
  @Default.Double(0.2)
  Double getRate();

  void setRate(Double value);

  @Description(
      "Number of documents to keep instead of --rate (0: use --rate). Top-k samplers keep exactly this many "
          + "(ties broken by hash); density, combined and random keep it in expectation.")
  @Default.Long(0)
  Long getCount();

  void setCount(Long value);

  @Description(
      "Combined sampler: alpha, the weight of quality (>= 0). Larger keeps more high-quality documents; 0 "
          + "ignores quality (with --densityExponent=1 this is the density sampler).")
  @Default.Double(1.0)
  Double getQualityExponent();

  void setQualityExponent(Double value);

  @Description(
      "Combined sampler: beta, the weight of coverage (>= 0). Larger keeps more documents from sparse regions "
          + "of embedding space; 0 ignores density (quality-weighted sampling).")
  @Default.Double(1.0)
  Double getDensityExponent();

  void setDensityExponent(Double value);

  @Description("Seed of every sampling decision: the same seed and ids give the same selection on every runner.")
  @Default.Long(42)
  Long getSeed();

  void setSeed(Long value);

  @Description("Remove exact duplicates (same text after NFKC, lower case, collapsed whitespace) before selecting.")
  @Default.Boolean(true)
  Boolean getDedup();

  void setDedup(Boolean value);
}
