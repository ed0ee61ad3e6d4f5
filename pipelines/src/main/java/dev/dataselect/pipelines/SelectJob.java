package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.base.Splitter;
import dev.dataselect.transforms.io.DocumentJson;
import dev.dataselect.pipelines.options.CorpusOptions;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.pipelines.report.RunReport;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.RejectDuplicateIds;
import dev.dataselect.transforms.RemoveDuplicates;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.select.LimitByHash;
import dev.dataselect.transforms.select.Select;
import dev.dataselect.transforms.select.Target;
import dev.dataselect.transforms.io.ReadCorpus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The main job: read the corpus → optional deterministic subset → remove exact duplicates → select
 * → write the selected documents, their ids, the dead letters and {@code summary.json}.
 */
public final class SelectJob {
  /** The output folder's parts this job owns (and replaces on a rerun). */
  static final List<String> OUTPUT_PARTS = List.of("selected", "selected-ids", "dead-letters", "scores", "report");

  private SelectJob() {}

  /**
   * Runs the main job: points {@code --input=demo} at the demo corpus, clears this job's parts of
   * the output folder, builds the pipeline and starts it; does not wait for it to finish.
   */
  public static PipelineResult run(DataselectOptions options) {
    return run(options, null);
  }

  /** As {@link #run(DataselectOptions)}, with {@code warmup} loading the models while the job starts. */
  static PipelineResult run(DataselectOptions options, @Nullable ModelWarmup warmup) {
    FileSystems.setDefaultPipelineOptions(options);
    Demo.apply(options);
    SelectPlan plan = SelectPlan.of(options); // validates before anything is cleared
    if (warmup != null) {
      warmup.start(options, plan.models());
    }
    Pipeline p = build(plan);
    clearPreviousOutput(options.getOutput());
    return p.run();
  }

  /** Builds the pipeline; validates the options and fails fast when an input matches no file. */
  public static Pipeline build(DataselectOptions options) {
    return build(SelectPlan.of(options));
  }

  /** The main job's graph: the plan's stages, composed, with the counts, the report and the writes. */
  static Pipeline build(SelectPlan plan) {
    long startMillis = System.currentTimeMillis();
    Pipeline p = Pipeline.create(plan.options);
    PCollectionTuple read = p.apply("ReadCorpus", plan.read);
    JobCounts counts = new JobCounts(p).track(read.get(ReadCorpus.DOCUMENTS), "read");
    // Language first, one document at a time in the reading's tasks: only the kept languages are
    // grouped by id below (and the limit and the models never see a dropped language).
    IdentifyLanguages.Split languages = IdentifyLanguages.apply(read.get(ReadCorpus.DOCUMENTS), plan.options, counts);
    // Scores, embeddings and decisions are keyed by id: a second document under an id is a dead letter.
    // (few shards on the DirectRunner, so its output comes in few bundles.)
    PCollectionTuple uniqueIds =
        languages.kept().apply("RejectDuplicateIds", RejectDuplicateIds.create().withShards(plan.joinShards));
    PCollection<Document> docs = InjectFaults.maybe(uniqueIds.get(RejectDuplicateIds.UNIQUE), "Documents");
    PCollection<DeadLetter> deadLetters =
        PCollectionList.of(read.get(ReadCorpus.DEAD_LETTERS))
            .and(uniqueIds.get(RejectDuplicateIds.DEAD_LETTERS))
            .apply("AllDeadLetters", Flatten.pCollections());

    // Documents: the records read less the dead letters, in an allowed language or not.
    PCollection<Document> documents = languages.other() == null ? docs
        : PCollectionList.of(docs).and(languages.other()).apply("AllDocuments", Flatten.pCollections());
    counts.sum(read.get(ReadCorpus.RECORDS), "records").count(documents, "documents");
    counts.countBy(deadLetters, "CountByReason", d -> "deadLetters." + d.reason().label());
    // Text-quality signals and the published heuristic filters: cheap, so before the limit and the models.
    Map<String, PCollection<DocumentScore>> signals = ApplyFilters.signals(docs, plan.options, plan.scoresDir());
    docs = ApplyFilters.apply(docs, plan.options, counts);
    docs = PickForLabelling.excludeLabelled(docs, plan, counts);

    PCollection<Document> candidates = docs;
    PCollection<Document> limited = null;
    if (plan.limit > 0) {
      // The documents with the smallest limit hashes, found by a radix select over hash keys: none held on one machine.
      candidates = docs.apply("Limit", LimitByHash.of(plan.limit).withSeed(plan.seed));
      counts.track(candidates, "limit").count(docs, "beyondLimit");
      limited = candidates;
    }
    if (plan.dedup) {
      // A group per distinct text, except on the DirectRunner: it emits a bundle per group.
      PCollectionTuple deduped = candidates.apply("RemoveDuplicates",
          RemoveDuplicates.byNormalizedText().withShards(plan.onDirectRunner ? DIRECT_RUNNER_SHARDS : 0));
      candidates = deduped.get(RemoveDuplicates.UNIQUE);
      counts.sum(deduped.get(RemoveDuplicates.DUPLICATES), "duplicates");
    }
    counts.track(candidates, "candidates"); // before any total: the same collection as the limit's without dedup
    if (limited != null) {
      counts.name(counts.total(limited).apply("Negate", MapElements.into(TypeDescriptors.longs()).via(n -> -n)), "beyondLimit");
    }
    String out = plan.output;
    ScoreStages.Scored scored = ScoreStages.apply(candidates, plan, counts);
    if (scored.deadLetters() != null) {
      scored.deadLetters()
          .apply("InferenceDeadLetterJson", MapElements.into(TypeDescriptors.strings()).via(DocumentJson::of))
          .apply("WriteInferenceDeadLetters",
              TextIO.write().to(resolve(out, "dead-letters") + "inference").withSuffix(".jsonl").withCompression(Compression.GZIP));
      counts.count(scored.deadLetters(), "inferenceFailures");
    }
    Target target = plan.target;
    Sampler sampler = plan.sampler;
    Samplers.Inputs in = scored.inputs(plan);
    // The random sampler draws a rate by hash over the documents; a count over the scored ids when
    // there are scores (as a rerun over persisted scores does), else over the documents.
    boolean overIds = sampler == Sampler.RANDOM && target.kind() == Target.Kind.COUNT && in.any() != null;
    Select.Result selection = candidates.apply(Samplers.stageName(sampler), Samplers.of(sampler, in, overIds).withTarget(target));
    PCollection<Document> selected = selection.selected();
    PCollection<Document> rejected = selection.rejected();
    PCollection<Document> universe = candidates;
    PCollection<DocumentScore> scoredUniverse = sampler == Sampler.RANDOM ? (overIds ? in.any() : null)
        : sampler == Sampler.SEMDEDUP ? in.semdedup : sampler == Sampler.PROTOTYPES ? in.prototypes
        : sampler.needsDensity() ? in.densities : in.quality;
    PCollection<Long> n = scoredUniverse != null ? counts.total(scoredUniverse) : counts.total(universe);
    if (target.kind() != Target.Kind.THRESHOLD) { // a threshold keeps what passes it: no number is wanted
      counts.name(n.apply("Target", expected(target)), "target");
    }
    if (!(sampler == Sampler.RANDOM && target.kind() == Target.Kind.RATE)) {
      counts.count(selection.unscored(), "unscored");
    }
    counts.count(selected, "selected").track(selected, "selected").count(rejected, "rejected");

    report(plan, candidates, selection, scored, Samplers.scoreName(sampler, in, overIds), signals);
    counts.track(selected.apply("WriteSelected", plan.write), "write");
    selected
        .apply("Ids", MapElements.into(TypeDescriptors.strings()).via(Document::id))
        .apply("WriteIds", TextIO.write().to(resolve(out, "selected-ids") + "part").withSuffix(".txt"));
    deadLetters
        .apply("DeadLetterJson", MapElements.into(TypeDescriptors.strings()).via(DocumentJson::of))
        .apply(
            "WriteDeadLetters",
            TextIO.write().to(resolve(out, "dead-letters") + "part").withSuffix(".jsonl").withCompression(Compression.GZIP));
    counts.finish()
        .apply("WriteSummary", new WriteSummary(resolve(out, "summary.json"), optionsJson(plan.options, DataselectOptions.class), startMillis));
    return p;
  }

  /**
   * The run report's data: score histograms, kept vs dropped overlays, examples, counts per source.
   * On the DirectRunner the scores arrive one per bundle (after the model stages' groupings), and
   * every bundle would add a partial combine to a state the runner copies on each access: regroup
   * them into a few bundles first.
   */
  private static void report(SelectPlan plan, PCollection<Document> candidates, Select.Result selection, ScoreStages.Scored scored,
      String scoreName, Map<String, PCollection<DocumentScore>> signals) {
    DataselectOptions options = plan.options;
    String quality = plan.quality.label();
    Target target = plan.target;
    RunReport report = RunReport.to(plan.output).documents(candidates).selected(selection.selected());
    if (scored.quality() != null) {
      report.scores(quality, quality.equals("askllm") ? RunReport.Scale.PROBABILITY : RunReport.Scale.POSITIVE,
          rebundleOnDirectRunner(options, scored.quality(), "ReportQuality"));
    }
    if (scored.densities() != null) {
      report.scores("density", RunReport.Scale.POSITIVE, rebundleOnDirectRunner(options, scored.densities(), "ReportDensity"));
    }
    signals.forEach((name, values) ->
        report.scores(name, RunReport.Scale.LINEAR, rebundleOnDirectRunner(options, values, "Report" + name)));
    String label = plan.sampler.label() + "@" + target.label();
    if (!scoreName.equals(Samplers.NO_SCORE)) {
      PCollection<DocumentScore> kept = rebundleOnDirectRunner(options, selection.selectedScores(), "ReportKept");
      PCollection<DocumentScore> dropped = rebundleOnDirectRunner(options, selection.rejectedScores(), "ReportDropped");
      if (scoreName.equals(Samplers.COMBINED_SCORE)) {
        report.scores(Samplers.COMBINED_SCORE, RunReport.Scale.POSITIVE,
            PCollectionList.of(kept).and(dropped).apply("ReportCombinedScores", Flatten.pCollections()));
      }
      if (scoreName.equals(Samplers.SEMDEDUP_SCORE) || scoreName.equals(Samplers.PROTOTYPES_SCORE)) {
        report.scores(scoreName, RunReport.Scale.LINEAR,
            PCollectionList.of(kept).and(dropped).apply("ReportClusterScores", Flatten.pCollections()));
      }
      if (scored.duplicates != null && scoreName.equals(Samplers.SEMDEDUP_SCORE)) { // SemDeDup's examples, beside the one they follow
        report.related(Samplers.SEMDEDUP_SCORE, "nearest preceding (duplicate of)", scored.duplicates);
      }
      report.decisions(label, scoreName, kept, dropped);
    } else if (target.kind() == Target.Kind.RATE) {
      // The random sampler decides by hash alone: split each score by the same rule.
      for (String name : List.of(quality, "density")) {
        PCollection<DocumentScore> s = name.equals("density") ? scored.densities() : scored.quality();
        s = s == null ? null : rebundleOnDirectRunner(options, s, "ReportRandom" + name);
        if (s != null) {
          PCollectionTuple split = s.apply("Report random split " + name, RunReport.splitLikeRandom(options.getRate(), options.getSeed()));
          report.decisions(label, name, split.get(RunReport.KEPT), split.get(RunReport.DROPPED));
        }
      }
    }
    report.apply();
  }

  /**
   * The DirectRunner emits one bundle per key after a GroupByKey, so after deduplication (or a join
   * by id) every document would travel alone: batched inference would see batches of one and every
   * later step would pay the DirectRunner's per-bundle set-up once per document. On that runner
   * only, regroup into a few bundles; Flink and Dataflow bundle many keys together already.
   */
  static <T> PCollection<T> rebundleOnDirectRunner(PipelineOptions options, PCollection<T> in, String name) {
    if (!onDirectRunner(options)) {
      return in;
    }
    return in.apply("Rebundle" + name, Reshuffle.<T>viaRandomKey().withNumBuckets(4));
  }

  /** Groups of a grouping by id or text on the DirectRunner, which pays a set-up cost per group. */
  static final int DIRECT_RUNNER_SHARDS = 4;

  /** Few join groups on the DirectRunner (a set-up cost per group), many elsewhere (bounded memory per group). */
  static int joinShards(PipelineOptions options) {
    return onDirectRunner(options) ? DIRECT_RUNNER_SHARDS : JoinById.DEFAULT_SHARDS;
  }

  static boolean onDirectRunner(PipelineOptions options) {
    return options.getRunner().getSimpleName().equals("DirectRunner");
  }

  static ReadCorpus readCorpus(CorpusOptions options, List<String> inputs) {
    return ReadCorpus.from(inputs)
        .withFormat(options.getFormat())
        .withTextFields(split(options.getTextField()))
        .withIdField(options.getIdField())
        .withMetadataFields(split(options.getMetadataFields()))
        .withMaxRecordBytes(options.getMaxRecordBytes())
        .withCsvHeader(split(options.getCsvHeader()))
        .withCsvQuoting(options.getCsvQuoting())
        .withSplitBytes(options.getSplitBytes());
  }

  static List<String> split(String csv) {
    return Splitter.on(',').trimResults().omitEmptyStrings().splitToList(csv == null ? "" : csv);
  }

  /** Comma-separated patterns; a folder ending in '/' means every file in it. */
  static List<String> inputPatterns(String input) {
    List<String> out = new ArrayList<>();
    for (String p : split(input)) {
      out.add(p.endsWith("/") ? p + "*" : p);
    }
    checkArgument(!out.isEmpty(), "--input must name at least one file or glob");
    return out;
  }

  static List<String> requireMatches(List<String> patterns) {
    try {
      List<MatchResult> results = FileSystems.match(patterns);
      List<String> files = new ArrayList<>();
      for (int i = 0; i < patterns.size(); i++) {
        MatchResult r = results.get(i);
        if (r.status() != MatchResult.Status.OK || r.metadata().isEmpty()) {
          throw new IllegalArgumentException(
              "--input '" + patterns.get(i) + "' matches no file"
                  + (r.status() == MatchResult.Status.OK || r.status() == MatchResult.Status.NOT_FOUND ? "" : " (" + r.status() + ")"));
        }
        r.metadata().forEach(m -> files.add(m.resourceId().toString()));
      }
      return files;
    } catch (IOException e) {
      throw new IllegalArgumentException("--input cannot be listed: " + e.getMessage(), e);
    }
  }

  /** Deletes what an earlier run wrote into this job's parts of the output folder. */
  static void clearPreviousOutput(String out) {
    clearParts(out, OUTPUT_PARTS);
  }

  /** Deletes the given parts (folders, recursively) and summary.json of an output folder. */
  static void clearParts(String out, List<String> parts) {
    try {
      List<ResourceId> stale = new ArrayList<>();
      List<String> specs = new ArrayList<>();
      for (String part : parts) {
        specs.add(resolve(out, part) + "**"); // scores/ holds a folder per stage
      }
      specs.add(resolve(out, "summary.json"));
      for (String spec : specs) {
        MatchResult r = FileSystems.match(spec, EmptyMatchTreatment.ALLOW);
        if (r.status() == MatchResult.Status.OK) {
          r.metadata().forEach(m -> stale.add(m.resourceId()));
        }
      }
      FileSystems.delete(stale, org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      removeEmptyTempFolders(out, parts);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear the previous output in " + out, e);
    }
  }

  /**
   * A local output keeps the empty {@code .temp-beam*} folders of a killed run's sinks after their
   * files are deleted (object stores have no empty folders): removes them.
   */
  private static void removeEmptyTempFolders(String out, List<String> parts) throws IOException {
    if (out.contains("://") && !out.startsWith("file://")) {
      return;
    }
    for (String part : parts) {
      java.nio.file.Path folder = java.nio.file.Path.of(resolve(out, part).replaceFirst("^file://", ""));
      if (!java.nio.file.Files.isDirectory(folder)) {
        continue;
      }
      List<java.nio.file.Path> temps;
      try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(folder)) {
        temps = s.filter(f -> java.nio.file.Files.isDirectory(f) && f.getFileName().toString().startsWith(".temp-beam"))
            .sorted(java.util.Comparator.reverseOrder()).toList();
      }
      for (java.nio.file.Path t : temps) {
        try (java.util.stream.Stream<java.nio.file.Path> inside = java.nio.file.Files.list(t)) {
          if (inside.findAny().isEmpty()) {
            java.nio.file.Files.delete(t);
          }
        }
      }
    }
  }

  /** {@code out/name}, or {@code out/name/} for folders; works for local paths and gs://. */
  static String resolve(String out, String name) {
    String base = out.endsWith("/") ? out : out + "/";
    return name.contains(".") ? base + name : base + name + "/";
  }

  /** The expected kept count of a target over n scored documents, rounded. */
  static MapElements<Long, Long> expected(Target target) {
    return MapElements.into(TypeDescriptors.longs()).via(n -> Math.round(target.wanted(n)));
  }

  /** The job's own options (not Beam's internals), as JSON for summary.json. */
  static String optionsJson(PipelineOptions options, Class<? extends PipelineOptions> job) {
    try {
      ObjectMapper mapper = new ObjectMapper();
      JsonNode all = mapper.readTree(mapper.writeValueAsString(options)).path("options");
      ObjectNode mine = mapper.createObjectNode();
      for (java.lang.reflect.Method m : job.getMethods()) {
        String name = m.getName();
        if (name.startsWith("get") && m.getDeclaringClass().getPackageName().startsWith("dev.dataselect")) {
          String key = Character.toLowerCase(name.charAt(3)) + name.substring(4);
          mine.set(key, mapper.valueToTree(asWritten(invoke(m, options))));
        }
      }
      mine.put("runner", all.path("runner").asText(options.getRunner().getSimpleName()));
      return mapper.writeValueAsString(mine);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An option's value as a user writes it: enums in lower case, lists comma-separated. */
  static Object asWritten(Object value) {
    if (value instanceof Enum<?> e) {
      return e.name().toLowerCase(Locale.ROOT);
    }
    if (value instanceof List<?> list) {
      return String.join(",", list.stream().map(v -> String.valueOf(asWritten(v))).toList());
    }
    return value;
  }

  private static Object invoke(java.lang.reflect.Method m, PipelineOptions options) {
    try {
      return m.invoke(options);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
