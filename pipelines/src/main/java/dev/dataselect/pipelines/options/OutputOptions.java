package dev.dataselect.pipelines.options;

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

  @Description(
      "Format of the selected records: same (each kept record as it was read, in its input format with all its"
          + " fields: JSONL, CSV, TSV, Parquet, Arrow, text lines; WET/WARC records as JSON lines of their text, URL and"
          + " headers), jsonl (documents as gzip JSON lines: id, text, source, metadata) or parquet (documents)."
          + " Default: same when every input file has one format that can be written back (not Arrow, TFRecord or"
          + " whole text files), else jsonl; jsonl for --job=pick-for-labelling.")
  OutputFormat getOutputFormat();

  void setOutputFormat(OutputFormat value);

  @Description(
      "Files the selected records go to: 0 writes like the input (same: one file per input file that has kept"
          + " records, under its name) or as the runner bundles them (jsonl, parquet); N writes N files (for same,"
          + " N per CSV header or Parquet schema).")
  @Default.Integer(0)
  Integer getOutputShards();

  void setOutputShards(Integer value);

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
