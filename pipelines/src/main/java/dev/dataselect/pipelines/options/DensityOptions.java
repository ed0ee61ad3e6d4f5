package dev.dataselect.pipelines.options;

import dev.dataselect.transforms.density.Kernel;
import dev.dataselect.transforms.density.LshFamily;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How densities are estimated (used by --sampler=density, densest, sparsest). */
public interface DensityOptions extends PipelineOptions {
  @Description(
      "Density estimator: reference (KDE against m embeddings sampled by hash, broadcast as a side input) or "
          + "sketch (the paper's RACE sketch: R x B counters built in one pass, merged by addition).")
  @Default.Enum("REFERENCE")
  Kde getKde();

  void setKde(Kde value);

  @Description("Reference sample size m for --kde=reference.")
  @Default.Integer(10_000)
  Integer getKdeSampleSize();

  void setKdeSampleSize(Integer value);

  @Description("Kernel for --kde=reference: gaussian or laplacian (on L2 distance).")
  @Default.Enum("GAUSSIAN")
  Kernel getKdeKernel();

  void setKdeKernel(Kernel value);

  @Description("Kernel bandwidth for --kde=reference; 0 sets it from the reference sample (median nearest-neighbour distance).")
  @Default.Double(0)
  Double getKdeBandwidth();

  void setKdeBandwidth(Double value);

  @Description("Sketch rows R for --kde=sketch.")
  @Default.Integer(1_000)
  Integer getSketchRows();

  void setSketchRows(Integer value);

  @Description("Sketch buckets B per row for --kde=sketch.")
  @Default.Integer(20_000)
  Integer getSketchBuckets();

  void setSketchBuckets(Integer value);

  @Description("Sketch hash family for --kde=sketch: p_stable (L2) or signed_random_projection (cosine).")
  @Default.Enum("P_STABLE")
  LshFamily getSketchHash();

  void setSketchHash(LshFamily value);
}
