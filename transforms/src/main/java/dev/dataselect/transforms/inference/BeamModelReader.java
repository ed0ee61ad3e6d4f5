package dev.dataselect.transforms.inference;

import dev.dataselect.models.ModelFolders;
import dev.dataselect.models.ModelLocation;
import dev.dataselect.models.ModelReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * Reads model files and {@code tokenizer.json}s through Beam's {@link FileSystems}: {@code gs://}
 * and every other scheme registered with the pipeline (local paths too), plus {@code classpath:}
 * resources. Model files that are local paths never reach a reader: ONNX Runtime opens them by
 * path, so external-data files next to them are found.
 *
 * <p>A remote model is read whole into memory (ONNX Runtime takes it as bytes), so it must be below
 * 2 GiB; bigger models (external data) must be copied to local disk first.
 */
public final class BeamModelReader implements ModelReader {
  private static final long serialVersionUID = 1L;
  private static final BeamModelReader INSTANCE = new BeamModelReader();

  /** Largest file read into one byte array. */
  static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private BeamModelReader() {}

  public static BeamModelReader of() {
    return INSTANCE;
  }

  @Override
  public byte[] read(String uri) throws IOException {
    if (uri.startsWith(ModelLocation.CLASSPATH_PREFIX)) {
      return ModelReader.local().read(uri);
    }
    MatchResult.Metadata file;
    try {
      file = FileSystems.matchSingleFileSpec(uri);
    } catch (FileNotFoundException e) {
      throw new FileNotFoundException("No model file at " + uri + " (" + e.getMessage() + ")");
    } catch (IllegalArgumentException e) {
      // FileSystems names an unregistered scheme this way.
      throw new IOException(
          "Cannot read "
              + uri
              + ": "
              + e.getMessage()
              + ". For gs:// put beam-sdks-java-extensions-google-cloud-platform-core on the"
              + " classpath; for other schemes, their Beam file system.",
          e);
    }
    if (file.sizeBytes() > MAX_BYTES) {
      throw new IOException(
          uri
              + " holds "
              + file.sizeBytes()
              + " bytes, more than a model read into memory may (2 GiB): copy it and its external"
              + " data to a local path and point the model config there");
    }
    try (ReadableByteChannel channel = FileSystems.open(file.resourceId());
        InputStream in = Channels.newInputStream(channel)) {
      return in.readAllBytes();
    }
  }

  /**
   * Lists model folders through Beam's file systems ({@code gs://} and local paths alike), for
   * {@link ModelFolders}: {@code ModelFolders.askLlm("gs://bucket/flan-t5/", 512, BeamModelReader.folders())}.
   */
  public static ModelFolders.Lister folders() {
    return folder -> {
      MatchResult r = FileSystems.match(folder + "*", EmptyMatchTreatment.ALLOW);
      Set<String> names = new TreeSet<>();
      for (MatchResult.Metadata m : r.metadata()) {
        names.add(m.resourceId().getFilename());
      }
      return names;
    };
  }

  private Object readResolve() {
    return INSTANCE;
  }

  @Override
  public String toString() {
    return "BeamModelReader";
  }
}
