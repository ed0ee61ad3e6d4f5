package dev.dataselect.transforms.io;

import dev.dataselect.transforms.DeadLetter.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.List;
import org.apache.beam.sdk.io.FileIO;

/** Plain text: a document per non-blank line, or the whole file as one document. */
final class TextRecords implements FormatReader {
  private final boolean wholeFile;

  TextRecords(boolean wholeFile) {
    this.wholeFile = wholeFile;
  }

  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink)
      throws IOException {
    try (InputStream in = Channels.newInputStream(file.open())) {
      if (wholeFile) {
        byte[] head = in.readNBytes(settings.maxRecordBytes());
        long rest = in.transferTo(java.io.OutputStream.nullOutputStream());
        if (rest > 0) {
          sink.failure(
              Reason.RECORD_TOO_LARGE,
              "file of " + (head.length + rest) + " bytes exceeds maxRecordBytes=" + settings.maxRecordBytes(),
              Utf8.lenient(head));
        } else {
          sink.record(textOnly(settings, head, false), () -> Utf8.lenient(head));
        }
        return;
      }
      LineReader lines = new LineReader(in, settings.maxRecordBytes());
      while (lines.next()) {
        line(lines, settings, sink);
      }
    }
  }

  /** One line of a text file: a document, a dead letter, or nothing (a blank line). */
  static void line(LineReader lines, ReadCorpus.Settings settings, RecordSink sink) {
    if (lines.blank()) {
      return;
    }
    if (!lines.reportIfOversized(settings, sink)) {
      byte[] bytes = lines.bytes();
      sink.record(textOnly(settings, bytes, true), () -> Utf8.lenient(bytes));
    }
  }

  /** The text under any of the text field names; a line is written back as a line, a whole file not at all. */
  private static Fields textOnly(ReadCorpus.Settings settings, byte[] bytes, boolean line) {
    List<String> textFields = settings.textFields();
    return new Fields() {
      @Override
      public Object get(String name) {
        return textFields.contains(name) ? bytes : null;
      }

      @Override
      public byte[] withoutText(String textField) {
        return line ? OriginalRecord.textLine() : null;
      }
    };
  }
}
