package dev.dataselect.pipelines.options;

import java.util.Locale;

/** The samplers of {@code --sampler} (case-insensitive on the command line). */
public enum Sampler {
  /** The paper's random baseline: keep iff hash(id, seed) &lt; rate. */
  RANDOM,
  /** The best by the quality score (ASK-LLM, perplexity, student). */
  QUALITY,
  /** The paper's DENSITY: inverse-propensity sampling on the kernel density. */
  DENSITY,
  /** The densest documents (a comparison sampler). */
  DENSEST,
  /** The sparsest documents (a comparison sampler). */
  SPARSEST,
  /** Quality x coverage: inverse-propensity sampling on density^beta / quality^alpha. */
  COMBINED,
  /**
   * SemDeDup (Abbas et al. 2023): k-means on the embeddings, then a document is dropped when a
   * preceding document of its cluster is within cosine distance --semdedupEpsilon (or, for a rate or
   * count, the documents with the lowest similarity to a preceding one are kept).
   */
  SEMDEDUP,
  /** SSL prototypes (Sorscher et al. 2022): k-means, then the documents farthest from their centroid. */
  PROTOTYPES;

  /** How the sampler is written: lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean needsDensity() {
    return this == DENSITY || this == DENSEST || this == SPARSEST || this == COMBINED;
  }

  /** SemDeDup and prototypes: k-means clusters of the embeddings. */
  public boolean needsClusters() {
    return this == SEMDEDUP || this == PROTOTYPES;
  }

  public boolean needsQuality() {
    return this == QUALITY || this == COMBINED;
  }
}
