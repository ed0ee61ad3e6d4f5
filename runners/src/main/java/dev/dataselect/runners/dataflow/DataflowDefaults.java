package dev.dataselect.runners.dataflow;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * What every dataselect job needs on Dataflow, added to whatever the caller set:
 *
 * <ul>
 *   <li>Runner v2 ({@code use_runner_v2}): custom worker containers ({@code --sdkContainerImage})
 *       and GPUs run on it;
 *   <li>{@code --add-opens=java.base/java.nio=ALL-UNNAMED} in the worker JVM
 *       ({@code --jdkAddOpenModules}): Arrow reads direct buffers reflectively.
 * </ul>
 */
public final class DataflowDefaults {
  public static final String RUNNER_V2 = "use_runner_v2";
  public static final String ARROW_OPENS = "java.base/java.nio=ALL-UNNAMED";

  private DataflowDefaults() {}

  public static void apply(PipelineOptions options) {
    DataflowPipelineOptions dataflow = options.as(DataflowPipelineOptions.class);
    if (!ExperimentalOptions.hasExperiment(dataflow, RUNNER_V2)) {
      ExperimentalOptions.addExperiment(dataflow, RUNNER_V2);
    }
    List<String> opens = dataflow.getJdkAddOpenModules() == null ? new ArrayList<>() : new ArrayList<>(dataflow.getJdkAddOpenModules());
    if (!opens.contains(ARROW_OPENS)) {
      opens.add(ARROW_OPENS);
      dataflow.setJdkAddOpenModules(opens);
    }
  }
}
