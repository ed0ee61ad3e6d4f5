package dev.dataselect.pipelines.options;

/** {@code --outputFormat}: how the selected records are written. */
public enum OutputFormat {
  /** Each kept record as it was read, in its input format, every field kept (see {@code WriteAsRead}). */
  SAME,
  /** Documents as gzip JSON lines: {@code id, text, source, metadata}. */
  JSONL,
  /** Documents as Parquet: {@code id, text, source, metadata}. */
  PARQUET
}
