package dev.dataselect.transforms.inference;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.SharedModels;

/**
 * The models the inference stages' DoFns load, for holding one in this JVM before they start (a
 * local run's warm-up): {@link #acquire} loads the very configuration a stage's {@code @Setup}
 * acquires from {@link SharedModels} (a CPU model with one intra-op thread per call, see {@code
 * InferenceThreads}), read as the stage reads it ({@link BeamModelReader}), so the stage finds it
 * loaded.
 */
public final class StageModels {
  private StageModels() {}

  /** Acquires the model a stage built with {@code model} (e.g. {@link Embed#model()}) will load. */
  public static SharedModels.Handle acquire(ModelConfig model) {
    return SharedModels.acquire(InferenceThreads.cpuModel(model), BeamModelReader.of());
  }
}
