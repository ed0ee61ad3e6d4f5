package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Which quality score the job scores with (select) or reads back (reselect). */
public interface QualityOption extends PipelineOptions {
  @Description(
      "Quality scorer: none, askllm (P(\"yes\") of an instruction-tuned model, higher is better) or perplexity "
          + "(mean token negative log-likelihood of a causal LM, lower is better) or student (a linear head on the "
          + "embeddings, see --studentModel and --job=train-student; higher is better). The reselect job reads "
          + "these scores back from --scores; there none means the first of askllm, student, perplexity it holds.")
  @Default.Enum("NONE")
  Quality getQuality();

  void setQuality(Quality value);
}
