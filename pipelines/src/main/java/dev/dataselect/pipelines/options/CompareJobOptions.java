package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** Options of {@code --job=compare}. */
public interface CompareJobOptions extends JobOptions, OutputOptions {
  @Description(
      "Selections to compare, comma-separated folders: a main run's output (its selected-ids/) or a reselect run's "
          + "output (each of its selections/<sampler>-<target>/).")
  @Default.String("")
  String getSelections();

  void setSelections(String value);

  @Description("Embeddings of the corpus (an --embeddingsCache folder): each selection's coverage, and with --clusters its retention per cluster.")
  @Default.String("")
  String getEmbeddingsCache();

  void setEmbeddingsCache(String value);

  @Description("Quality scores of the corpus (a scores/<stage>/ folder of an earlier run): each selection's mean quality.")
  @Default.String("")
  String getQualityScores();

  void setQualityScores(String value);

  @Description("Corpus points, drawn by hash, that coverage is measured from: the mean distance from each to its nearest kept point.")
  @Default.Integer(2000)
  Integer getCoverageSample();

  void setCoverageSample(Integer value);

  @Description("k of a k-means of the embeddings for each selection's retention per cluster; 0 skips it.")
  @Default.Integer(0)
  Integer getClusters();

  void setClusters(Integer value);

  @Description("Seed of the coverage sample and the k-means.")
  @Default.Long(42)
  Long getSeed();

  void setSeed(Long value);
}
