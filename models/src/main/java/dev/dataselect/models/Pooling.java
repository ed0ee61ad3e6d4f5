package dev.dataselect.models;

/** How token states become one sentence vector. */
public enum Pooling {
  /** Mean of the token states over the attention mask (all-MiniLM-L6-v2, e5). */
  MEAN,
  /** The state of the first token, {@code [CLS]} (bge). */
  CLS
}
