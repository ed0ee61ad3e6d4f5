package dev.dataselect.runners.dataflow;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.pipelines.Dataselect;
import dev.dataselect.pipelines.options.ReselectJobOptions;
import java.util.Arrays;
import org.apache.beam.runners.dataflow.DataflowPipelineJob;
import org.apache.beam.runners.dataflow.DataflowRunner;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Flex Template launcher of the select-only job: new selections (several samplers, rates or
 * counts) from the scores an earlier run persisted, on CPU workers, without any model. Starts the
 * job on Dataflow and returns without waiting.
 */
public final class ReselectFlexTemplate {
  private static final Logger LOG = LoggerFactory.getLogger(ReselectFlexTemplate.class);

  private ReselectFlexTemplate() {}

  public static void main(String[] args) {
    ReselectJobOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(ReselectJobOptions.class);
    if (Arrays.stream(args).noneMatch(a -> a.startsWith("--runner="))) {
      options.setRunner(DataflowRunner.class);
    }
    PipelineResult result = launch(options);
    LOG.info(result instanceof DataflowPipelineJob job ? "submitted Dataflow job " + job.getJobId() : "started " + result);
  }

  /** Fixes the job to reselect, checks the scores folder is named, adds {@link DataflowDefaults}, starts it. */
  public static PipelineResult launch(ReselectJobOptions options) {
    checkArgument(!options.getScores().isEmpty(), "--scores must name the output folder of an earlier run (gs://...)");
    options.setJob("reselect");
    DataflowDefaults.apply(options);
    return Dataselect.run(options);
  }
}
