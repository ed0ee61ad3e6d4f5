package dev.dataselect.transforms.io;

import dev.dataselect.transforms.DeadLetter;
import java.util.function.Supplier;

/** Receives every record a {@link FormatReader} finds in one file, in order. */
interface RecordSink {
  /** A record whose fields could be read; it may still be rejected (no text, too large, ...). */
  void record(Fields fields, Supplier<String> payload);

  /** A record that could not be read at all. */
  void failure(DeadLetter.Reason reason, String detail, String payload);
}
