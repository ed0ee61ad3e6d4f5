package dev.dataselect.transforms;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.errorhandling.BadRecord;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import java.util.Locale;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;

/**
 * A record that could not become a {@link Document}: why ({@link Reason}), where ({@code source} =
 * file and record index), a human-readable detail, and the (truncated) raw payload.
 */
@DefaultCoder(DeadLetter.DeadLetterCoder.class)
public final class DeadLetter implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** Payloads are cut to this many characters; the detail says how long the original was. */
  public static final int MAX_PAYLOAD_CHARS = 2048;

  /** Why a record was rejected. Names are stable: they key counters and {@code summary.json}. */
  public enum Reason {
    /** The record is not valid JSON, or not a JSON object. */
    MALFORMED_JSON,
    /** A CSV/TSV row could not be parsed (unbalanced quotes, ...). */
    MALFORMED_CSV,
    /** A binary record (TFRecord, protobuf) could not be decoded. */
    MALFORMED_RECORD,
    /** The text field is absent or null. */
    MISSING_TEXT,
    /** The text field holds something other than a string. */
    TEXT_NOT_STRING,
    /** The text is empty or only whitespace. */
    EMPTY_TEXT,
    /** The bytes are not valid UTF-8. */
    INVALID_UTF8,
    /** The text contains NUL characters: binary content, not prose. */
    NUL_BYTES,
    /** The record is larger than the configured limit. */
    RECORD_TOO_LARGE,
    /** The id field holds something other than a string or an integer. */
    BAD_ID,
    /** Another record has the same id (the one from the smallest source is kept). */
    DUPLICATE_ID,
    /** The file ends mid-record, a checksum fails, or the compressed stream is corrupt. */
    CORRUPT_FILE,
    /** The file cannot be opened or decoded in its format at all. */
    UNREADABLE_FILE,
    /** The file has no bytes. */
    EMPTY_FILE,
    /** A text-format file (JSONL, CSV, TSV, text) holds NUL bytes near its start: binary content. */
    BINARY_FILE,
    /** The file's extension names no known format and no format was given. */
    UNKNOWN_FORMAT,
    /** A WARC response whose payload is not HTML (a PDF, an image, JSON, ...): no text to extract. */
    NOT_HTML,
    /** A WARC response with an HTTP status other than 2xx (a redirect, an error page). */
    HTTP_STATUS,
    /** A WARC record whose HTTP message or payload cannot be parsed or decoded (bad chunking, bad encoding). */
    MALFORMED_HTTP,
    /** A model failed on the document even alone, or gave no usable result for it. */
    INFERENCE_FAILED,
    /** A training record (student labels or teacher scores) has no label. */
    MISSING_LABEL,
    /** A training label is not a finite number, is out of range for the task, or its id repeats. */
    BAD_LABEL;

    /** The lower-case name used in counters, JSON and reports, e.g. {@code missing_text}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Reason reason;
  private final String source;
  private final String detail;
  private final String payload;

  private DeadLetter(Reason reason, String source, String detail, String payload) {
    this.reason = requireNonNull(reason, "reason");
    this.source = requireNonNull(source, "source");
    this.detail = requireNonNull(detail, "detail");
    this.payload = requireNonNull(payload, "payload");
  }

  public static DeadLetter of(Reason reason, String source, String detail, String payload) {
    String cut =
        payload.length() > MAX_PAYLOAD_CHARS ? payload.substring(0, MAX_PAYLOAD_CHARS) : payload;
    return new DeadLetter(reason, source, detail, cut);
  }

  public Reason reason() {
    return reason;
  }

  public String source() {
    return source;
  }

  public String detail() {
    return detail;
  }

  public String payload() {
    return payload;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DeadLetter)) {
      return false;
    }
    DeadLetter d = (DeadLetter) o;
    return reason == d.reason
        && source.equals(d.source)
        && detail.equals(d.detail)
        && payload.equals(d.payload);
  }

  @Override
  public int hashCode() {
    return reason.hashCode() * 31 + source.hashCode();
  }

  @Override
  public String toString() {
    return "DeadLetter{" + reason.label() + " at " + source + ": " + detail + "}";
  }

  /**
   * Sends {@code deadLetters}, as Beam {@link BadRecord}s, to {@code handler} when one is given (a
   * stage's {@code withBadRecordErrorHandler}): the record is {@code {"source", "payload"}} as JSON,
   * the failure's exception the reason's label and its description the detail.
   */
  public static void routeTo(@javax.annotation.Nullable ErrorHandler<BadRecord, ?> handler, PCollection<DeadLetter> deadLetters) {
    if (handler != null) {
      handler.addErrorCollection(deadLetters
          .apply("DeadLettersAsBadRecords", MapElements.into(TypeDescriptor.of(BadRecord.class)).via(DeadLetter::toBadRecord))
          .setCoder(BadRecord.getCoder(deadLetters.getPipeline())));
    }
  }

  /** This dead letter as a Beam {@link BadRecord}. */
  public BadRecord toBadRecord() {
    String json = JSON.createObjectNode().put("source", source).put("payload", payload).toString();
    return BadRecord.builder()
        .setRecord(BadRecord.Record.builder().setHumanReadableJsonRecord(json).build())
        .setFailure(BadRecord.Failure.builder().setException(reason.label()).setDescription(detail).build())
        .build();
  }

  /** A deterministic coder for dead letters. */
  public static final class DeadLetterCoder extends AtomicCoder<DeadLetter> {
    private static final DeadLetterCoder INSTANCE = new DeadLetterCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();

    /** Lets {@code @DefaultCoder} resolve this coder (Beam looks for this method). */
    public static org.apache.beam.sdk.coders.CoderProvider getCoderProvider() {
      return org.apache.beam.sdk.coders.CoderProviders.forCoder(
          org.apache.beam.sdk.values.TypeDescriptor.of(DeadLetter.class), of());
    }

    public static DeadLetterCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(DeadLetter d, OutputStream out) throws IOException {
      STRING.encode(d.reason.name(), out);
      STRING.encode(d.source, out);
      STRING.encode(d.detail, out);
      STRING.encode(d.payload, out);
    }

    @Override
    public DeadLetter decode(InputStream in) throws IOException {
      return new DeadLetter(
          Reason.valueOf(STRING.decode(in)), STRING.decode(in), STRING.decode(in), STRING.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
