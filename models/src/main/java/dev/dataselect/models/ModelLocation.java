package dev.dataselect.models;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Where a model file or a {@code tokenizer.json} comes from: a URI (a local path, {@code file:},
 * {@code classpath:}, or any scheme a {@link ModelReader} understands, such as {@code gs://}), or
 * bytes the caller already holds. Immutable; two byte locations are equal when their names and
 * SHA-256 digests are.
 */
public final class ModelLocation implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Prefix of classpath resources, e.g. {@code classpath:all-minilm-l6-v2.onnx}. */
  public static final String CLASSPATH_PREFIX = "classpath:";

  private static final String BYTES_PREFIX = "bytes:";

  private final String uri;
  private final byte[] bytes;
  private final String sha256;

  private ModelLocation(String uri, byte[] bytes, String sha256) {
    this.uri = uri;
    this.bytes = bytes;
    this.sha256 = sha256;
  }

  /** A URI or a local path. */
  public static ModelLocation of(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("location uri must be non-empty, got: " + uri);
    }
    if (uri.startsWith(BYTES_PREFIX)) {
      throw new IllegalArgumentException(
          "location uri '" + uri + "' uses the reserved scheme bytes:, use ofBytes(name, bytes)");
    }
    return new ModelLocation(uri, null, null);
  }

  /** A local file. */
  public static ModelLocation ofPath(Path path) {
    return of(path.toAbsolutePath().normalize().toString());
  }

  /** A resource on the classpath, e.g. {@code all-minilm-l6-v2.onnx}. */
  public static ModelLocation ofClasspath(String resource) {
    return of(CLASSPATH_PREFIX + resource);
  }

  /** Bytes the caller read itself; {@code name} is a label (e.g. the original URI). */
  public static ModelLocation ofBytes(String name, byte[] bytes) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name must be non-empty, got: " + name);
    }
    if (bytes == null || bytes.length == 0) {
      throw new IllegalArgumentException("bytes for '" + name + "' must be non-empty");
    }
    byte[] copy = bytes.clone();
    return new ModelLocation(BYTES_PREFIX + name, copy, sha256(copy));
  }

  /** The URI ({@code bytes:<name>} for bytes). */
  public String uri() {
    return uri;
  }

  /** True when the caller supplied the bytes. */
  public boolean isBytes() {
    return bytes != null;
  }

  /** True for a plain local path or {@code file:} URI that ONNX Runtime can open by path. */
  public boolean isLocalFile() {
    return bytes == null && ModelReader.isLocalFile(uri);
  }

  /** The content: the supplied bytes, or what {@code reader} reads at the URI. */
  public byte[] read(ModelReader reader) throws IOException {
    if (bytes != null) {
      return bytes.clone();
    }
    return reader.read(uri);
  }

  /** The supplied bytes without a copy (callers must not modify them), or null. */
  byte[] bytesOrNull() {
    return bytes;
  }

  /** The last path segment, for labels. */
  public String fileName() {
    String s = uri.startsWith(BYTES_PREFIX) ? uri.substring(BYTES_PREFIX.length()) : uri;
    int cut = Math.max(s.lastIndexOf('/'), s.lastIndexOf(':'));
    return s.substring(cut + 1);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ModelLocation)) {
      return false;
    }
    ModelLocation other = (ModelLocation) o;
    return uri.equals(other.uri) && Objects.equals(sha256, other.sha256);
  }

  @Override
  public int hashCode() {
    return Objects.hash(uri, sha256);
  }

  @Override
  public String toString() {
    return sha256 == null ? uri : uri + "#sha256=" + sha256.substring(0, 12);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
