package dev.dataselect.pipelines;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * TEST ONLY: deterministic injected failures, to show that a retried bundle changes no output.
 * Off unless the JVM that builds the job has the system property {@value #PROPERTY} = {@code
 * <marker folder>,<fraction>}; it is not a job option and nothing sets it outside tests.
 *
 * <p>When on, the stage passes documents through unchanged, except that a document whose
 * hash(id) falls below the fraction fails its bundle the first time it is seen: the DoFn creates a
 * marker file named after the stage and the id in the marker folder (atomically; the folder is
 * outside the task, so a re-run attempt finds it) and throws. Every later attempt finds the marker
 * and passes. Which bundles fail is therefore a function of the ids alone. The marker folder must be
 * visible to every worker (a local folder with Flink local or the DirectRunner).
 */
final class InjectFaults {
  static final String PROPERTY = "dataselect.test.injectFaults";

  private InjectFaults() {}

  static PCollection<Document> maybe(PCollection<Document> docs, String stage) {
    String spec = System.getProperty(PROPERTY, "");
    if (spec.isEmpty()) {
      return docs;
    }
    int comma = spec.lastIndexOf(',');
    if (comma < 0) {
      throw new IllegalArgumentException("-D" + PROPERTY + " must be <marker folder>,<fraction>, got '" + spec + "'");
    }
    String folder = spec.substring(0, comma);
    double fraction = Double.parseDouble(spec.substring(comma + 1));
    return docs.apply("InjectFaults" + stage, ParDo.of(new FailFirstAttemptFn(folder, fraction, stage)))
        .setCoder(docs.getCoder());
  }

  /** Thrown on a first attempt; the message names the stage and the document. */
  static final class InjectedFault extends RuntimeException {
    InjectedFault(String message) {
      super(message);
    }
  }

  private static final class FailFirstAttemptFn extends DoFn<Document, Document> {
    private static final long SALT = 0x1F83D9ABFB41BD6BL;
    private final String folder;
    private final double fraction;
    private final String stage;

    FailFirstAttemptFn(String folder, double fraction, String stage) {
      this.folder = folder;
      this.fraction = fraction;
      this.stage = stage;
    }

    @ProcessElement
    public void process(@Element Document d, OutputReceiver<Document> out) {
      if (Hashes.unit(d.id(), SALT) < fraction) {
        Path marker = Path.of(folder, stage + "-" + Hashes.derivedId("fault", 0, d.id()));
        try {
          Files.createDirectories(marker.getParent());
          Files.createFile(marker);
          throw new InjectedFault("injected fault (test only) in stage " + stage + " at document " + d.id() + "; marker " + marker);
        } catch (FileAlreadyExistsException e) {
          // an earlier attempt failed here already: pass
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      out.output(d);
    }
  }
}
