package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.report.ReportPage;
import dev.dataselect.pipelines.report.Timings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Entry point of {@code bin/dataselect}: parses Beam-style {@code --key=value} options, builds the
 * main job and runs it. {@link #run} starts the pipeline and returns without waiting (what a Flex
 * Template launcher needs); {@link #main} waits, printing progress on local runs.
 */
public final class Dataselect {
  private Dataselect() {}

  public static void main(String[] args) throws IOException {
    int status = execute(args, System.out);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * What {@code bin/dataselect} does, printing to {@code out}: parses the options, runs the job
   * with progress lines and waits for it, then prints a short summary and the paths of {@code
   * summary.json} and the report. Returns the process exit status (0 when the job is done).
   */
  public static int execute(String[] args, PrintStream out) throws IOException {
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h") || a.startsWith("--help="))) {
      printHelp(out);
      return 0;
    }
    DataselectOptions options =
        PipelineOptionsFactory.fromArgs(localDefaults(labelsAlias(args))).withValidation().as(DataselectOptions.class);
    if (options.getJob().equalsIgnoreCase("report")) {
      FileSystems.setDefaultPipelineOptions(options);
      out.println("report: " + ReportPage.render(options.getOutput()));
      return 0;
    }
    String job = options.getJob().toLowerCase(java.util.Locale.ROOT);
    long start = System.nanoTime();
    PipelineResult.State state;
    PipelineResult result;
    // The progress lines read this JVM's stage tallies (StageProgress), so they work on runners
    // whose run() blocks until the job is done (Flink) as on those that return at once (Direct).
    try (ProgressLines progress = ProgressLines.start(job, options.getProgressSeconds(), out)) {
      result = run(options);
      state = result.waitUntilFinish();
    }
    double wall = (System.nanoTime() - start) / 1e9;
    if (state != PipelineResult.State.DONE) {
      out.println("state: " + state);
      return 1;
    }
    if (job.equals("train-student")) { // it writes its own student-report/
      String metrics = SelectJob.resolve(options.getOutput(), TrainStudentJob.REPORT) + "metrics.json";
      out.println("student metrics: " + metrics);
      if (!metrics.startsWith("gs://") && Files.exists(Path.of(metrics))) {
        out.println(Files.readString(Path.of(metrics), StandardCharsets.UTF_8));
      }
      return 0;
    }
    String report = finishReport(result, options.getOutput());
    String summary = SelectJob.resolve(options.getOutput(), "summary.json");
    if (!summary.startsWith("gs://") && Files.exists(Path.of(summary))) {
      out.print(Summary.brief(new ObjectMapper().readTree(Path.of(summary).toFile()), wall));
    }
    out.println("summary: " + summary);
    out.println("report:  " + report);
    return 0;
  }

  /**
   * After a run: writes the per-stage timings from the pipeline's metrics and the run's wall time
   * into the report data, then renders {@code report/index.html}; returns its path.
   */
  static String finishReport(PipelineResult result, String output) throws IOException {
    String summary = SelectJob.resolve(output, "summary.json");
    double wallSeconds = new ObjectMapper()
        .readTree(java.nio.channels.Channels.newInputStream(FileSystems.open(FileSystems.matchSingleFileSpec(summary).resourceId())))
        .path("wallSeconds").asDouble();
    Timings.write(result, output, wallSeconds);
    return ReportPage.render(output);
  }

  /** Every option of the main job with its description and default, Beam's own options included. */
  static void printHelp(PrintStream out) {
    out.println("Usage: bin/dataselect [--key=value ...]\n");
    out.println("Runs the main job: read a corpus, remove exact duplicates, select, write.");
    out.println("Every option, with its description and default:\n");
    PipelineOptionsFactory.printHelp(out, DataselectOptions.class);
  }

  /** The jobs {@code --job} names. */
  static final List<String> JOBS = List.of("select", "reselect", "train-student", "report");

  /** Builds and starts the job {@code --job} names; does not wait for it to finish. */
  public static PipelineResult run(DataselectOptions options) {
    String job = options.getJob().toLowerCase(java.util.Locale.ROOT);
    FileSystems.setDefaultPipelineOptions(options);
    switch (job) {
      case "select":
        Demo.apply(options);
        SelectJob.clearPreviousOutput(options.getOutput());
        return SelectJob.build(options).run();
      case "reselect":
        org.apache.beam.sdk.Pipeline reselect = ReselectJob.build(options); // validates before anything is cleared
        ReselectJob.clearPreviousOutput(options.getOutput());
        return reselect.run();
      case "report":
        throw new IllegalArgumentException(
            "--job=report runs no pipeline: it renders report/index.html from --output (Dataselect.main, or ReportPage.render)");
      case "train-student":
        return TrainStudentJob.build(options).run();
      default:
        throw new IllegalArgumentException("--job must be one of " + JOBS + ", got '" + options.getJob() + "'");
    }
  }

  /**
   * {@code --labels=FILE} of {@code --job=train-student} means {@code --labelsFile=FILE}: Dataflow's
   * options own {@code --labels} (a JSON map of job labels), so a value that is not a JSON object is
   * taken as the labels file.
   */
  static String[] labelsAlias(String[] args) {
    if (Arrays.stream(args).noneMatch(a -> a.equalsIgnoreCase("--job=train-student"))) {
      return args;
    }
    String[] out = args.clone();
    for (int i = 0; i < out.length; i++) {
      if (out[i].startsWith("--labels=") && !out[i].substring("--labels=".length()).trim().startsWith("{")) {
        out[i] = "--labelsFile=" + out[i].substring("--labels=".length());
      }
    }
    return out;
  }

  /** On the DirectRunner, run() must return at once so progress can be shown while it runs. */
  static String[] localDefaults(String[] args) {
    List<String> out = new ArrayList<>(Arrays.asList(args));
    boolean direct =
        out.stream().noneMatch(a -> a.startsWith("--runner=")) || out.contains("--runner=DirectRunner");
    if (direct) {
      // Return from run() at once so progress shows; skip the per-element clone checks that tests
      // keep on (they cost more than the job itself on large local runs).
      for (String flag : List.of("--blockOnRun=false", "--enforceImmutability=false", "--enforceEncodability=false")) {
        String name = flag.substring(0, flag.indexOf('='));
        if (out.stream().noneMatch(a -> a.startsWith(name))) {
          out.add(flag);
        }
      }
    }
    return out.toArray(new String[0]);
  }
}
