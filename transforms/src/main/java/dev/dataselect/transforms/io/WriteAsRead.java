package dev.dataselect.transforms.io;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import dev.dataselect.transforms.Document;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes documents back as they were read: each in its input format with every original field
 * (from {@link Document#original()}, so the read must use {@link ReadCorpus#withOriginalRecords()})
 * and its text back in its field.
 *
 * <ul>
 *   <li>JSON Lines: each object as it was (its other fields keep their spelling and order);
 *   <li>CSV / TSV: the header, then the rows (quoted as read: minimal quoting, or none when the read had
 *       none); a file whose header the caller gave is written without one, as it was;
 *   <li>Parquet: the rows under the input file's schema (Snappy-compressed);
 *   <li>Arrow IPC: the rows copied from their input file (file or stream format, its schema and
 *       dictionaries), a batch per input batch with kept rows; one output file per input file;
 *   <li>text lines: the lines;
 *   <li>WET and WARC: JSON lines of the record's fields: the text, {@code id}, {@code url}, {@code date},
 *       the WARC headers (and, for WARC, {@code http_status}, {@code content_type}, {@code title}).
 * </ul>
 *
 * <p>Sharding: by default like the input, one file per input file that has kept records, named by
 * its path under the folder all input patterns share ({@code a/b/x.jsonl} as {@code a-b-x.jsonl};
 * just its name when it lies in that folder), compressed as its suffix says (a WET or WARC file's
 * name ends in {@code .jsonl} instead). {@link #withShards}{@code (n)} writes n files per layout
 * instead ({@code part-SSSSS-of-NNNNN}, text formats gzip-compressed; records with another CSV
 * header or Parquet schema go to files of their own, named by the layout's fingerprint). A file
 * that would hold no record is not kept (nothing selected: no file; a shard that got no record:
 * a gap in the numbers). Outputs the names of the files written.
 *
 * <pre>{@code
 * ReadCorpus read = ReadCorpus.from("gs://bucket/shards/*.parquet").withOriginalRecords();
 * ... selected.apply(WriteAsRead.to("gs://bucket/selected/", read.settings()));
 * }</pre>
 */
public final class WriteAsRead extends PTransform<PCollection<Document>, PCollection<String>> {
  private final String folder;
  private final ReadCorpus.Settings settings;
  private final int shards;
  /** The folder all input patterns lie under; output names are input paths relative to it. */
  private final String root;

  private WriteAsRead(String folder, ReadCorpus.Settings settings, int shards) {
    this.folder = folder;
    this.settings = settings;
    this.shards = shards;
    this.root = commonRoot(settings.filePatterns());
  }

  /** Into {@code folder} (local or {@code gs://}), for documents read with {@code settings}. */
  public static WriteAsRead to(String folder, ReadCorpus.Settings settings) {
    requireNonNull(folder, "folder");
    checkArgument(!folder.isBlank(), "folder must not be blank");
    checkArgument(settings.keepOriginals(),
        "WriteAsRead writes the records a ReadCorpus read withOriginalRecords(); this read does not keep them");
    return new WriteAsRead(folder.endsWith("/") ? folder : folder + "/", settings, 0);
  }

  /** {@code shards} files per layout instead of one per input file (0: like the input). */
  public WriteAsRead withShards(int shards) {
    checkArgument(shards >= 0, "shards must be >= 0, got %s", shards);
    return new WriteAsRead(folder, settings, shards);
  }

  /**
   * Fails, naming both, when two of the input files (as matched) would be written under one name
   * (like-input sharding only: n shards have names of their own).
   */
  public void checkDistinctNames(List<String> files) {
    if (shards > 0) {
      return;
    }
    java.util.Map<String, String> seen = new java.util.HashMap<>();
    for (String f : files) {
      String name = outputName(f, root, settings);
      String other = seen.putIfAbsent(name, f);
      checkArgument(other == null || other.equals(f),
          "the inputs %s and %s would both be written as %s: pass --outputShards=N, or inputs with distinct paths", other, f, name);
    }
  }

  /** Whether records of this format can be written back as they were read. */
  public static boolean canWriteBack(CorpusFormat format) {
    switch (format) {
      case JSONL:
      case CSV:
      case TSV:
      case PARQUET:
      case TEXT_LINES:
      case WET:
      case WARC:
      case ARROW:
        return true;
      default:
        return false; // TFRecord, whole text files
    }
  }

  @Override
  public PCollection<String> expand(PCollection<Document> docs) {
    boolean likeInput = shards == 0;
    String under = root;
    ReadCorpus.Settings s = settings;
    return docs.apply("WriteRecords",
            FileIO.<String, Document>writeDynamic()
                .by(d -> likeInput ? inputPath(d) : layoutKey(original(d)))
                .withDestinationCoder(StringUtf8Coder.of())
                .withEmptyGlobalWindowDestination(NO_RECORDS)
                .via(Contextful.fn(dest -> new RecordSink(dest, likeInput, s)))
                .to(folder)
                .withNaming(dest -> NO_RECORDS.equals(dest) ? new InputNaming(NO_RECORDS_FILE)
                    : likeInput ? new InputNaming(outputName(dest, under, s)) : shardNaming(dest))
                .withNumShards(likeInput ? 1 : shards))
        .getPerDestinationOutputFilenames()
        .apply("DropEmptyFiles", ParDo.of(new DropEmptyFiles()));
  }

  /** The destination of a write that got no records (WriteFiles still makes a file for it). */
  private static final String NO_RECORDS = "";

  private static final String NO_RECORDS_FILE = "no-records";

  /**
   * Passes on the names of the files written and deletes those that hold no record: the file
   * WriteFiles makes when nothing was selected, and the shards of {@code n} that got no record
   * (a zero-byte file is not valid gzip or Parquet for other tools).
   */
  private static final class DropEmptyFiles extends DoFn<KV<String, String>, String> {
    @ProcessElement
    public void process(@Element KV<String, String> written, OutputReceiver<String> out) throws IOException {
      String file = written.getValue();
      org.apache.beam.sdk.io.fs.MatchResult.Metadata m = FileSystems.matchSingleFileSpec(file);
      if (!NO_RECORDS.equals(written.getKey()) && m.sizeBytes() > 0) {
        out.output(file);
        return;
      }
      FileSystems.delete(List.of(m.resourceId()), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }

  private static byte[] original(Document d) {
    byte[] original = d.original();
    if (original == null) {
      throw new IllegalArgumentException("document " + d.id() + " (" + d.source()
          + ") has no original record: read it with ReadCorpus.withOriginalRecords()");
    }
    return original;
  }

  /** The file a document was read from: its source without the record index. */
  static String inputPath(Document d) {
    String source = d.source();
    int hash = source.lastIndexOf('#');
    return hash < 0 ? source : source.substring(0, hash);
  }

  /** Files of one layout go together: {@code KIND:layout}. */
  private static String layoutKey(byte[] original) {
    return OriginalRecord.kind(original).name() + ":" + Long.toHexString(OriginalRecord.layout(original));
  }

  /**
   * The deepest folder every pattern lies under, up to its first glob character, as the file system
   * spells it (local paths absolute, so that it prefixes the documents' sources), ending in '/'.
   */
  static String commonRoot(List<String> patterns) {
    String common = null;
    for (String p : patterns) {
      int glob = p.length();
      for (char c : new char[] {'*', '?', '[', '{'}) {
        int i = p.indexOf(c);
        if (i >= 0) {
          glob = Math.min(glob, i);
        }
      }
      int slash = p.lastIndexOf('/', glob - 1);
      String dir = slash < 0 ? "." : p.substring(0, slash + 1);
      String resolved;
      try {
        resolved = FileSystems.matchNewResource(dir, true).toString();
      } catch (IllegalArgumentException e) {
        resolved = dir; // a scheme not registered yet (gs:// before the pipeline's options): as written
      }
      resolved = resolved.endsWith("/") ? resolved : resolved + "/";
      if (common == null) {
        common = resolved;
      } else {
        int n = 0;
        while (n < Math.min(common.length(), resolved.length()) && common.charAt(n) == resolved.charAt(n)) {
          n++;
        }
        common = common.substring(0, common.lastIndexOf('/', n - 1) + 1);
      }
    }
    return common == null ? "" : common;
  }

  /**
   * The output file name for an input file: its path under {@code root} with '/' as '-' (its own
   * name when it lies right in the root), a WET/WARC file's ending in {@code .jsonl}, a ZIP's in
   * {@code .gz} (Beam writes no ZIP).
   */
  static String outputName(String inputPath, String root, ReadCorpus.Settings settings) {
    int slash = inputPath.lastIndexOf('/');
    String name = inputPath.substring(slash + 1);
    String folders = !root.isEmpty() && inputPath.startsWith(root) ? inputPath.substring(root.length(), slash + 1) : "";
    if (Compression.detect(name) == Compression.ZIP) {
      name = name.substring(0, name.lastIndexOf('.')) + ".gz";
    }
    CorpusFormat format = settings.formatOf(name);
    if (format == CorpusFormat.WET || format == CorpusFormat.WARC) {
      Compression c = Compression.detect(name);
      String base = c == Compression.UNCOMPRESSED ? name : name.substring(0, name.lastIndexOf('.'));
      String lower = base.toLowerCase(Locale.ROOT);
      for (String ext : new String[] {".warc.wet", ".wet", ".warc"}) {
        if (lower.endsWith(ext)) {
          base = base.substring(0, base.length() - ext.length());
          break;
        }
      }
      name = base + ".jsonl" + (c == Compression.UNCOMPRESSED ? "" : name.substring(name.lastIndexOf('.')));
    }
    return folders.replace('/', '-') + name;
  }

  private static FileIO.Write.FileNaming shardNaming(String layoutKey) {
    int colon = layoutKey.indexOf(':');
    OriginalRecord.Kind kind = OriginalRecord.Kind.valueOf(layoutKey.substring(0, colon));
    String layout = layoutKey.substring(colon + 1);
    String prefix = "0".equals(layout) ? "part" : "part-" + layout;
    return FileIO.Write.defaultNaming(prefix, kind.extension() + (kind == OriginalRecord.Kind.PARQUET ? "" : ".gz"));
  }

  /** One file, named after its input file. */
  private static final class InputNaming implements FileIO.Write.FileNaming {
    private final String name;

    InputNaming(String name) {
      this.name = name;
    }

    @Override
    public String getFilename(
        org.apache.beam.sdk.transforms.windowing.BoundedWindow window,
        org.apache.beam.sdk.transforms.windowing.PaneInfo pane,
        int numShards,
        int shardIndex,
        Compression compression) {
      return name;
    }
  }

  /**
   * Writes one destination's records. What the file needs from its input (the CSV header, the
   * Parquet schema) is read from the input file named by the first record's source, once.
   */
  private static final class RecordSink implements FileIO.Sink<Document> {
    private final String destination;
    private final boolean likeInput;
    private final ReadCorpus.Settings settings;
    @Nullable private transient WritableByteChannel channel;
    @Nullable private transient Writer text;
    @Nullable private transient CSVPrinter csv;
    @Nullable private transient FileIO.Sink<GenericRecord> parquet;
    @Nullable private transient Schema schema;
    /** Arrow: the kept rows' numbers per input file, copied from the files at {@link #flush}. */
    @Nullable private transient java.util.TreeMap<String, com.google.common.primitives.ImmutableLongArray.Builder> arrowRows;

    RecordSink(String destination, boolean likeInput, ReadCorpus.Settings settings) {
      this.destination = destination;
      this.likeInput = likeInput;
      this.settings = settings;
    }

    @Override
    public void open(WritableByteChannel channel) throws IOException {
      this.channel = channel;
      text = null;
      csv = null;
      parquet = null;
      arrowRows = null;
    }

    @Override
    public void write(Document d) throws IOException {
      byte[] original = original(d);
      OriginalRecord.Kind kind = OriginalRecord.kind(original);
      switch (kind) {
        case JSON:
          textWriter(d).write(OriginalRecord.jsonLineWith(original, d.text()));
          text.write('\n');
          break;
        case TEXT:
          textWriter(d).write(d.text());
          text.write('\n');
          break;
        case CSV:
        case TSV:
          csvPrinter(d, kind == OriginalRecord.Kind.TSV ? '\t' : ',').printRecord(OriginalRecord.csvRowWith(original, d.text()));
          break;
        case PARQUET:
          if (parquet == null) {
            schema = ParquetRecords.avroSchema(inputPath(d));
            parquet = ParquetIO.sink(schema);
            parquet.open(channel);
          }
          parquet.write(OriginalRecord.parquetRowWith(original, schema, d.text()));
          break;
        case ARROW:
          if (arrowRows == null) {
            arrowRows = new java.util.TreeMap<>();
          }
          String source = d.source();
          arrowRows.computeIfAbsent(inputPath(d), f -> com.google.common.primitives.ImmutableLongArray.builder())
              .add(Long.parseLong(source.substring(source.lastIndexOf('#') + 1)));
          break;
        default:
          throw new IllegalStateException("no writer for " + kind);
      }
    }

    /** Compressed like the input file (like-input sharding) or gzip (n shards). */
    private Writer textWriter(Document d) {
      if (text == null) {
        text = new OutputStreamWriter(output(Compression.GZIP), StandardCharsets.UTF_8);
      }
      return text;
    }

    /**
     * The file's bytes, compressed like the input (like-input sharding) or with {@code sharded};
     * closing it finishes the compressed stream, while the channel itself stays FileIO's to close.
     */
    private java.io.OutputStream output(Compression sharded) {
      Compression c = likeInput ? Compression.detect(destination.substring(destination.lastIndexOf('/') + 1)) : sharded;
      c = c == Compression.ZIP ? Compression.GZIP : c; // named .gz by outputName
      java.io.OutputStream unclosed = new java.io.FilterOutputStream(Channels.newOutputStream(channel)) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          flush();
        }
      };
      try {
        return new java.io.BufferedOutputStream(Channels.newOutputStream(c.writeCompressed(Channels.newChannel(unclosed))), 1 << 16);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Copies the kept rows of each input file, in file and row order, into this file. */
    private void writeArrow() throws IOException {
      try (java.io.OutputStream out = output(Compression.UNCOMPRESSED)) {
        if (arrowRows.size() > 1) {
          throw new IllegalStateException("Arrow records are written back one output file per input file: "
              + "leave the shards (--outputShards) at 0 for Arrow inputs");
        }
        for (Map.Entry<String, com.google.common.primitives.ImmutableLongArray.Builder> e : arrowRows.entrySet()) {
          long[] rows = e.getValue().build().toArray();
          java.util.Arrays.sort(rows);
          org.apache.beam.sdk.io.fs.ResourceId input = FileSystems.matchSingleFileSpec(e.getKey()).resourceId();
          try (java.nio.channels.ReadableByteChannel in =
              Compression.detect(input.getFilename()).readDecompressed(FileSystems.open(input))) {
            ArrowRecords.copyRows(in, rows, out);
          }
        }
      }
    }

    private CSVPrinter csvPrinter(Document d, char delimiter) throws IOException {
      if (csv == null) {
        List<String> header = CsvRecords.headerNames(inputPath(d), settings, delimiter);
        CSVFormat.Builder format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setRecordSeparator('\n');
        format = settings.csvQuoting() ? format.setQuote('"') : format.setQuote(null);
        csv = new CSVPrinter(textWriter(d), format.get());
        if (!header.isEmpty()) {
          csv.printRecord(header);
        }
      }
      return csv;
    }

    @Override
    public void flush() throws IOException {
      if (arrowRows != null) {
        writeArrow();
      } else if (parquet != null) {
        parquet.flush();
      } else if (csv != null) {
        csv.close(); // finishes a compressed stream's trailer (the channel stays open: see textWriter)
      } else if (text != null) {
        text.close();
      }
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("folder", folder).withLabel("Output folder"))
        .add(DisplayData.item("shards", shards == 0 ? "like the input" : String.valueOf(shards)).withLabel("Shards"));
  }
}
