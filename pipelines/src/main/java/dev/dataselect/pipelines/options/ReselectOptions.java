package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The select-only job ({@code --job=reselect}): new selections from the scores of an earlier run. */
public interface ReselectOptions extends PipelineOptions {
  @Description(
      "reselect job: the output folder of an earlier run; its scores/<stage>/ are read (no model runs). "
          + "The selected documents are joined back from --input when it is given, else only ids are written.")
  @Default.String("")
  String getScores();

  void setScores(String value);

  @Description("reselect job: comma-separated rates, each a selection (e.g. 0.1,0.2,0.4,0.6,0.8); empty: --rate.")
  @Default.String("")
  String getRates();

  void setRates(String value);

  @Description("reselect job: comma-separated document counts, each a selection, instead of --rates.")
  @Default.String("")
  String getCounts();

  void setCounts(String value);

  @Description(
      "reselect job: comma-separated score thresholds, each a selection of every document scoring at least as well "
          + "(quality: P(yes) >= t, perplexity <= t; densest: density >= t; sparsest: density <= t), instead of --rates.")
  @Default.String("")
  String getThresholds();

  void setThresholds(String value);

  @Description(
      "reselect job: also write each selection's documents, joined back from the earlier run's corpus (read "
          + "with the corpus options recorded in its summary.json).")
  @Default.Boolean(false)
  Boolean getWithDocuments();

  void setWithDocuments(Boolean value);
}
