package dev.dataselect.transforms.io;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.common.base.CharMatcher;
import com.google.common.collect.ImmutableList;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.DeadLetter.Reason;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
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
 * file#index}, detail, truncated payload) and {@link #RECORDS}, counts of records seen (several per
 * file: each is sent before the reader claims its next position, since nothing may be output after
 * a claim fails), so that records = documents + dead letters can be checked exactly. Blank lines in
 * line formats are separators, not records.
 *
 * <p>Large files are split across workers (a splittable DoFn; see {@link #withSplitBytes}): the
 * {@code index} of an uncompressed JSONL, text-lines or unquoted CSV/TSV record is its byte offset,
 * of a Parquet or Arrow row its row number in the file, of any other record its record number; so
 * sources, derived ids and dead-letter locations do not depend on how a file was split.
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

  /** Default size of the ranges large files are split into: 64 MiB. */
  public static final long DEFAULT_SPLIT_BYTES = 64L << 20;

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

  /**
   * The size of the byte ranges an uncompressed JSONL, text-lines or unquoted CSV/TSV file is first
   * split into, and the size runs of Parquet row groups or Arrow record batches are grouped up to
   * (at least one unit a range); a runner may split any range further. Default 64 MiB. Compressed
   * files, quoted CSV/TSV, whole-file text, TFRecord and WET are read whole. The split never changes
   * what is read: a record belongs to the range its first byte (or its unit) is in.
   */
  public ReadCorpus withSplitBytes(long splitBytes) {
    checkArgument(splitBytes >= 1 && splitBytes <= (1L << 40), "splitBytes must be in [1, 2^40], got %s", splitBytes);
    Settings s = settings.copy();
    s.splitBytes = splitBytes;
    return new ReadCorpus(s);
  }

  /**
   * Each document also carries its record without its text ({@link Document#original()}), so that
   * {@link WriteAsRead} can write the kept records back in their input format, every field as it
   * was. Off by default: the other fields then never travel with the document. Formats written
   * back: JSONL, CSV, TSV, Parquet, Arrow, text lines, WET and WARC (as JSON lines of their fields); see
   * {@link WriteAsRead#canWriteBack}.
   */
  public ReadCorpus withOriginalRecords() {
    Settings s = settings.copy();
    s.keepOriginals = true;
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
        .add(DisplayData.item("csvQuoting", settings.csvQuoting).withLabel("CSV quoting"))
        .add(DisplayData.item("splitBytes", settings.splitBytes).withLabel("Split bytes"))
        .add(DisplayData.item("originalRecords", settings.keepOriginals).withLabel("Keep original records"));
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
    private long splitBytes = DEFAULT_SPLIT_BYTES;
    private boolean keepOriginals;

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
      s.splitBytes = splitBytes;
      s.keepOriginals = keepOriginals;
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

    public long splitBytes() {
      return splitBytes;
    }

    /** The format a file of this name is read as: the one set, else its extension's; null for none. */
    @javax.annotation.Nullable
    CorpusFormat formatOf(String fileName) {
      return format != CorpusFormat.AUTO ? format : CorpusFormat.fromFileName(fileName).orElse(null);
    }

    /** Whether documents carry their original record (see {@link ReadCorpus#withOriginalRecords}). */
    public boolean keepOriginals() {
      return keepOriginals;
    }
  }

  private enum Mode {
    BYTES,
    UNITS,
    WHOLE
  }

  /**
   * Streams one file's records into documents and dead letters: a splittable DoFn whose restriction
   * is a byte range, a range of row groups or record batches, or {@code [0, 1)} for a file read
   * whole, so that a runner splits large files across workers (and can split a range further).
   */
  private static final class ReadFileFn extends DoFn<FileIO.ReadableFile, Document> {
    private static final int SNIFF_BYTES = 8192;
    private final Settings settings;
    private final Counter files = Metrics.counter(ReadCorpus.class, "files");
    /** Calls to process a range (the initial ranges, and the rest of a range after a runner's checkpoint). */
    private final Counter ranges = Metrics.counter(ReadCorpus.class, "ranges");
    /** Ranges the files were first split into. */
    private final Counter initialRanges = Metrics.counter(ReadCorpus.class, "initialRanges");
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

    private CorpusFormat format(FileIO.ReadableFile file) {
      return settings.formatOf(file.getMetadata().resourceId().getFilename());
    }

    /**
     * How a file is read: by byte ranges (uncompressed JSONL, text lines, unquoted CSV/TSV), by
     * units from its footer (uncompressed Parquet row groups, Arrow file-format record batches),
     * or whole (compressed files, quoted CSV/TSV, whole-file text, TFRecord, WET, empty files and
     * files of no known format). It depends on the file and the settings only, never on a range.
     */
    private Mode mode(FileIO.ReadableFile file) {
      CorpusFormat format = format(file);
      boolean uncompressed =
          file.getCompression() == Compression.UNCOMPRESSED
              || (file.getCompression() == Compression.AUTO
                  && Compression.detect(file.getMetadata().resourceId().getFilename()) == Compression.UNCOMPRESSED);
      if (format == null || !uncompressed || file.getMetadata().sizeBytes() == 0) {
        return Mode.WHOLE;
      }
      switch (format) {
        case JSONL:
        case TEXT_LINES:
          return Mode.BYTES;
        case CSV:
        case TSV:
          return settings.csvQuoting ? Mode.WHOLE : Mode.BYTES;
        case PARQUET:
        case ARROW:
          return Mode.UNITS;
        default:
          return Mode.WHOLE;
      }
    }

    /**
     * The byte sizes of the units (row groups, record batches) of a file read by units, or null
     * when it must be read whole (no footer, a footer that cannot be read, or no units).
     */
    @javax.annotation.Nullable
    private long[] unitSizes(FileIO.ReadableFile file) {
      try {
        long[] sizes = format(file) == CorpusFormat.PARQUET
            ? ParquetRecords.rowGroups(file).stream().mapToLong(b -> b.getCompressedSize()).toArray()
            : ArrowRecords.batchSizes(file);
        return sizes != null && sizes.length > 0 ? sizes : null;
      } catch (IOException | RuntimeException e) {
        return null; // the whole-file reader reports what is wrong with it
      }
    }

    @GetInitialRestriction
    public OffsetRange initialRestriction(@Element FileIO.ReadableFile file) {
      switch (mode(file)) {
        case BYTES:
          return new OffsetRange(0, file.getMetadata().sizeBytes());
        case UNITS:
          long[] sizes = unitSizes(file);
          return new OffsetRange(0, sizes == null ? 1 : sizes.length);
        default:
          return new OffsetRange(0, 1);
      }
    }

    /**
     * Byte ranges of {@code splitBytes} (the last may be shorter); runs of consecutive row groups or
     * record batches of about {@code splitBytes} (at least one each, so a 20-group shard gives 20
     * ranges with the default 64 MiB when its groups are larger); one range for a file read whole.
     * A runner may split any range further while it runs.
     */
    @SplitRestriction
    public void splitRestriction(
        @Element FileIO.ReadableFile file, @Restriction OffsetRange range, OutputReceiver<OffsetRange> out) {
      Mode mode = mode(file);
      long[] sizes = mode == Mode.UNITS ? unitSizes(file) : null;
      if (mode == Mode.BYTES) {
        for (long from = range.getFrom(); from < range.getTo(); from += settings.splitBytes) {
          emit(out, new OffsetRange(from, Math.min(range.getTo(), from + settings.splitBytes)));
        }
      } else if (sizes != null) {
        long from = range.getFrom();
        long bytes = 0;
        for (long unit = range.getFrom(); unit < range.getTo(); unit++) {
          bytes += sizes[(int) unit];
          if (bytes >= settings.splitBytes || unit == range.getTo() - 1) {
            emit(out, new OffsetRange(from, unit + 1));
            from = unit + 1;
            bytes = 0;
          }
        }
      } else {
        emit(out, range);
      }
    }

    private void emit(OutputReceiver<OffsetRange> out, OffsetRange range) {
      out.output(range);
      initialRanges.inc();
    }

    @GetRestrictionCoder
    public OffsetRange.Coder restrictionCoder() {
      return OffsetRange.Coder.of();
    }

    @ProcessElement
    public void process(
        @Element FileIO.ReadableFile file,
        RestrictionTracker<OffsetRange, Long> tracker,
        MultiOutputReceiver out) {
      ranges.inc();
      FileSink sink = new FileSink(file, out);
      OffsetRange range = tracker.currentRestriction();
      if (range.getFrom() == 0) {
        files.inc();
      }
      Mode mode = mode(file);
      long[] units = mode == Mode.UNITS ? unitSizes(file) : null;
      if (mode == Mode.BYTES) {
        readBytes(file, range, tracker, sink);
      } else if (units != null) {
        readUnits(file, units.length, tracker, sink);
      } else if (tracker.tryClaim(range.getFrom())) {
        readWhole(file, sink);
        sink.flush();
        tracker.tryClaim(Long.MAX_VALUE);
      }
    }

    /** Reads the records that start in the claimed byte range: from the first line start at or after its start. */
    private void readBytes(
        FileIO.ReadableFile file, OffsetRange range, RestrictionTracker<OffsetRange, Long> tracker, FileSink sink) {
      CorpusFormat format = format(file);
      if (looksBinary(file)) { // the same answer for every range; the range holding offset 0 reports it
        if (range.getFrom() == 0 && tracker.tryClaim(0L)) {
          sink.failure(Reason.BINARY_FILE, binaryDetail(format), "");
          sink.flush();
        }
        tracker.tryClaim(Long.MAX_VALUE);
        return;
      }
      char delimiter = format == CorpusFormat.TSV ? '\t' : ',';
      long offset = range.getFrom();
      boolean claimed = false;
      try (SeekableByteChannel channel = file.openSeekable()) {
        CsvRecords.Header header =
            format == CorpusFormat.CSV || format == CorpusFormat.TSV ? CsvRecords.header(channel, settings, delimiter) : null;
        long base = Math.max(0, range.getFrom() - 1);
        channel.position(base);
        LineReader lines = new LineReader(Channels.newInputStream(channel), settings.maxRecordBytes);
        if (range.getFrom() > 0) {
          lines.next(); // the end of a line that starts before this range: the range before reads it
        }
        while (true) {
          offset = base + lines.offset();
          sink.flush();
          if (!tracker.tryClaim(offset)) {
            return;
          }
          claimed = true;
          if (!lines.next()) {
            tracker.tryClaim(Long.MAX_VALUE);
            return;
          }
          sink.at(offset);
          if (header != null) {
            if (offset != header.offset) {
              CsvRecords.line(lines, header, delimiter, settings, sink);
            }
          } else if (format == CorpusFormat.JSONL) {
            JsonLinesRecords.line(lines, settings, sink);
          } else {
            TextRecords.line(lines, settings, sink);
          }
        }
      } catch (Exception e) { // IOException, or a parser's unchecked exception on corrupt input
        if (!claimed) { // a failure before the first record (opening, the header): reported once, by the first range
          offset = 0;
          if (range.getFrom() != 0 || !tracker.tryClaim(0L)) {
            tracker.tryClaim(Long.MAX_VALUE);
            return;
          }
        }
        sink.at(offset);
        sink.failure(
            Reason.CORRUPT_FILE,
            "stopped reading " + format.name().toLowerCase() + " at byte " + offset + ": "
                + e.getClass().getSimpleName() + ": " + JsonLinesRecords.firstLine(e.getMessage()),
            "");
        sink.flush();
        tracker.tryClaim(Long.MAX_VALUE);
      }
    }

    /** Reads each claimed row group or record batch, numbering rows as a read of the whole file does. */
    private void readUnits(FileIO.ReadableFile file, int units, RestrictionTracker<OffsetRange, Long> tracker, FileSink sink) {
      CorpusFormat format = format(file);
      List<org.apache.parquet.hadoop.metadata.BlockMetaData> groups = null;
      for (long unit = tracker.currentRestriction().getFrom(); flushAndClaim(sink, tracker, unit); unit++) {
        sink.at(0); // replaced by the unit's first row once the reader knows it
        try {
          if (format == CorpusFormat.PARQUET) {
            if (groups == null) {
              groups = ParquetRecords.rowGroups(file);
            }
            ParquetRecords.readRowGroup(file, groups, (int) unit, sink);
          } else {
            ArrowRecords.readBatch(file, (int) unit, sink);
          }
        } catch (Exception e) { // IOException, or a parser's unchecked exception on corrupt input
          sink.failure(
              Reason.CORRUPT_FILE,
              "cannot read " + (format == CorpusFormat.PARQUET ? "row group " : "record batch ") + unit + " of "
                  + units + ": " + e.getClass().getSimpleName() + ": " + JsonLinesRecords.firstLine(e.getMessage()),
              "");
        }
      }
    }

    /**
     * Claims a position after sending the count of the records read so far: no output may follow a
     * failed claim, and a runner's checkpoint makes a claim fail at any time.
     */
    private static boolean flushAndClaim(FileSink sink, RestrictionTracker<OffsetRange, Long> tracker, long position) {
      sink.flush();
      return tracker.tryClaim(position);
    }

    private static String binaryDetail(CorpusFormat format) {
      return "a " + format.name().toLowerCase() + " file with NUL bytes in its first " + SNIFF_BYTES
          + " bytes: binary content (or UTF-16), not UTF-8 text";
    }

    /** Reads a file from its start to its end, numbering its records 0, 1, 2, ... */
    private void readWhole(FileIO.ReadableFile file, FileSink sink) {
      CorpusFormat format = format(file);
      if (file.getMetadata().sizeBytes() == 0) {
        sink.failure(Reason.EMPTY_FILE, "the file has no bytes", "");
      } else if (format == null) {
        sink.failure(
            Reason.UNKNOWN_FORMAT,
            "no format is known for '" + sink.fileName + "'; pass a format (jsonl, parquet, csv, tsv, text_lines, text_file, arrow, tfrecord, wet, warc)",
            "");
      } else if (isText(format) && looksBinary(file)) {
        sink.failure(Reason.BINARY_FILE, binaryDetail(format), "");
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
        case WARC:
          return new WarcRecords();
        default:
          throw new IllegalArgumentException("no reader for " + format);
      }
    }

    /** Turns one file's records into outputs; {@code index} counts records seen so far. */
    private final class FileSink implements RecordSink {
      private final String path;
      private final String fileName;
      private final MultiOutputReceiver out;
      /** The index of the next record. */
      private long index;
      /** Records seen (documents and dead letters) since the last {@link #flush}. */
      private long count;

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
        count++;
      }

      /** Sends the count of records seen since the last flush to {@link #RECORDS}. */
      void flush() {
        if (count > 0) {
          out.get(RECORDS).output(count);
          count = 0;
        }
      }

      @Override
      public void at(long index) {
        this.index = index;
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
        String id = null; // derived (a hash of the whole text) only when the record has none of its own
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
        if (id == null) {
          id = Hashes.derivedId(fileName, index, text);
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
        Document doc = Document.of(id, text, path + "#" + index, metadata);
        if (settings.keepOriginals) {
          byte[] original = fields.withoutText(textField);
          if (original == null) {
            throw new IllegalStateException("the records of " + path + " cannot be written back in their format "
                + "(outputFormat=same writes JSONL, CSV, TSV, Parquet, Arrow, text lines, WET and WARC)");
          }
          doc = doc.withOriginal(original);
        }
        out.get(DOCUMENTS).output(doc);
        index++;
        count++;
      }
    }
  }
}
