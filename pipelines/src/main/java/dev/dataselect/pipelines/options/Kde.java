package dev.dataselect.pipelines.options;

/** The density estimators of {@code --kde}. */
public enum Kde {
  /** KDE against a hash-sampled reference set broadcast as a side input. */
  REFERENCE,
  /** The paper's mergeable RACE sketch of LSH bucket counts. */
  SKETCH
}
