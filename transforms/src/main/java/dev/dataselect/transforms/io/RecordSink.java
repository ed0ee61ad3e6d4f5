package dev.dataselect.transforms.io;

import dev.dataselect.transforms.DeadLetter;
import java.util.function.Supplier;

/**
 * Receives every record a reader finds in one file (or one range of it), in order. Each record or
 * failure takes the current record index and advances it by one, so a reader that reads a file from
 * its start gets record numbers; a reader of a range sets the index of each record with {@link
 * #at} (its byte offset, or its row number from the row group's first row) so that it does not
 * depend on where the file was split.
 */
interface RecordSink {
  /** A record whose fields could be read; it may still be rejected (no text, too large, ...). */
  void record(Fields fields, Supplier<String> payload);

  /** A record that could not be read at all. */
  void failure(DeadLetter.Reason reason, String detail, String payload);

  /** Sets the index of the next record or failure. */
  void at(long index);
}
