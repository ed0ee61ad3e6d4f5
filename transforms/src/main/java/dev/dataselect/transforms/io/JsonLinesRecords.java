package dev.dataselect.transforms.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.DeadLetter.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import org.apache.beam.sdk.io.FileIO;

/** JSON Lines: one object per line; blank lines separate nothing and are not records. */
final class JsonLinesRecords implements FormatReader {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink)
      throws IOException {
    try (InputStream in = Channels.newInputStream(file.open())) {
      LineReader lines = new LineReader(in, settings.maxRecordBytes());
      while (lines.next()) {
        line(lines, settings, sink);
      }
    }
  }

  /** One line of a JSONL file: a record, a dead letter, or nothing (a blank line). */
  static void line(LineReader lines, ReadCorpus.Settings settings, RecordSink sink) {
    if (lines.blank()) {
      return;
    }
    String line = lines.textOrReport(settings, sink);
    if (line == null) {
      return;
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      sink.failure(Reason.MALFORMED_JSON, firstLine(e.getOriginalMessage()), line);
      return;
    }
    if (node == null || !node.isObject()) {
      sink.failure(
          Reason.MALFORMED_JSON,
          "expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType()),
          line);
      return;
    }
    sink.record(
        new Fields() {
          @Override
          public Object get(String name) {
            return value(node.get(name));
          }

          @Override
          public byte[] withoutText(String textField) {
            return OriginalRecord.jsonLine(line, textField);
          }
        },
        () -> line);
  }

  private static Object value(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isIntegralNumber()) {
      return node.longValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    return node; // an array or object: the wrong type for text, kept whole for metadata
  }

  static String firstLine(String message) {
    if (message == null) {
      return "unparseable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
