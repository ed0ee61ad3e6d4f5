package dev.dataselect.transforms.io;

import java.io.IOException;
import java.io.InputStream;
import dev.dataselect.transforms.DeadLetter;
import java.util.Arrays;

/**
 * Reads {@code \n}-terminated lines as bytes (a trailing {@code \r} is dropped) with a bound on the
 * bytes kept: a longer line is consumed to its end but only its head is kept, so one huge record
 * never exhausts memory.
 */
final class LineReader {
  private final InputStream in;
  private final int maxBytes;
  // Small reads: a decompressor that fails mid-read loses what that read had inflated.
  private final byte[] buffer = new byte[8192];
  private int pos;
  private int limit;
  private byte[] line = new byte[1024];
  private int lineLength;
  private long totalLength;
  private boolean eof;
  /** Bytes of the stream consumed before {@code buffer[0]}. */
  private long bufferStart;

  LineReader(InputStream in, int maxBytes) {
    this.in = in;
    this.maxBytes = maxBytes;
  }

  /** Advances to the next line; false at the end of the stream. */
  boolean next() throws IOException {
    lineLength = 0;
    totalLength = 0;
    if (eof) {
      return false;
    }
    boolean any = false;
    while (true) {
      if (pos == limit) {
        bufferStart += limit;
        limit = in.read(buffer);
        pos = 0;
        if (limit <= 0) {
          limit = 0;
          eof = true;
          break;
        }
      }
      any = true;
      int start = pos;
      while (pos < limit && buffer[pos] != '\n') {
        pos++;
      }
      append(start, pos - start);
      if (pos < limit) {
        pos++; // the newline
        break;
      }
    }
    if (lineLength > 0 && totalLength == lineLength && line[lineLength - 1] == '\r') {
      lineLength--;
      totalLength--;
    }
    return any;
  }

  private void append(int start, int n) {
    totalLength += n;
    int room = maxBytes - lineLength;
    int take = Math.max(0, Math.min(room, n));
    if (take > 0) {
      if (lineLength + take > line.length) {
        line = Arrays.copyOf(line, Math.max(lineLength + take, Math.min(maxBytes, line.length * 2)));
      }
      System.arraycopy(buffer, start, line, lineLength, take);
      lineLength += take;
    }
  }

  /**
   * Bytes consumed from the stream so far: the offset, from where the stream started, of the line
   * that the next {@link #next()} reads (its newline included in what is consumed).
   */
  long offset() {
    return bufferStart + pos;
  }

  /** True when the current line is longer than the bound and only its head was kept. */
  boolean oversized() {
    return totalLength > maxBytes;
  }

  /** The full length of the current line in bytes, even when oversized. */
  long length() {
    return totalLength;
  }

  /** The kept bytes of the current line (all of it unless oversized). */
  byte[] bytes() {
    return Arrays.copyOf(line, lineLength);
  }

  /** True when the current line holds only spaces and tabs (or nothing). */
  boolean blank() {
    for (int i = 0; i < lineLength; i++) {
      byte b = line[i];
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return !oversized();
  }

  /** Reports the current line as a {@code record_too_large} dead letter when it is over the limit; true when it was. */
  boolean reportIfOversized(ReadCorpus.Settings settings, RecordSink sink) {
    if (!oversized()) {
      return false;
    }
    sink.failure(DeadLetter.Reason.RECORD_TOO_LARGE,
        "line of " + length() + " bytes exceeds maxRecordBytes=" + settings.maxRecordBytes(), Utf8.lenient(bytes()));
    return true;
  }

  /**
   * The current line as text: null after a {@code record_too_large} dead letter (over the limit)
   * or an {@code invalid_utf8} one (not strict UTF-8).
   */
  String textOrReport(ReadCorpus.Settings settings, RecordSink sink) {
    return reportIfOversized(settings, sink) ? null : strictOrReport(sink);
  }

  /** The current line decoded as strict UTF-8, or null after an {@code invalid_utf8} dead letter. */
  private String strictOrReport(RecordSink sink) {
    byte[] b = bytes();
    try {
      return Utf8.strict(b);
    } catch (java.nio.charset.CharacterCodingException e) {
      sink.failure(DeadLetter.Reason.INVALID_UTF8, "line is not valid UTF-8", Utf8.lenient(b));
      return null;
    }
  }
}
