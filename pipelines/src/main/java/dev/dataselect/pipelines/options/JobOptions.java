package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Which job {@code bin/dataselect} runs. */
public interface JobOptions extends PipelineOptions {
  @Description(
      "Job to run: select (the main job: read, deduplicate, score, select, write); reselect (new selections at "
          + "several rates from the scores of an earlier run, no model: see --scores, --rates, --withDocuments); "
          + "train-student (fit a linear student scorer on embeddings from teacher scores or labels; see --labelsFile, "
          + "--teacherScores); report (renders report/index.html from the summary and report data already in --output); "
          + "compare (Jaccard overlaps, sizes, mean quality, coverage and retention per cluster of --selections); "
          + "pick-for-labelling (the --count documents whose labels would teach --studentModel most); "
          + "store (--scoreStore housekeeping: --action=stats or compact).")
  @Default.String("select")
  String getJob();

  void setJob(String value);
}
