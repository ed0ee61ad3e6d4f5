package dev.dataselect.pipelines.options;

/** Where the models run ({@code --device}). */
public enum Device {
  CPU,
  /** ONNX Runtime's CUDA execution provider (the GPU build of ONNX Runtime). */
  CUDA
}
