package dev.dataselect.models;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;

/** ONNX Runtime graph optimisation level (a serializable mirror of {@link OptLevel}). */
public enum OptimizationLevel {
  NONE(OptLevel.NO_OPT),
  BASIC(OptLevel.BASIC_OPT),
  EXTENDED(OptLevel.EXTENDED_OPT),
  ALL(OptLevel.ALL_OPT);

  private final OptLevel ortLevel;

  OptimizationLevel(OptLevel ortLevel) {
    this.ortLevel = ortLevel;
  }

  /** The ONNX Runtime constant. */
  public OptLevel ortLevel() {
    return ortLevel;
  }
}
