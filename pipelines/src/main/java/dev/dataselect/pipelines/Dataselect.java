package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.pipelines.options.CaseInsensitiveEnums;
import dev.dataselect.pipelines.options.CompareJobOptions;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.JobOptions;
import dev.dataselect.pipelines.options.OutputOptions;
import dev.dataselect.pipelines.options.ReportJobOptions;
import dev.dataselect.pipelines.options.ReselectJobOptions;
import dev.dataselect.pipelines.options.TrainStudentJobOptions;
import dev.dataselect.pipelines.report.ReportPage;
import dev.dataselect.pipelines.report.Timings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    if (Boolean.getBoolean(WRITING_CDS_ARCHIVE)) { // the JVM archives the classes as it exits: say why it pauses
      System.out.println("saving the loaded classes for faster starts (once per build, a few seconds) ...");
    }
  }

  /** Set by bin/dataselect on the run whose JVM writes the class-data-sharing archive at exit. */
  static final String WRITING_CDS_ARCHIVE = "dataselect.writingCdsArchive";

  /**
   * What {@code bin/dataselect} does, printing to {@code out}: parses the options, runs the job
   * with progress lines and waits for it, then prints a short summary and the paths of {@code
   * summary.json} and the report. Returns the process exit status (0 when the job is done).
   */
  public static int execute(String[] args, PrintStream out) throws IOException {
    if (Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h") || a.startsWith("--help="))) {
      printHelp(jobOf(args), out);
      return 0;
    }
    String job = jobOf(args);
    JobOptions options = parse(args);
    if (job.equals("report")) {
      FileSystems.setDefaultPipelineOptions(options);
      out.println("report: " + ReportPage.render(((ReportJobOptions) options).getOutput()));
      return 0;
    }
    if (job.equals("store")) { // the files it read are deleted after a compaction succeeds, so it keeps its plan
      StoreJob.Plan plan = StoreJob.plan((dev.dataselect.pipelines.options.StoreJobOptions) options);
      PipelineResult.State done = plan.pipeline.run().waitUntilFinish();
      if (done != PipelineResult.State.DONE) {
        out.println("state: " + done);
        return 1;
      }
      out.println(plan.finish());
      return 0;
    }
    long start = System.nanoTime();
    PipelineResult.State state;
    PipelineResult result;
    // The progress lines read this JVM's stage tallies (StageProgress), so they work on runners
    // whose run() blocks until the job is done (Flink) as on those that return at once (Direct).
    try (ProgressLines progress = ProgressLines.start(job, options.as(OutputOptions.class).getProgressSeconds(), out);
        ModelWarmup warmup = new ModelWarmup()) {
      result = run(options, warmup);
      state = result.waitUntilFinish();
    }
    double wall = (System.nanoTime() - start) / 1e9;
    if (state != PipelineResult.State.DONE) {
      out.println("state: " + state);
      return 1;
    }
    String output = options.as(OutputOptions.class).getOutput();
    if (job.equals("compare")) { // compare.json, compare.html, and a report with the same as its section
      String json = SelectJob.resolve(output, "compare.json");
      if (!json.startsWith("gs://") && Files.exists(Path.of(json))) {
        out.println(Files.readString(Path.of(json), StandardCharsets.UTF_8));
      }
      out.println("compare: " + json);
      out.println("heat map: " + SelectJob.resolve(output, "compare.html"));
      out.println("report:  " + finishReport(result, output));
      return 0;
    }
    if (job.equals("train-student")) { // it writes its own student-report/
      String metrics = SelectJob.resolve(output, TrainStudentJob.REPORT) + "metrics.json";
      out.println("student metrics: " + metrics);
      if (!metrics.startsWith("gs://") && Files.exists(Path.of(metrics))) {
        String json = Files.readString(Path.of(metrics), StandardCharsets.UTF_8);
        out.println(json);
        out.print(StudentReport.blocksBrief(new ObjectMapper().readTree(json)));
      }
      return 0;
    }
    String report = finishReport(result, output);
    String summary = SelectJob.resolve(output, "summary.json");
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

  /** Each job's options interface, by its {@code --job} name. */
  static final Map<String, Class<? extends JobOptions>> JOBS = new LinkedHashMap<>();

  static {
    JOBS.put("select", DataselectOptions.class);
    JOBS.put("reselect", ReselectJobOptions.class);
    JOBS.put("train-student", TrainStudentJobOptions.class);
    JOBS.put(PickForLabelling.JOB, DataselectOptions.class);
    JOBS.put("report", ReportJobOptions.class);
    JOBS.put("store", dev.dataselect.pipelines.options.StoreJobOptions.class);
    JOBS.put("compare", CompareJobOptions.class);
  }

  /** The options interface of the job {@code --job} names in {@code args}, for callers that parse them themselves. */
  public static Class<? extends JobOptions> optionsOf(String[] args) {
    return JOBS.get(jobOf(args));
  }

  /** The job {@code --job} names in {@code args} ({@code select} without one). */
  static String jobOf(String[] args) {
    String job = "select";
    for (String a : args) {
      if (a.startsWith("--job=")) {
        job = a.substring("--job=".length()).trim().toLowerCase(Locale.ROOT);
      }
    }
    checkArgument(JOBS.containsKey(job), "--job must be one of %s, got '%s'", JOBS.keySet(), job);
    return job;
  }

  /**
   * Parses {@code args} into the options of the job {@code --job} names (its own interface: an
   * option of another job is an error), with the local-run defaults and the {@code --labels} alias.
   */
  public static JobOptions parse(String[] args) {
    return options(localDefaults(labelsAlias(args)));
  }

  /**
   * Parses {@code args} as they are into the options of the job {@code --job} names. A value of a
   * closed set (an enum) that is none of its values fails naming the option and the values.
   */
  public static JobOptions options(String[] args) {
    Class<? extends JobOptions> type = optionsOf(args);
    for (String a : args) {
      int eq = a.indexOf('=');
      if (!a.startsWith("--") || eq < 0) {
        continue;
      }
      String name = a.substring(2, eq);
      String getter = "get" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
      java.lang.reflect.Method m = Arrays.stream(type.getMethods()).filter(x -> x.getName().equals(getter) && x.getParameterCount() == 0)
          .findFirst().orElse(null);
      Class<?> enumType = m == null ? null : m.getReturnType().isEnum() ? m.getReturnType()
          : m.getReturnType() == List.class && m.getGenericReturnType() instanceof java.lang.reflect.ParameterizedType t
              && t.getActualTypeArguments()[0] instanceof Class<?> c && c.isEnum() ? c : null;
      if (enumType != null) {
        for (String v : a.substring(eq + 1).split(",", -1)) {
          try {
            CaseInsensitiveEnums.find(enumType, v);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + name + ": " + e.getMessage(), e);
          }
        }
      }
    }
    return PipelineOptionsFactory.fromArgs(args).withValidation().as(type);
  }

  /** The options of one job, with their descriptions and defaults; Beam's own options follow. */
  static void printHelp(String job, PrintStream out) {
    out.println("Usage: bin/dataselect [--job=" + String.join("|", JOBS.keySet()) + "] [--key=value ...]\n");
    out.println("--job=" + job + ": " + JOB_SUMMARIES.get(job));
    out.println("(--job=NAME --help lists another job's options.) Every option of this job, with its description and default:\n");
    PipelineOptionsFactory.printHelp(out, JOBS.get(job));
  }

  private static final Map<String, String> JOB_SUMMARIES = Map.of(
      "select", "the main job: read a corpus, keep a language, deduplicate, score and embed, select, write.",
      "reselect", "new selections (samplers x rates, counts or thresholds) from the scores an earlier run persisted; no model runs.",
      "train-student", "fit a linear student scorer on embeddings and text signals from teacher scores or labels.",
      PickForLabelling.JOB, "the --count documents whose labels would teach the --studentModel most (uncertain, spread over the "
          + "embedding space); without a student, a coverage sample. Same options as select.",
      "report", "render report/index.html from the summary and report data already in --output.",
      "store", "score store housekeeping: --action=stats (entries, duplicates, files, bytes per fingerprint) or compact.",
      "compare", "compare selections: Jaccard overlaps of their kept ids, and each one's size, mean quality, coverage and retention per cluster.");

  /** Builds and starts the job {@code options} are for (as {@link #parse} made them); does not wait for it. */
  public static PipelineResult run(JobOptions options) {
    return run(options, null);
  }

  /** As {@link #run(JobOptions)}; the main job's models load on {@code warmup}'s thread while it starts. */
  static PipelineResult run(JobOptions options, @javax.annotation.Nullable ModelWarmup warmup) {
    String job = options.getJob().toLowerCase(Locale.ROOT);
    checkArgument(JOBS.containsKey(job), "--job must be one of %s, got '%s'", JOBS.keySet(), options.getJob());
    checkArgument(JOBS.get(job).isInstance(options), "--job=%s needs its own options (%s), got %s: parse them with Dataselect.parse",
        job, JOBS.get(job).getSimpleName(), options);
    switch (job) {
      case "select":
        return SelectJob.run((DataselectOptions) options, warmup);
      case "reselect":
        return ReselectJob.run((ReselectJobOptions) options);
      case "train-student":
        return TrainStudentJob.run((TrainStudentJobOptions) options);
      case PickForLabelling.JOB:
        return SelectJob.run(PickForLabelling.configure((DataselectOptions) options), warmup);
      case "compare":
        return CompareJob.run((CompareJobOptions) options);
      case "store":
        try {
          return StoreJob.run((dev.dataselect.pipelines.options.StoreJobOptions) options);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      default:
        throw new IllegalArgumentException(
            "--job=report runs no pipeline: it renders report/index.html from --output (Dataselect.main, or ReportPage.render)");
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
      // keep on (they cost more than the job itself on large local runs). One worker thread: with
      // more, about one DirectRunner pipeline in 27 with side inputs never finished (its driver
      // spun with a ready side input and nothing scheduled; TestPipelines in transforms' tests has
      // the figures); the models still use every core from inside their DoFns.
      for (String flag : List.of("--blockOnRun=false", "--enforceImmutability=false", "--enforceEncodability=false",
          "--targetParallelism=1")) {
        String name = flag.substring(0, flag.indexOf('='));
        if (out.stream().noneMatch(a -> a.startsWith(name))) {
          out.add(flag);
        }
      }
    }
    return out.toArray(new String[0]);
  }
}
