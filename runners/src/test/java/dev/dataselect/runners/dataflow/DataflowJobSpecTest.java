package dev.dataselect.runners.dataflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.services.dataflow.model.Environment;
import com.google.api.services.dataflow.model.Job;
import com.google.api.services.dataflow.model.WorkerPool;
import dev.dataselect.pipelines.options.DataselectOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.runners.dataflow.util.DataflowTemplateJob;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds the main job with the documented GPU options (runners/dataflow/gpu-job.args) and has the
 * Dataflow runner translate it into a job specification, offline: nothing is submitted.
 */
class DataflowJobSpecTest {
  @TempDir Path dir;

  private DataselectOptions options(String... jobArgs) throws IOException {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, "{\"id\": \"a\", \"text\": \"one document\"}\n");
    List<String> args = new ArrayList<>(DataflowJobs.gpuJobArgs());
    args.addAll(DataflowJobs.offline(dir.resolve("job.json")));
    args.add("--jobName=dataselect-offline-test");
    args.add("--input=" + corpus);
    args.add("--output=" + dir.resolve("out"));
    args.addAll(List.of(jobArgs));
    DataselectOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).withValidation().as(DataselectOptions.class);
    options.as(DataflowPipelineOptions.class).setFilesToStage(List.of());
    return options;
  }

  @Test
  void translatesTheMainJobIntoAGpuJobSpecification() throws IOException {
    PipelineResult result = DataselectFlexTemplate.launch(options("--rate=0.25", "--seed=7", "--dedup=true"));
    assertTrue(result instanceof DataflowTemplateJob, "a job specification, not a submitted job: " + result);

    Job job = DataflowJobs.read(dir.resolve("job.json"));
    assertEquals("dataselect-offline-test", job.getName());
    assertEquals("JOB_TYPE_BATCH", job.getType());
    assertEquals(List.of(), DataflowJobs.stepNames(job), "on Runner v2 the job carries the pipeline proto, not v1 steps");

    // The pipeline that runs: the stages under their names, every one in the GPU worker container.
    RunnerApi.Pipeline pipeline = DataflowJobs.pipeline(dir.resolve("job.json"));
    List<String> transforms = DataflowJobs.transformNames(pipeline);
    for (String stage : List.of("ReadCorpus", "RemoveDuplicates", "Embed", "KdeDensity", "SelectByInverseDensity", "SelectByInverseDensity/JoinDecisions",
        "WriteDensityScores", "WriteSelected/WriteRecords", "WriteIds", "WriteDeadLetters", "WriteSummary")) {
      assertTrue(transforms.contains(stage), stage + " is a stage: " + transforms);
    }
    assertTrue(transforms.stream().anyMatch(t -> t.startsWith("ReadCorpus/")), "ReadCorpus is expanded: " + transforms);
    assertFalse(transforms.stream().anyMatch(t -> t.startsWith("Limit")), "no --limit, no Limit stage: " + transforms);
    assertEquals(List.of(DataflowJobs.VARIABLES.get("IMAGE")), DataflowJobs.containerImages(pipeline));

    Environment env = job.getEnvironment();
    assertTrue(env.getExperiments().contains("use_runner_v2"), env.getExperiments().toString());
    assertTrue(env.getServiceOptions().contains("worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"),
        String.valueOf(env.getServiceOptions()));
    assertEquals("dataselect-worker@dataselect-test.iam.gserviceaccount.com", env.getServiceAccountEmail());
    WorkerPool pool = env.getWorkerPools().get(0);
    assertEquals("g2-standard-8", pool.getMachineType());
    assertEquals(50, pool.getDiskSizeGb());
    assertEquals(8, pool.getAutoscalingSettings().getMaxNumWorkers());
    assertEquals(DataflowJobs.VARIABLES.get("IMAGE"), pool.getSdkHarnessContainerImages().get(0).getContainerImage());

    // The job's own options and the worker JVM flags travel to the workers.
    @SuppressWarnings("unchecked")
    Map<String, Object> sdkOptions = (Map<String, Object>) env.getSdkPipelineOptions().get("options");
    assertEquals(0.25, ((Number) sdkOptions.get("rate")).doubleValue());
    assertEquals(7, ((Number) sdkOptions.get("seed")).intValue());
    assertEquals(List.of("java.base/java.nio=ALL-UNNAMED"), sdkOptions.get("jdkAddOpenModules"));
    assertEquals(4, ((Number) sdkOptions.get("numberOfWorkerHarnessThreads")).intValue());
    assertEquals("us-central1", sdkOptions.get("region"));
  }

  @Test
  void eachSettingShowsInTheSpecification() throws IOException {
    DataselectFlexTemplate.launch(options("--limit=100", "--dedup=false", "--outputFormat=parquet"));
    List<String> transforms = DataflowJobs.transformNames(DataflowJobs.pipeline(dir.resolve("job.json")));
    assertTrue(transforms.contains("Limit"), "--limit adds the Limit stage: " + transforms);
    assertFalse(transforms.contains("RemoveDuplicates"), "--dedup=false removes it: " + transforms);
    assertTrue(transforms.contains("WriteSelected/WriteParquet") && !transforms.contains("WriteSelected/WriteJsonl"), "--outputFormat=parquet: " + transforms);
  }

  @Test
  void launcherAddsRunnerV2AndArrowsOpensWhenTheCallerDidNot() throws IOException {
    DataselectOptions options = options();
    DataflowPipelineOptions dataflow = options.as(DataflowPipelineOptions.class);
    dataflow.setExperiments(new ArrayList<>(List.of("some_experiment")));
    dataflow.setJdkAddOpenModules(null);
    DataselectFlexTemplate.launch(options);
    Environment env = DataflowJobs.read(dir.resolve("job.json")).getEnvironment();
    assertTrue(env.getExperiments().containsAll(List.of("some_experiment", "use_runner_v2")), env.getExperiments().toString());
    @SuppressWarnings("unchecked")
    Map<String, Object> sdkOptions = (Map<String, Object>) env.getSdkPipelineOptions().get("options");
    assertEquals(List.of("java.base/java.nio=ALL-UNNAMED"), sdkOptions.get("jdkAddOpenModules"));
  }

  /**
   * The launcher's main, as the Flex Template launcher runs it (parameters as --name=value, no
   * --runner): it submits and returns. Waiting on the result would throw here, since the result of
   * an offline translation cannot be waited on.
   */
  @Test
  void mainSubmitsOnDataflowAndReturnsWithoutWaiting() throws IOException {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, "{\"id\": \"a\", \"text\": \"one document\"}\n");
    List<String> args = new ArrayList<>();
    for (String a : DataflowJobs.gpuJobArgs()) {
      if (!a.startsWith("--runner=")) {
        args.add(a);
      }
    }
    args.addAll(DataflowJobs.offline(dir.resolve("job.json")));
    args.addAll(List.of("--jobName=dataselect-main-test", "--input=" + corpus, "--output=" + dir.resolve("out"),
        "--filesToStage=" + corpus));
    DataselectFlexTemplate.main(args.toArray(String[]::new));
    Job job = DataflowJobs.read(dir.resolve("job.json"));
    assertEquals("dataselect-main-test", job.getName());
    assertTrue(job.getEnvironment().getExperiments().contains("use_runner_v2"));
  }

  @Test
  void launcherRejectsTheLocalDemoCorpus() throws IOException {
    DataselectOptions options = options();
    options.setInput("demo");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataselectFlexTemplate.launch(options));
    assertTrue(e.getMessage().contains("--input"), e.getMessage());
  }
}
