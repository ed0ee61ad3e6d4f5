package dev.dataselect.transforms.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import java.io.UncheckedIOException;

/**
 * One-line JSON forms of documents ({@code {"id", "text", "source", "metadata"}}, which {@link
 * ReadCorpus} reads back) and of dead letters ({@code {"reason", "source", "detail", "payload"}}).
 */
public final class DocumentJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private DocumentJson() {}

  public static String of(Document d) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("id", d.id());
    node.put("text", d.text());
    node.put("source", d.source());
    if (!d.metadata().isEmpty()) {
      ObjectNode meta = node.putObject("metadata");
      d.metadata().forEach(meta::put);
    }
    return write(node);
  }

  public static String of(DeadLetter d) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("reason", d.reason().label());
    node.put("source", d.source());
    node.put("detail", d.detail());
    node.put("payload", d.payload());
    return write(node);
  }

  private static String write(ObjectNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
