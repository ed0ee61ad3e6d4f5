package dev.dataselect.runners.dataflow;

import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.dataflow.model.Job;
import com.google.api.services.dataflow.model.Step;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.dataflow.util.Structs;

/** Offline Dataflow job specifications for tests: the options that make one, and reading it back. */
final class DataflowJobs {
  /** Stand-ins for the variables runners/dataflow/gpu-job.args uses. */
  static final Map<String, String> VARIABLES = Map.of(
      "PROJECT", "dataselect-test",
      "REGION", "us-central1",
      "SERVICE_ACCOUNT", "dataselect-worker@dataselect-test.iam.gserviceaccount.com",
      "STAGING_BUCKET", "dataselect-test-staging",
      "IMAGE", "us-central1-docker.pkg.dev/dataselect-test/dataselect/worker-gpu:0.1.0",
      "MAX_WORKERS", "8");

  private DataflowJobs() {}

  /** The lines of runners/dataflow/gpu-job.args with the stand-in variables filled in. */
  static List<String> gpuJobArgs() {
    Path file = Path.of(System.getProperty("dataselect.runnersDir", ".")).resolve("dataflow/gpu-job.args");
    List<String> args = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank() && !line.startsWith("#")) {
          args.add(substitute(line.strip()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return args;
  }

  private static String substitute(String line) {
    Matcher m = Pattern.compile("\\$\\{([A-Z_]+)}").matcher(line);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = VARIABLES.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException("gpu-job.args uses ${" + m.group(1) + "}, which the test does not define");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    return m.appendTail(out).toString();
  }

  /** What the Dataflow runner needs to write a job specification to a local file and call no API. */
  static List<String> offline(Path templateFile) {
    return List.of(
        "--templateLocation=" + templateFile,
        "--stagerClass=" + OfflineStager.class.getName(),
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--pathValidatorClass=org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator",
        "--gcpTempLocation=gs://" + VARIABLES.get("STAGING_BUCKET") + "/temp");
  }

  static Job read(Path templateFile) throws IOException {
    return GsonFactory.getDefaultInstance().fromString(Files.readString(templateFile), Job.class);
  }

  /** The Runner v2 pipeline the runner staged beside the job specification. */
  static RunnerApi.Pipeline pipeline(Path templateFile) throws IOException {
    return RunnerApi.Pipeline.parseFrom(Files.readAllBytes(templateFile.resolveSibling("pipeline.pb")));
  }

  /** Every transform's full name ("ReadCorpus", "ReadCorpus/Match", ...), as the Dataflow UI shows them. */
  static List<String> transformNames(RunnerApi.Pipeline pipeline) {
    List<String> names = new ArrayList<>();
    for (RunnerApi.PTransform t : pipeline.getComponents().getTransformsMap().values()) {
      names.add(t.getUniqueName());
    }
    Collections.sort(names);
    return names;
  }

  /** The container images of the pipeline's Docker environments. */
  static List<String> containerImages(RunnerApi.Pipeline pipeline) throws IOException {
    List<String> images = new ArrayList<>();
    for (RunnerApi.Environment e : pipeline.getComponents().getEnvironmentsMap().values()) {
      if (e.getUrn().equals("beam:env:docker:v1")) {
        images.add(RunnerApi.DockerPayload.parseFrom(e.getPayload()).getContainerImage());
      }
    }
    return images;
  }

  /** The v1 steps' user names (jobs that do not run on Runner v2 carry their steps in the job). */
  static List<String> stepNames(Job job) {
    List<String> names = new ArrayList<>();
    for (Step step : job.getSteps() == null ? List.<Step>of() : job.getSteps()) {
      names.add(Structs.getString(step.getProperties(), "user_name"));
    }
    return names;
  }
}
