package dev.dataselect.runners.dataflow;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.pipelines.Dataselect;
import dev.dataselect.pipelines.options.DataselectOptions;
import java.util.Arrays;
import org.apache.beam.runners.dataflow.DataflowPipelineJob;
import org.apache.beam.runners.dataflow.DataflowRunner;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.runners.dataflow.util.DataflowTemplateJob;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Flex Template launcher of the main job ({@code FLEX_TEMPLATE_JAVA_MAIN_CLASS}): parses the
 * template's parameters, starts the job on Dataflow and returns without waiting for it, so the
 * launcher VM hands over to the job as soon as it is submitted.
 */
public final class DataselectFlexTemplate {
  private static final Logger LOG = LoggerFactory.getLogger(DataselectFlexTemplate.class);

  private DataselectFlexTemplate() {}

  public static void main(String[] args) {
    DataselectOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(DataselectOptions.class);
    if (Arrays.stream(args).noneMatch(a -> a.startsWith("--runner="))) {
      options.setRunner(DataflowRunner.class);
    }
    PipelineResult result = launch(options);
    if (result instanceof DataflowTemplateJob) {
      LOG.info("wrote the job specification to {}", options.as(DataflowPipelineOptions.class).getTemplateLocation());
    } else if (result instanceof DataflowPipelineJob job) {
      LOG.info("submitted Dataflow job {}", job.getJobId());
    } else {
      LOG.info("started {}", result);
    }
  }

  /** Fixes the job to the main one, validates what only a local run may omit, adds {@link DataflowDefaults}, starts it. */
  public static PipelineResult launch(DataselectOptions options) {
    options.setJob("select");
    checkArgument(
        !"demo".equals(options.getInput()),
        "--input must name the corpus (gs://bucket/path/*.jsonl.gz, ...): the bundled demo corpus is for local runs only");
    DataflowDefaults.apply(options);
    return Dataselect.run(options);
  }
}
