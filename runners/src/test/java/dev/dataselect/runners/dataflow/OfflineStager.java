package dev.dataselect.runners.dataflow;

import com.google.api.services.dataflow.model.DataflowPackage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.runners.dataflow.util.PackageUtil;
import org.apache.beam.runners.dataflow.util.Stager;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * A {@link Stager} that uploads nothing ({@code --stagerClass}): it names where each file would
 * be, so the Dataflow runner can write a job specification without a network. What the runner
 * stages from memory (the Runner v2 pipeline proto, {@code pipeline.pb}) is written next to the
 * local {@code --templateLocation} file instead.
 */
public final class OfflineStager implements Stager {
  static final String LOCATION = "gs://offline-staging/";
  private final Path localDir;

  private OfflineStager(Path localDir) {
    this.localDir = localDir;
  }

  public static OfflineStager fromOptions(PipelineOptions options) {
    String template = options.as(DataflowPipelineOptions.class).getTemplateLocation();
    return new OfflineStager(template == null || template.startsWith("gs://") ? null : Path.of(template).getParent());
  }

  @Override
  public List<DataflowPackage> stageFiles(List<PackageUtil.StagedFile> files) {
    return files.stream().map(f -> stagedAs(f.getDestination())).toList();
  }

  @Override
  public DataflowPackage stageToFile(byte[] bytes, String name) {
    if (localDir != null) {
      try {
        Files.write(localDir.resolve(name), bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return stagedAs(name);
  }

  private static DataflowPackage stagedAs(String name) {
    return new DataflowPackage().setName(name).setLocation(LOCATION + name);
  }
}
