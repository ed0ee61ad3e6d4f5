package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.common.ReflectHelpers;

/**
 * Starts a built pipeline: every job's {@code run} ends here.
 *
 * <p>On the Flink runner it hands the runner a copy of the options as the cluster's tasks will see
 * them (serialised to JSON once and read back), not the job's own options object. Beam's Flink
 * translator serialises the options it is given again for every operator and every type
 * information it makes (hundreds in the main job), and the cost of each serialisation grows with
 * the option interfaces that object has been viewed as: the job's own object knows every option
 * interface the job's stages asked for, the copy only {@code PipelineOptions} (and what the
 * runner asks for). On the demo that cut the translation from about 8 s to about 2 s (JFR profile
 * in issue 12's note). The values are the same; options marked {@code @JsonIgnore} are dropped, as
 * they are for the tasks anyway. Other runners get the job's options as they are.
 */
final class Launch {
  private static final String FLINK_RUNNER = "org.apache.beam.runners.flink.FlinkRunner";
  private static final ObjectMapper MAPPER =
      new ObjectMapper().registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()));

  private Launch() {}

  /** Runs {@code pipeline} with the options it was built with; does not wait for it. */
  static PipelineResult run(Pipeline pipeline) {
    return pipeline.run(forRunner(pipeline.getOptions()));
  }

  /** The options to hand the runner: a serialised copy on Flink, else {@code options} itself. */
  static PipelineOptions forRunner(PipelineOptions options) {
    if (!FLINK_RUNNER.equals(options.getRunner().getName())) {
      return options;
    }
    try {
      return MAPPER.readValue(MAPPER.writeValueAsBytes(options), PipelineOptions.class);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot copy the pipeline options for the Flink runner", e);
    }
  }
}
