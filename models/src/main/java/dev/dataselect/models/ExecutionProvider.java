package dev.dataselect.models;

/** The ONNX Runtime execution provider a session runs on. */
public enum ExecutionProvider {
  CPU,
  /**
   * NVIDIA CUDA: needs the {@code com.microsoft.onnxruntime:onnxruntime_gpu} jar (build with
   * {@code -Pgpu}) and the CUDA 12 libraries plus cuDNN 9 on the host.
   */
  CUDA
}
