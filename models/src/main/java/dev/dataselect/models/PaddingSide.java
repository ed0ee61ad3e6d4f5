package dev.dataselect.models;

/** Where pad tokens go when a batch is padded to its longest sequence. */
public enum PaddingSide {
  LEFT,
  RIGHT
}
