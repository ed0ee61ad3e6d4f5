package dev.dataselect.pipelines.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** Options of {@code --job=store}: housekeeping of a {@code --scoreStore}. */
public interface StoreJobOptions extends JobOptions, OutputOptions {
  /** What {@code --job=store} does. */
  enum Action {
    /** Entries, distinct texts, duplicates, files and bytes per fingerprint folder. */
    STATS,
    /** Rewrites each folder's entries without duplicates into few files, then deletes the files it read. */
    COMPACT
  }

  @Description("The score store (local folder or gs:// prefix) to inspect or compact.")
  @Default.String("")
  String getScoreStore();

  void setScoreStore(String value);

  @Description("stats (entries, duplicates, files and bytes per fingerprint; written to <output>/store-stats.json) or "
      + "compact (one pass: duplicates dropped, small files merged, the files read deleted after success).")
  @Default.Enum("STATS")
  Action getAction();

  void setAction(Action value);

  @Description("compact: bytes per written file, about: a folder of B bytes is rewritten as ceil(B / this) files.")
  @Default.Long(128L << 20)
  Long getCompactFileBytes();

  void setCompactFileBytes(Long value);
}
