package dev.dataselect.transforms.io;

import dev.dataselect.transforms.DeadLetter.Reason;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.io.FileIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * CSV and TSV through Apache Commons CSV: a header row names the fields (or the caller gives the
 * names for a headerless file); quoted fields may span lines; quoting can be turned off for files
 * such as Europarl's lines where quotes are plain characters.
 */
final class CsvRecords implements FormatReader {
  private final char delimiter;

  CsvRecords(char delimiter) {
    this.delimiter = delimiter;
  }

  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink)
      throws IOException {
    List<String> header = settings.csvHeader();
    Reader reader =
        new InputStreamReader(
            Channels.newInputStream(file.open()),
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
    try (CSVParser parser = readFormat(settings, delimiter).parse(reader)) {
      List<String> names = header.isEmpty() ? parser.getHeaderNames() : header;
      Iterator<CSVRecord> records = parser.iterator();
      while (true) {
        CSVRecord record;
        try {
          if (!records.hasNext()) {
            break;
          }
          record = records.next();
        } catch (UncheckedIOException e) {
          Throwable cause = e.getCause();
          if (cause instanceof CharacterCodingException) {
            sink.failure(
                Reason.INVALID_UTF8,
                "file is not valid UTF-8 after record " + parser.getRecordNumber() + "; the rest is unreadable",
                "");
          } else {
            sink.failure(Reason.MALFORMED_CSV, JsonLinesRecords.firstLine(String.valueOf(cause.getMessage())), "");
          }
          return;
        }
        CSVRecord row = record;
        if (!row.isConsistent()) {
          sink.failure(
              Reason.MALFORMED_CSV,
              "row has " + row.size() + " fields, the header has " + parser.getHeaderNames().size(),
              String.join(String.valueOf(delimiter), row.values()));
          continue;
        }
        sink.record(
            fields(row.toList(), names, delimiter == '\t'),
            () -> String.join(String.valueOf(delimiter), row.values()));
      }
    }
  }

  /**
   * How a whole CSV/TSV file is read: quoted or not as the settings say, empty lines passed over,
   * the names from the header row or the caller's (then the first row is a record).
   */
  private static CSVFormat readFormat(ReadCorpus.Settings settings, char delimiter) {
    CSVFormat.Builder format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true);
    format = settings.csvQuoting() ? format.setQuote('"') : format.setQuote(null);
    List<String> header = settings.csvHeader();
    if (header.isEmpty()) {
      format.setHeader().setSkipHeaderRecord(true);
    } else {
      format.setHeader(header.toArray(new String[0])).setSkipHeaderRecord(false);
    }
    return format.get();
  }

  /**
   * The header names of a CSV or TSV file (decompressed by its name's suffix), read as the whole-file
   * reader reads them; empty when the caller named the columns (the file then has no header row).
   */
  static List<String> headerNames(String path, ReadCorpus.Settings settings, char delimiter) throws IOException {
    if (!settings.csvHeader().isEmpty()) {
      return List.of();
    }
    org.apache.beam.sdk.io.fs.ResourceId id = org.apache.beam.sdk.io.FileSystems.matchSingleFileSpec(path).resourceId();
    org.apache.beam.sdk.io.Compression compression = org.apache.beam.sdk.io.Compression.detect(id.getFilename());
    try (CSVParser parser = readFormat(settings, delimiter).parse(new InputStreamReader(
        Channels.newInputStream(compression.readDecompressed(org.apache.beam.sdk.io.FileSystems.open(id))), StandardCharsets.UTF_8))) {
      return parser.getHeaderNames();
    }
  }

  /**
   * The column names for reading an unquoted file line by line: the caller's, or the fields of the
   * file's first non-empty line (its header), with that line's byte offset so the range holding it
   * can pass over it (-1 when the caller named the columns).
   */
  static Header header(java.nio.channels.SeekableByteChannel channel, ReadCorpus.Settings settings, char delimiter)
      throws IOException {
    if (!settings.csvHeader().isEmpty()) {
      return new Header(settings.csvHeader(), -1);
    }
    channel.position(0);
    LineReader lines = new LineReader(Channels.newInputStream(channel), settings.maxRecordBytes());
    while (true) {
      long offset = lines.offset();
      if (!lines.next()) {
        return new Header(List.of(), -1); // no header, hence no rows
      }
      if (lines.length() == 0) {
        continue;
      }
      if (lines.oversized()) {
        throw new IOException("the header line is longer than maxRecordBytes=" + settings.maxRecordBytes());
      }
      return new Header(fields(Utf8.strict(lines.bytes()), delimiter), offset);
    }
  }

  /** The column names and the offset of the header line. */
  static final class Header {
    final List<String> names;
    final long offset;

    Header(List<String> names, long offset) {
      this.names = names;
      this.offset = offset;
    }
  }

  /**
   * One line of an unquoted CSV/TSV file, as Commons CSV reads it without quoting: a row, a dead
   * letter, or nothing (an empty line).
   */
  static void line(LineReader lines, Header header, char delimiter, ReadCorpus.Settings settings, RecordSink sink) {
    if (lines.length() == 0) {
      return;
    }
    String line = lines.textOrReport(settings, sink);
    if (line == null) {
      return;
    }
    List<String> values;
    try {
      values = fields(line, delimiter);
    } catch (IOException | UncheckedIOException e) {
      sink.failure(Reason.MALFORMED_CSV, JsonLinesRecords.firstLine(e.getMessage()), line);
      return;
    }
    String payload = String.join(String.valueOf(delimiter), values);
    if (values.size() != header.names.size()) {
      sink.failure(
          Reason.MALFORMED_CSV, "row has " + values.size() + " fields, the header has " + header.names.size(), payload);
      return;
    }
    sink.record(fields(values, header.names, delimiter == '\t'), () -> payload);
  }

  /** A row's fields by the header's names (the first column of a name, as Commons CSV's lookup gives). */
  private static Fields fields(List<String> values, List<String> names, boolean tsv) {
    return new Fields() {
      @Override
      public Object get(String name) {
        int i = names.indexOf(name);
        return i < 0 || i >= values.size() ? null : values.get(i);
      }

      @Override
      public byte[] withoutText(String textField) {
        return OriginalRecord.csvRow(tsv, names, values, names.indexOf(textField));
      }
    };
  }

  /** The fields of one line without quoting (Commons CSV's parse, so spaces and {@code \r} are treated alike). */
  private static List<String> fields(String line, char delimiter) throws IOException {
    CSVFormat format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setQuote(null).setIgnoreEmptyLines(true).get();
    try (CSVParser parser = format.parse(new java.io.StringReader(line))) {
      List<CSVRecord> rows = parser.getRecords();
      return rows.isEmpty() ? List.of() : rows.get(0).toList();
    }
  }
}
