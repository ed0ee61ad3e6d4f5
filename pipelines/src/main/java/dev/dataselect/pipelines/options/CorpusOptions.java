package dev.dataselect.pipelines.options;

import dev.dataselect.transforms.io.CorpusFormat;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the corpus is and how to read it. */
public interface CorpusOptions extends PipelineOptions {
  @Description(
      "Corpus files: comma-separated paths or globs (local, gs://, anything Beam FileSystems reads; a folder "
          + "ending in / means every file in it). 'demo' reads the bundled Europarl sample (17.6k documents, "
          + "~20 languages) with its own format settings, keeping its English documents (--languages=en).")
  @Default.String("demo")
  String getInput();

  void setInput(String value);

  @Description(
      "File format: auto (by extension, after .gz/.zst), jsonl, parquet, csv, tsv, text_lines (a document per "
          + "line), text_file (a document per file), arrow (Hugging Face datasets), tfrecord (tf.train.Example), wet (Common Crawl WET: a document per conversion record).")
  @Default.Enum("AUTO")
  CorpusFormat getFormat();

  void setFormat(CorpusFormat value);

  @Description(
      "Field holding the text (C4: text, CCNet: raw_content, others: contents); a comma-separated list is tried "
          + "in order per record, for corpora whose files name it differently.")
  @Default.String("text")
  String getTextField();

  void setTextField(String value);

  @Description(
      "Field holding a document id (string or integer). Records without it get a stable id derived from "
          + "file name, record index and text. Empty: always derive.")
  @Default.String("id")
  String getIdField();

  void setIdField(String value);

  @Description("Comma-separated fields copied into each document's metadata when present (e.g. url,language).")
  @Default.String("")
  String getMetadataFields();

  void setMetadataFields(String value);

  @Description("Records larger than this many bytes become record_too_large dead letters.")
  @Default.Integer(4 << 20)
  Integer getMaxRecordBytes();

  void setMaxRecordBytes(Integer value);

  @Description("Comma-separated column names for CSV/TSV files without a header row. Empty: the first row is the header.")
  @Default.String("")
  String getCsvHeader();

  void setCsvHeader(String value);

  @Description("Whether \" quotes CSV/TSV fields (quoted fields may span lines). Turn off where quotes are plain text.")
  @Default.Boolean(true)
  Boolean getCsvQuoting();

  void setCsvQuoting(Boolean value);

  @Description(
      "Size in bytes of the ranges large uncompressed files are first split into across workers (JSONL, text lines, "
          + "unquoted CSV/TSV by bytes; Parquet row groups and Arrow record batches grouped up to it). What is read "
          + "and every id are the same however files are split.")
  @Default.Long(64L << 20)
  Long getSplitBytes();

  void setSplitBytes(Long value);

  @Description(
      "Keep a deterministic subset of at most N documents (the N smallest hash(id, seed)); 0 keeps all. "
          + "For local trials: the subset is gathered on one worker.")
  @Default.Long(0)
  Long getLimit();

  void setLimit(Long value);

  @Description(
      "Comma-separated ISO 639-1 codes of the languages to keep (e.g. en,de; 'und' keeps texts that cannot be "
          + "placed). Every document is identified (Apache OpenNLP) right after reading; the others are counted as "
          + "otherLanguage in summary.json and go no further. Empty keeps all. 'demo' defaults to en.")
  @Default.String("")
  String getLanguages();

  void setLanguages(String value);

  @Description(
      "Comma-separated heuristic filters to apply after language identification and before the limit and the "
          + "models: gopher (Rae et al. 2021: quality and repetition), c4 (Raffel et al. 2020: lorem ipsum, curly "
          + "brackets, fewer than 3 sentences), fineweb (Penedo et al. 2024: punctuation, duplicated lines, short "
          + "lines). A filtered document is counted under 'filtered' and by rule under 'filters' in summary.json. "
          + "Empty applies none.")
  @Default.String("")
  String getFilters();

  void setFilters(String value);

  @Description(
      "Write each document's text-quality signals (35 columns: words, line and n-gram repetition, stop words, "
          + "punctuation, ...) to <output>/scores/signals/ as Parquet, for every document in an allowed language, "
          + "and draw four of them in the report.")
  @Default.Boolean(false)
  Boolean getSignals();

  void setSignals(Boolean value);

  @Description(
      "Identify every document's language (metadata field 'language', counted per language in summary.json and "
          + "the report) even without --languages. A 'language' already read with --metadataFields is kept.")
  @Default.Boolean(false)
  Boolean getLanguageId();

  void setLanguageId(Boolean value);
}
