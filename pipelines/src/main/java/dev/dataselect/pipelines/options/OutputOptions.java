package dev.dataselect.pipelines.options;

import dev.dataselect.transforms.io.WriteDocuments;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where results go. */
public interface OutputOptions extends PipelineOptions {
  @Description(
      "Output folder (local or gs://): selected/ (documents), selected-ids/, dead-letters/, summary.json. "
          + "Files a previous run wrote there are replaced.")
  @Default.String("out")
  String getOutput();

  void setOutput(String value);

  @Description("Format of the selected documents: jsonl (gzip-compressed JSON lines) or parquet.")
  @Default.Enum("JSONL")
  WriteDocuments.Format getOutputFormat();

  void setOutputFormat(WriteDocuments.Format value);

  @Description("Seconds between progress lines on local runs (Flink in-process, DirectRunner); 0 turns them off.")
  @Default.Integer(5)
  Integer getProgressSeconds();

  void setProgressSeconds(Integer value);

  @Description(
      "Show the libraries' own log warnings (Flink, Hadoop, Beam, DJL). Off by default: bin/dataselect prints only"
          + " the job's progress, its own warnings and errors.")
  @Default.Boolean(false)
  Boolean getVerbose();

  void setVerbose(Boolean value);
}
