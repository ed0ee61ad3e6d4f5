package dev.dataselect.transforms.io;

import java.util.Locale;
import java.util.Optional;

/** The corpus file formats {@link ReadCorpus} understands. */
public enum CorpusFormat {
  /** Detect from each file's extension (after any compression suffix). */
  AUTO,
  /** One JSON object per line ({@code .jsonl}, {@code .json}, {@code .ndjson}). */
  JSONL,
  /** Apache Parquet ({@code .parquet}). */
  PARQUET,
  /** Comma-separated with a header row ({@code .csv}); quoted fields may span lines. */
  CSV,
  /** Tab-separated with a header row ({@code .tsv}); quoted fields may span lines. */
  TSV,
  /** Plain text, one document per non-blank line ({@code .txt}). */
  TEXT_LINES,
  /** Plain text, one document per file. */
  TEXT_FILE,
  /** Arrow IPC, stream or file format, as Hugging Face {@code datasets} writes it ({@code .arrow}). */
  ARROW,
  /** TFRecord of {@code tf.train.Example}, as TFDS stores C4 ({@code .tfrecord}, {@code .tfrecord-00000-of-01024}). */
  TFRECORD,
  /**
   * Common Crawl WET ({@code .warc.wet}, {@code .warc.wet.gz}): each {@code conversion} record is a
   * document (its text, with the target URL, date and identified languages as fields).
   */
  WET,
  /**
   * Web archives ({@code .warc}, {@code .warc.gz}; not the older ARC format):
   * each {@code response} record with an HTML payload is a document, its text extracted with jsoup;
   * other responses are dead letters with their reason (not HTML, HTTP status, malformed HTTP).
   */
  WARC;

  private static final String[] COMPRESSION_SUFFIXES = {".gz", ".gzip", ".zst", ".zstd", ".bz2", ".deflate"};

  /** The format a file name implies, if any. */
  public static Optional<CorpusFormat> fromFileName(String fileName) {
    String name = fileName.toLowerCase(Locale.ROOT);
    for (String suffix : COMPRESSION_SUFFIXES) {
      if (name.endsWith(suffix)) {
        name = name.substring(0, name.length() - suffix.length());
        break;
      }
    }
    if (name.endsWith(".warc.wet") || name.endsWith(".wet")) {
      return Optional.of(WET);
    }
    if (name.endsWith(".warc")) {
      return Optional.of(WARC);
    }
    if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
      return Optional.of(JSONL);
    }
    if (name.endsWith(".parquet")) {
      return Optional.of(PARQUET);
    }
    if (name.endsWith(".csv")) {
      return Optional.of(CSV);
    }
    if (name.endsWith(".tsv")) {
      return Optional.of(TSV);
    }
    if (name.endsWith(".txt")) {
      return Optional.of(TEXT_LINES);
    }
    if (name.endsWith(".arrow")) {
      return Optional.of(ARROW);
    }
    if (name.endsWith(".tfrecord") || name.endsWith(".tfrecords") || name.matches(".*\\.tfrecords?-\\d+-of-\\d+")) {
      return Optional.of(TFRECORD);
    }
    return Optional.empty();
  }
}
