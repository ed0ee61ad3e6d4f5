package dev.dataselect.transforms;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * One corpus document: a stable {@code id}, its {@code text}, where it came from ({@code source} =
 * file and record index) and optional string metadata (kept sorted, so encoding is deterministic).
 *
 * <p>A document read for writing back in its input format ({@code ReadCorpus.withOriginalRecords()})
 * also carries its {@link #original() original record without its text}: the other fields, in the
 * reader's encoding, so the text is never held twice.
 */
@DefaultCoder(Document.DocumentCoder.class)
public final class Document implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final String text;
  private final String source;
  private final SortedMap<String, String> metadata;
  @Nullable private final byte[] original;

  private Document(String id, String text, String source, SortedMap<String, String> metadata, @Nullable byte[] original) {
    this.id = requireNonNull(id, "id");
    this.text = requireNonNull(text, "text");
    this.source = requireNonNull(source, "source");
    this.metadata = Collections.unmodifiableSortedMap(metadata);
    this.original = original;
  }

  public static Document of(String id, String text, String source) {
    return new Document(id, text, source, new TreeMap<>(), null);
  }

  public static Document of(String id, String text, String source, Map<String, String> metadata) {
    return new Document(id, text, source, new TreeMap<>(metadata), null);
  }

  /** This document with other metadata (its original record, if any, kept). */
  public Document withMetadata(Map<String, String> metadata) {
    return new Document(id, text, source, new TreeMap<>(metadata), original);
  }

  /** This document carrying its original record without its text (see {@code io.OriginalRecord}). */
  public Document withOriginal(byte[] original) {
    return new Document(id, text, source, new TreeMap<>(metadata), requireNonNull(original, "original"));
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

  /**
   * The record this document was read from, without its text, encoded by its reader; null unless
   * the read kept originals. The caller must not modify it.
   */
  @Nullable
  public byte[] original() {
    return original;
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
        && metadata.equals(d.metadata)
        && Arrays.equals(original, d.original);
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

  /**
   * A deterministic coder: three UTF-8 strings, a sorted string map, and the original record (a
   * byte array, or a single 0 byte when there is none).
   */
  public static final class DocumentCoder extends AtomicCoder<Document> {
    private static final DocumentCoder INSTANCE = new DocumentCoder();
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final ByteArrayCoder BYTES = ByteArrayCoder.of();

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
      out.write(d.original == null ? 0 : 1);
      if (d.original != null) {
        BYTES.encode(d.original, out);
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
      int hasOriginal = in.read();
      if (hasOriginal < 0) {
        throw new org.apache.beam.sdk.coders.CoderException("a document ends before its original-record flag");
      }
      return new Document(id, text, source, metadata, hasOriginal == 0 ? null : BYTES.decode(in));
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }
}
