package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The k-means clustering of --sampler=semdedup and --sampler=prototypes. */
public interface ClusterOptions extends PipelineOptions {
  @Description("Clusters k of the k-means behind --sampler=semdedup and prototypes (spherical k-means on the embeddings).")
  @Default.Integer(100)
  Integer getClusters();

  void setClusters(Integer value);

  @Description("Most Lloyd iterations of that k-means; it stops earlier once no centroid moves by more than 1e-4 (cosine distance).")
  @Default.Integer(10)
  Integer getKmeansIterations();

  void setKmeansIterations(Integer value);

  @Description(
      "SemDeDup's epsilon: drop a document when a preceding document of its cluster (higher quality, else smaller "
          + "hash of the id) is within this cosine distance. 0 keeps --rate (or --count) of the documents instead, "
          + "those least similar to a preceding one.")
  @Default.Double(0)
  Double getSemdedupEpsilon();

  void setSemdedupEpsilon(Double value);

  @Description("Documents per block when SemDeDup compares a large cluster block by block (memory per group: about twice this many vectors).")
  @Default.Integer(10_000)
  Integer getSemdedupBlockSize();

  void setSemdedupBlockSize(Integer value);

  @Description(
      "Compute and persist every coverage score whatever --sampler is: the densities (scores/density/), the distances "
          + "to the k-means centroids (scores/prototypes/) and SemDeDup's similarities (scores/semdedup/), so that the "
          + "reselect job can then draw density, densest, sparsest, prototypes and semdedup at any rate from this one run.")
  @Default.Boolean(false)
  Boolean getAllCoverageScores();

  void setAllCoverageScores(Boolean value);
}
