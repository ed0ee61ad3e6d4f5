package dev.dataselect.transforms.io;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.base.CharMatcher;
import com.google.common.collect.ImmutableList;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.DeadLetter.Reason;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import java.io.Serializable;
import java.nio.charset.CharacterCodingException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads a corpus into {@link Document}s, with a dead letter for every record that cannot become one.
 *
 * <p>Files are matched with Beam's {@link FileIO} (local paths, {@code gs://}, anything {@code
 * FileSystems} reads), decompressed by extension ({@code .gz}, {@code .zst}, ...) and parsed by
 * format: JSONL (Jackson), Parquet (parquet-avro), CSV/TSV (Commons CSV), plain text, Arrow IPC,
 * TFRecord of {@code tf.train.Example}. Each file is streamed record by record, so memory does not
 * depend on file size; a record larger than {@link #withMaxRecordBytes} is rejected, not buffered.
 *
 * <p>The result holds three outputs: {@link #DOCUMENTS}, {@link #DEAD_LETTERS} (reason, {@code
 * file#index}, detail, truncated payload) and {@link #RECORDS}, one count of records seen per file,
 * so that records = documents + dead letters can be checked exactly. Blank lines in line formats are
 * separators, not records.
 *
 * <pre>{@code
 * PCollectionTuple read = p.apply(ReadCorpus.from("gs://bucket/c4/*.json.gz").withTextField("text"));
 * PCollection<Document> docs = read.get(ReadCorpus.DOCUMENTS);
 * }</pre>
 *
 * <p>For files a pipeline already has (its own matching, a watch for new files), {@link #files()}
 * makes a reader without patterns and {@link #readFiles()} applies it to a {@code
 * PCollection<FileIO.ReadableFile>}, with the same settings, outputs and dead letters:
 *
 * <pre>{@code
 * PCollectionTuple read = readableFiles.apply(ReadCorpus.files().withTextField("raw_content").readFiles());
 * }</pre>
 */
public final class ReadCorpus extends PTransform<PBegin, PCollectionTuple> {
  public static final TupleTag<Document> DOCUMENTS = new TupleTag<>("documents") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};
  public static final TupleTag<Long> RECORDS = new TupleTag<>("records") {};

  /** Default bound on one record: 4 MiB, well above the largest real web documents. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 4 << 20;

  private final Settings settings;

  private ReadCorpus(Settings settings) {
    this.settings = settings;
  }

  /** Reads every file matching any of the patterns (globs allowed). */
  public static ReadCorpus from(List<String> filePatterns) {
    checkArgument(!filePatterns.isEmpty(), "filePatterns must name at least one file or glob");
    for (String p : filePatterns) {
      checkArgument(p != null && !p.isBlank(), "filePatterns must not hold a blank pattern, got %s", filePatterns);
    }
    return new ReadCorpus(new Settings(ImmutableList.copyOf(filePatterns)));
  }

  public static ReadCorpus from(String... filePatterns) {
    return from(ImmutableList.copyOf(filePatterns));
  }

  /** A reader without file patterns, for {@link #readFiles()}; applied to a pipeline itself, it fails. */
  public static ReadCorpus files() {
    return new ReadCorpus(new Settings(ImmutableList.of()));
  }

  /** This reader's settings applied to files the pipeline already has (its patterns, if any, are not used). */
  public ReadFiles readFiles() {
    return new ReadFiles(settings);
  }

  /** The format of every file; {@link CorpusFormat#AUTO} (the default) detects it per file. */
  public ReadCorpus withFormat(CorpusFormat format) {
    Settings s = settings.copy();
    s.format = requireNonNull(format, "format");
    return new ReadCorpus(s);
  }

  /** The field holding the text (C4: {@code text}, CCNet: {@code raw_content}). Default {@code text}. */
  public ReadCorpus withTextField(String textField) {
    return withTextFields(ImmutableList.of(textField == null ? "" : textField));
  }

  /**
   * Candidate text fields, tried in order: the first one a record has (non-null) is its text. For
   * corpora whose files use different names, e.g. {@code [text, raw_content, contents]}.
   */
  public ReadCorpus withTextFields(List<String> textFields) {
    checkArgument(!textFields.isEmpty(), "textFields must name at least one field, got %s", textFields);
    for (String f : textFields) {
      checkArgument(f != null && !f.isBlank(), "textField must be a non-blank field name, got '%s'", f);
    }
    Settings s = settings.copy();
    s.textFields = ImmutableList.copyOf(textFields);
    return new ReadCorpus(s);
  }

  /**
   * The field holding a document id (string or integer). Records without it get an id derived from
   * file name, record index and text. Default {@code id}; an empty name always derives ids.
   */
  public ReadCorpus withIdField(String idField) {
    Settings s = settings.copy();
    s.idField = requireNonNull(idField, "idField");
    return new ReadCorpus(s);
  }

  /** Fields copied, as strings, into {@link Document#metadata()} when present. Default none. */
  public ReadCorpus withMetadataFields(List<String> metadataFields) {
    for (String f : metadataFields) {
      checkArgument(f != null && !f.isBlank(), "metadataFields must not hold blank names, got %s", metadataFields);
    }
    Settings s = settings.copy();
    s.metadataFields = ImmutableList.copyOf(metadataFields);
    return new ReadCorpus(s);
  }

  /** Records above this many bytes become {@code record_too_large} dead letters. */
  public ReadCorpus withMaxRecordBytes(int maxRecordBytes) {
    checkArgument(
        maxRecordBytes >= 1024 && maxRecordBytes <= (1 << 30),
        "maxRecordBytes must be in [1024, 2^30], got %s",
        maxRecordBytes);
    Settings s = settings.copy();
    s.maxRecordBytes = maxRecordBytes;
    return new ReadCorpus(s);
  }

  /** Column names for CSV/TSV files that have no header row. Default: the first row is the header. */
  public ReadCorpus withCsvHeader(List<String> names) {
    checkArgument(
        names.stream().distinct().count() == names.size(), "csvHeader must not repeat a name, got %s", names);
    Settings s = settings.copy();
    s.csvHeader = ImmutableList.copyOf(names);
    return new ReadCorpus(s);
  }

  /**
   * Also routes every dead letter, as a Beam {@link BadRecord}, to {@code handler} (as Beam's own
   * IOs do with {@code withBadRecordErrorHandler}); {@link #DEAD_LETTERS} still holds them.
   */
  public ReadCorpus withBadRecordErrorHandler(ErrorHandler<BadRecord, ?> handler) {
    Settings s = settings.copy();
    s.errorHandler = requireNonNull(handler, "handler");
    return new ReadCorpus(s);
  }

  /** Whether {@code "} quotes CSV/TSV fields (default true); off for files where quotes are text. */
  public ReadCorpus withCsvQuoting(boolean csvQuoting) {
    Settings s = settings.copy();
    s.csvQuoting = csvQuoting;
    return new ReadCorpus(s);
  }

  public Settings settings() {
    return settings;
  }

  @Override
  public PCollectionTuple expand(PBegin input) {
    checkArgument(!settings.filePatterns.isEmpty(),
        "ReadCorpus.files() has no file patterns: apply its readFiles() to a PCollection<FileIO.ReadableFile>, or use ReadCorpus.from(patterns)");
    PCollection<FileIO.ReadableFile> files =
        input
            .apply("FilePatterns", Create.of(settings.filePatterns))
            .apply("Match", FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
            .apply("Open", FileIO.readMatches().withCompression(Compression.AUTO));
    return parse(files, settings);
  }

  private static PCollectionTuple parse(PCollection<FileIO.ReadableFile> files, Settings settings) {
    PCollectionTuple out =
        files.apply(
            "Parse",
            ParDo.of(new ReadFileFn(settings))
                .withOutputTags(DOCUMENTS, TupleTagList.of(DEAD_LETTERS).and(RECORDS)));
    out.get(DOCUMENTS).setCoder(Document.DocumentCoder.of());
    out.get(DEAD_LETTERS).setCoder(DeadLetter.DeadLetterCoder.of());
    DeadLetter.routeTo(settings.errorHandler, out.get(DEAD_LETTERS));
    return out;
  }

  /**
   * {@link ReadCorpus} over a {@code PCollection<FileIO.ReadableFile>} (from {@link #readFiles()}):
   * the same parsing, the same three outputs.
   */
  public static final class ReadFiles extends PTransform<PCollection<FileIO.ReadableFile>, PCollectionTuple> {
    private final Settings settings;

    private ReadFiles(Settings settings) {
      this.settings = settings;
    }

    @Override
    public PCollectionTuple expand(PCollection<FileIO.ReadableFile> files) {
      return parse(files, settings);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      builder.add(DisplayData.item("format", settings.format.name()).withLabel("Format"))
          .add(DisplayData.item("textField", String.join(",", settings.textFields)).withLabel("Text field(s)"));
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("filePatterns", String.join(",", settings.filePatterns)).withLabel("File patterns"))
        .add(DisplayData.item("format", settings.format.name()).withLabel("Format"))
        .add(DisplayData.item("textField", String.join(",", settings.textFields)).withLabel("Text field(s)"))
        .add(DisplayData.item("idField", settings.idField).withLabel("Id field"))
        .add(DisplayData.item("metadataFields", String.join(",", settings.metadataFields)).withLabel("Metadata fields"))
        .add(DisplayData.item("maxRecordBytes", settings.maxRecordBytes).withLabel("Max record bytes"))
        .add(DisplayData.item("csvHeader", String.join(",", settings.csvHeader)).withLabel("CSV header"))
        .add(DisplayData.item("csvQuoting", settings.csvQuoting).withLabel("CSV quoting"));
  }

  /** The immutable reading settings; readers see them through the accessors. */
  public static final class Settings implements Serializable {
    private static final long serialVersionUID = 1L;
    private final List<String> filePatterns;
    /** Where dead letters also go as Beam {@link BadRecord}s; a graph object, never serialised into the reader. */
    @javax.annotation.Nullable private transient ErrorHandler<BadRecord, ?> errorHandler;
    private CorpusFormat format = CorpusFormat.AUTO;
    private List<String> textFields = ImmutableList.of("text");
    private String idField = "id";
    private List<String> metadataFields = ImmutableList.of();
    private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;
    private List<String> csvHeader = ImmutableList.of();
    private boolean csvQuoting = true;

    private Settings(List<String> filePatterns) {
      this.filePatterns = filePatterns;
    }

    private Settings copy() {
      Settings s = new Settings(filePatterns);
      s.format = format;
      s.textFields = textFields;
      s.idField = idField;
      s.metadataFields = metadataFields;
      s.maxRecordBytes = maxRecordBytes;
      s.csvHeader = csvHeader;
      s.csvQuoting = csvQuoting;
      s.errorHandler = errorHandler;
      return s;
    }

    public List<String> filePatterns() {
      return filePatterns;
    }

    public CorpusFormat format() {
      return format;
    }

    /** The candidate text fields, in order. */
    public List<String> textFields() {
      return textFields;
    }

    public String idField() {
      return idField;
    }

    public List<String> metadataFields() {
      return metadataFields;
    }

    public int maxRecordBytes() {
      return maxRecordBytes;
    }

    public List<String> csvHeader() {
      return csvHeader;
    }

    public boolean csvQuoting() {
      return csvQuoting;
    }
  }

  /** Streams one file's records into documents and dead letters. */
  private static final class ReadFileFn extends DoFn<FileIO.ReadableFile, Document> {
    private static final int SNIFF_BYTES = 8192;
    private final Settings settings;
    private final Counter files = Metrics.counter(ReadCorpus.class, "files");
    private final Counter records = Metrics.counter(ReadCorpus.class, "records");
    private final Counter documents = Metrics.counter(ReadCorpus.class, "documents");
    private final Counter deadLetters = Metrics.counter(ReadCorpus.class, "deadLetters");
    private transient Map<Reason, Counter> byReason;

    ReadFileFn(Settings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      byReason = new EnumMap<>(Reason.class);
      for (Reason r : Reason.values()) {
        byReason.put(r, Metrics.counter(ReadCorpus.class, "deadLetters." + r.label()));
      }
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) {
      files.inc();
      FileSink sink = new FileSink(file, out);
      CorpusFormat format =
          settings.format != CorpusFormat.AUTO
              ? settings.format
              : CorpusFormat.fromFileName(sink.fileName).orElse(null);
      if (file.getMetadata().sizeBytes() == 0) {
        sink.failure(Reason.EMPTY_FILE, "the file has no bytes", "");
      } else if (format == null) {
        sink.failure(
            Reason.UNKNOWN_FORMAT,
            "no format is known for '" + sink.fileName + "'; pass a format (jsonl, parquet, csv, tsv, text_lines, text_file, arrow, tfrecord)",
            "");
      } else if (isText(format) && looksBinary(file)) {
        sink.failure(
            Reason.BINARY_FILE,
            "a " + format.name().toLowerCase() + " file with NUL bytes in its first " + SNIFF_BYTES
                + " bytes: binary content (or UTF-16), not UTF-8 text",
            "");
      } else {
        try {
          reader(format).read(file, settings, sink);
        } catch (Exception e) { // IOException, or a parser's unchecked exception on corrupt input
          boolean nothingRead = sink.index == 0;
          sink.failure(
              nothingRead ? Reason.UNREADABLE_FILE : Reason.CORRUPT_FILE,
              (nothingRead ? "cannot read as " : "stopped reading as ")
                  + format.name().toLowerCase()
                  + ": "
                  + e.getClass().getSimpleName()
                  + ": "
                  + JsonLinesRecords.firstLine(e.getMessage()),
              "");
        }
      }
      out.get(RECORDS).output(sink.index);
    }

    private static boolean isText(CorpusFormat format) {
      return format == CorpusFormat.JSONL || format == CorpusFormat.CSV || format == CorpusFormat.TSV
          || format == CorpusFormat.TEXT_LINES || format == CorpusFormat.TEXT_FILE;
    }

    /**
     * UTF-8 text never holds a NUL byte (a NUL in text is written as an escape in JSON); a binary
     * file under a text extension almost always does, early. Checking the head of the (decompressed)
     * file turns such a file into one dead letter instead of one garbage record per "line". A file
     * that cannot be opened here is left to the reader, which reports it.
     */
    private static boolean looksBinary(FileIO.ReadableFile file) {
      try (java.io.InputStream in = java.nio.channels.Channels.newInputStream(file.open())) {
        byte[] head = in.readNBytes(SNIFF_BYTES);
        for (byte b : head) {
          if (b == 0) {
            return true;
          }
        }
        return false;
      } catch (java.io.IOException | RuntimeException e) {
        return false;
      }
    }

    private static FormatReader reader(CorpusFormat format) {
      switch (format) {
        case JSONL:
          return new JsonLinesRecords();
        case PARQUET:
          return new ParquetRecords();
        case CSV:
          return new CsvRecords(',');
        case TSV:
          return new CsvRecords('\t');
        case TEXT_LINES:
          return new TextRecords(false);
        case TEXT_FILE:
          return new TextRecords(true);
        case ARROW:
          return new ArrowRecords();
        case TFRECORD:
          return new TfRecordRecords();
        case WET:
          return new WetRecords();
        default:
          throw new IllegalArgumentException("no reader for " + format);
      }
    }

    /** Turns one file's records into outputs; {@code index} counts records seen so far. */
    private final class FileSink implements RecordSink {
      private final String path;
      private final String fileName;
      private final MultiOutputReceiver out;
      private long index;

      FileSink(FileIO.ReadableFile file, MultiOutputReceiver out) {
        this.path = file.getMetadata().resourceId().toString();
        this.fileName = file.getMetadata().resourceId().getFilename();
        this.out = out;
      }

      @Override
      public void failure(Reason reason, String detail, String payload) {
        records.inc();
        deadLetters.inc();
        byReason.get(reason).inc();
        out.get(DEAD_LETTERS).output(DeadLetter.of(reason, path + "#" + index, detail, payload));
        index++;
      }

      @Override
      public void record(Fields fields, Supplier<String> payload) {
        Object t = null;
        String textField = null;
        for (String candidate : settings.textFields) {
          t = fields.get(candidate);
          if (t != null) {
            textField = candidate;
            break;
          }
        }
        if (t == null) {
          failure(Reason.MISSING_TEXT, "no field " + String.join(" or ", settings.textFields), payload.get());
          return;
        }
        String text;
        if (t instanceof byte[]) {
          try {
            text = Utf8.strict((byte[]) t);
          } catch (CharacterCodingException e) {
            failure(Reason.INVALID_UTF8, "field '" + textField + "' is not valid UTF-8", payload.get());
            return;
          }
        } else if (t instanceof CharSequence) {
          text = t.toString();
        } else {
          failure(
              Reason.TEXT_NOT_STRING,
              "field '" + textField + "' holds a " + t.getClass().getSimpleName() + ", not a string",
              payload.get());
          return;
        }
        long bytes;
        try {
          bytes = com.google.common.base.Utf8.encodedLength(text);
        } catch (IllegalArgumentException e) {
          failure(Reason.INVALID_UTF8, "text holds an unpaired surrogate", payload.get());
          return;
        }
        if (bytes > settings.maxRecordBytes) {
          failure(
              Reason.RECORD_TOO_LARGE,
              "text of " + bytes + " bytes exceeds maxRecordBytes=" + settings.maxRecordBytes,
              payload.get());
          return;
        }
        if (text.indexOf('\0') >= 0) {
          failure(Reason.NUL_BYTES, "text contains NUL characters", payload.get());
          return;
        }
        if (CharMatcher.whitespace().matchesAllOf(text)) {
          failure(Reason.EMPTY_TEXT, text.isEmpty() ? "text is empty" : "text is only whitespace", payload.get());
          return;
        }
        String id = Hashes.derivedId(fileName, index, text);
        if (!settings.idField.isEmpty()) {
          Object v = fields.get(settings.idField);
          if (v instanceof CharSequence && !CharMatcher.whitespace().matchesAllOf((CharSequence) v)) {
            id = v.toString();
          } else if (v instanceof Long || v instanceof Integer) {
            id = v.toString();
          } else if (v != null) {
            failure(
                Reason.BAD_ID,
                "field '" + settings.idField + "' holds a " + v.getClass().getSimpleName() + ", not a string or integer",
                payload.get());
            return;
          }
        }
        Map<String, String> metadata = new TreeMap<>();
        for (String f : settings.metadataFields) {
          Object v = fields.get(f);
          if (v != null) {
            metadata.put(f, v instanceof byte[] ? Utf8.lenient((byte[]) v) : v.toString());
          }
        }
        records.inc();
        documents.inc();
        out.get(DOCUMENTS).output(Document.of(id, text, path + "#" + index, metadata));
        index++;
      }
    }
  }
}
