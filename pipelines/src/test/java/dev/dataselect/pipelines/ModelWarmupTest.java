package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.SharedModels;
import dev.dataselect.transforms.inference.StageModels;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

class ModelWarmupTest {
  /** The bundled MiniLM, as the demo's embedding stage names it (auto threads). */
  private static final ModelConfig MINILM = ModelConfig.embedding(
      ModelLocation.ofClasspath("all-minilm-l6-v2.onnx"), ModelLocation.ofClasspath("all-minilm-l6-v2-tokenizer.json"));

  private static PipelineOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).withoutStrictParsing().create();
  }

  @Test
  void loadsTheConfigurationTheStageLoadsAndReleasesItWhenClosed() throws InterruptedException {
    ModelConfig stageLoads = MINILM.withIntraOpThreads(1);
    try (ModelWarmup warmup = new ModelWarmup()) {
      warmup.start(options("--runner=DirectRunner"), List.of(MINILM));
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (SharedModels.refCount(stageLoads) == 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(1, SharedModels.refCount(stageLoads), "the warm-up holds the stage's configuration");
      try (SharedModels.Handle stage = StageModels.acquire(MINILM)) {
        assertFalse(stage.loadedByThisAcquire(), "the stage finds its model loaded");
      }
    }
    assertEquals(0, SharedModels.refCount(stageLoads), "closing releases the warm-up's hold");
  }

  @Test
  void onlyForRunnersThatRunTheJobInThisJvm() {
    assertTrue(ModelWarmup.inThisJvm(options("--runner=DirectRunner")));
    assertTrue(ModelWarmup.inThisJvm("FlinkRunner", "[local]"));
    assertFalse(ModelWarmup.inThisJvm("FlinkRunner", "flink-jobmanager:8081"));
    assertFalse(ModelWarmup.inThisJvm("FlinkRunner", "[auto]"), "[auto] may submit to a cluster");
    assertFalse(ModelWarmup.inThisJvm("DataflowRunner", null));
  }
}
