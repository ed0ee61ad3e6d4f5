package dev.dataselect.transforms;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * One corpus document: a stable {@code id}, its {@code text}, where it came from ({@code source} =
 * file and record index) and optional string metadata (kept sorted, so encoding is deterministic).
 */
@DefaultCoder(Document.DocumentCoder.class)
public final class Document implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final String text;
  private final String source;
  private final SortedMap<String, String> metadata;

  private Document(String id, String text, String source, SortedMap<String, String> metadata) {
    this.id = requireNonNull(id, "id");
    this.text = requireNonNull(text, "text");
    this.source = requireNonNull(source, "source");
    this.metadata = Collections.unmodifiableSortedMap(metadata);
  }

  public static Document of(String id, String text, String source) {
    return new Document(id, text, source, new TreeMap<>());
  }

  public static Document of(String id, String text, String source, Map<String, String> metadata) {
    return new Document(id, text, source, new TreeMap<>(metadata));
  }

  public String id() {
    return id;
  }

  public String text() {
    return text;
  }

  /** The file and record index this document was read from, as {@code path#index}. */
  public String source() {
    return source;
  }

  public SortedMap<String, String> metadata() {
    return metadata;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Document)) {
      return false;
    }
    Document d = (Document) o;
    return id.equals(d.id)
        && text.equals(d.text)
        && source.equals(d.source)
        && metadata.equals(d.metadata);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + text.hashCode();
  }

  @Override
  public String toString() {
    String snippet = text.length() > 60 ? text.substring(0, 60) + "..." : text;
    return "Document{id=" + id + ", source=" + source + ", text=" + snippet + "}";
  }

  /** A deterministic coder: four UTF-8 strings and a sorted string map. */
  public static final class DocumentCoder extends AtomicCoder<Document> {
    private static final DocumentCoder INSTANCE = new DocumentCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    /** Lets {@code @DefaultCoder} resolve this coder (Beam looks for this method). */
    public static org.apache.beam.sdk.coders.CoderProvider getCoderProvider() {
      return org.apache.beam.sdk.coders.CoderProviders.forCoder(
          org.apache.beam.sdk.values.TypeDescriptor.of(Document.class), of());
    }

    public static DocumentCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Document d, OutputStream out) throws IOException {
      STRING.encode(d.id, out);
      STRING.encode(d.text, out);
      STRING.encode(d.source, out);
      INT.encode(d.metadata.size(), out);
      for (Map.Entry<String, String> e : d.metadata.entrySet()) {
        STRING.encode(e.getKey(), out);
        STRING.encode(e.getValue(), out);
      }
    }

    @Override
    public Document decode(InputStream in) throws IOException {
      String id = STRING.decode(in);
      String text = STRING.decode(in);
      String source = STRING.decode(in);
      int n = INT.decode(in);
      SortedMap<String, String> metadata = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        metadata.put(STRING.decode(in), STRING.decode(in));
      }
      return new Document(id, text, source, metadata);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
