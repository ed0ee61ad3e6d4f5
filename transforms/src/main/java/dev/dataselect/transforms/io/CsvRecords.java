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
    CSVFormat.Builder format =
        CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true);
    format = settings.csvQuoting() ? format.setQuote('"') : format.setQuote(null);
    List<String> header = settings.csvHeader();
    if (header.isEmpty()) {
      format.setHeader().setSkipHeaderRecord(true);
    } else {
      format.setHeader(header.toArray(new String[0])).setSkipHeaderRecord(false);
    }
    Reader reader =
        new InputStreamReader(
            Channels.newInputStream(file.open()),
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
    try (CSVParser parser = format.get().parse(reader)) {
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
            name -> row.isSet(name) ? row.get(name) : null,
            () -> String.join(String.valueOf(delimiter), row.values()));
      }
    }
  }
}
