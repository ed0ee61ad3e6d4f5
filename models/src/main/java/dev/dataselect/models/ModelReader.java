package dev.dataselect.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Reads the bytes behind a location URI. {@link #local()} understands local paths, {@code file:}
 * URIs and {@code classpath:} resources; callers with other schemes (the Beam layer reads {@code
 * gs://} through its file systems) supply their own reader and may delegate the rest to {@link
 * #local()}.
 */
@FunctionalInterface
public interface ModelReader extends Serializable {

  /** Returns the whole content at {@code uri}. */
  byte[] read(String uri) throws IOException;

  /** Local paths, {@code file:} URIs and {@code classpath:} resources. */
  static ModelReader local() {
    return ModelReader::readLocal;
  }

  /** True for a plain path or a {@code file:} URI, which ONNX Runtime can open itself. */
  static boolean isLocalFile(String uri) {
    if (uri.startsWith(ModelLocation.CLASSPATH_PREFIX)) {
      return false;
    }
    if (uri.startsWith("file:")) {
      return true;
    }
    int colon = uri.indexOf(':');
    int slash = uri.indexOf('/');
    // "gs://b/x", "s3://..." and "bytes:..." have a scheme; "/a/b.onnx" and "a/b.onnx" do not.
    return colon < 0 || (slash >= 0 && slash < colon);
  }

  /** The local path of a plain path or {@code file:} URI. */
  static Path localPath(String uri) {
    return uri.startsWith("file:") ? Paths.get(URI.create(uri)) : Paths.get(uri);
  }

  private static byte[] readLocal(String uri) throws IOException {
    if (uri.startsWith(ModelLocation.CLASSPATH_PREFIX)) {
      String resource = uri.substring(ModelLocation.CLASSPATH_PREFIX.length());
      while (resource.startsWith("/")) {
        resource = resource.substring(1);
      }
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      InputStream in = loader == null ? null : loader.getResourceAsStream(resource);
      if (in == null) {
        in = ModelReader.class.getClassLoader().getResourceAsStream(resource);
      }
      if (in == null) {
        throw new IOException("No classpath resource '" + resource + "' (from " + uri + ")");
      }
      try (InputStream stream = in) {
        return stream.readAllBytes();
      }
    }
    if (!isLocalFile(uri)) {
      throw new IOException(
          "Cannot read " + uri + " with the local reader: pass a ModelReader that handles its scheme");
    }
    return Files.readAllBytes(localPath(uri));
  }
}
