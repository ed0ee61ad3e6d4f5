package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.io.DocumentJson;
import dev.dataselect.pipelines.options.CaseInsensitiveEnums;
import dev.dataselect.pipelines.options.CorpusOptions;
import dev.dataselect.pipelines.options.Quality;
import dev.dataselect.pipelines.options.ReselectJobOptions;
import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.pipelines.report.RunReport;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.inference.ReadScores;
import dev.dataselect.transforms.io.CorpusFormat;
import dev.dataselect.transforms.io.ReadCorpus;
import dev.dataselect.transforms.select.Select;
import dev.dataselect.transforms.select.Target;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Score once, select many ({@code --job=reselect}): reads the {@code scores/<stage>/} an earlier run
 * persisted and writes, for every sampler in {@code --sampler} and every rate in {@code --rates}
 * (or count in {@code --counts}), a selection under {@code <output>/selections/<sampler>-<rate>/}:
 * its ids, and with {@code --withDocuments} its documents joined back from the earlier run's
 * corpus in one shuffle for all selections. No model runs. {@code summary.json} gives, per
 * selection, the target, the kept and dropped counts and whether they add up to the scores read.
 */
final class ReselectJob {
  static final List<String> QUALITY_STAGES = List.of("askllm", "student", "perplexity");

  private ReselectJob() {}

  /** Builds the job (validating first), clears this job's parts of the output folder, starts it; does not wait. */
  static PipelineResult run(ReselectJobOptions o) {
    Pipeline p = build(o);
    clearPreviousOutput(o.getOutput());
    return p.run();
  }

  static Pipeline build(ReselectJobOptions o) {
    FileSystems.setDefaultPipelineOptions(o);
    String earlier = o.getScores();
    checkArgument(!earlier.isEmpty(), "--job=reselect needs --scores=<the output folder of an earlier run>");
    checkArgument(!SelectJob.resolve(earlier, "x").equals(SelectJob.resolve(o.getOutput(), "x")),
        "--output must be another folder than --scores (%s): the reselect run would replace the earlier run's summary.json", earlier);
    List<Sampler> samplers = o.getSampler().stream().distinct().toList();
    checkArgument(!samplers.isEmpty(), "--sampler names no sampler");
    List<Target> targets = Samplers.targets(parseRates(o), parseCounts(o), parseThresholds(o));
    String scoresDir = SelectJob.resolve(earlier, "scores");
    String quality = o.getQuality().label();
    if (quality.equals("none")) {
      quality = QUALITY_STAGES.stream().filter(q -> holdsScores(scoresDir + q + "/")).findFirst().orElse("none");
    }
    boolean density = holdsScores(scoresDir + "density/");
    for (Sampler s : samplers) {
      checkArgument(!s.needsDensity() || density,
          "--sampler=%s needs densities, but %sdensity/ holds none (run the main job with a density sampler first)", s.label(), scoresDir);
      checkArgument(!s.needsQuality() || !quality.equals("none"),
          "--sampler=%s needs quality scores, but %s holds none of %s", s.label(), scoresDir, QUALITY_STAGES);
      checkArgument(s != Sampler.RANDOM || density || !quality.equals("none"), "--sampler=random needs some scores in %s", scoresDir);
      checkArgument(!s.needsClusters() || holdsScores(scoresDir + s.label() + "/"),
          "--sampler=%s needs %s%s/, which holds no scores (run the main job with --sampler=%s first)", s.label(), scoresDir, s.label(), s.label());
    }
    JsonNode earlierSummary = o.getWithDocuments() ? readSummary(earlier) : null;

    long startMillis = System.currentTimeMillis();
    Pipeline p = Pipeline.create(o);
    Samplers.Inputs in = new Samplers.Inputs();
    in.seed = o.getSeed();
    in.qualityExponent = o.getQualityExponent();
    in.densityExponent = o.getDensityExponent();
    in.shards = SelectJob.joinShards(o);
    in.qualityName = quality;
    List<PCollection<KV<String, Long>>> counts = new ArrayList<>();
    boolean needsDensity = samplers.stream().anyMatch(s -> s.needsDensity() || (s == Sampler.RANDOM && density));
    boolean needsQuality = samplers.stream().anyMatch(s -> s.needsQuality() || (s == Sampler.RANDOM && !density));
    if (needsDensity) {
      in.densities = read(p, scoresDir + "density/", "Density");
      counts.add(named(in.densities.apply("CountDensities", Count.globally()), "scores|density"));
    }
    if (needsQuality) {
      in.quality = read(p, scoresDir + quality + "/", "Quality");
      counts.add(named(in.quality.apply("CountQuality", Count.globally()), "scores|" + quality));
    }

    if (samplers.contains(Sampler.SEMDEDUP)) {
      in.semdedup = read(p, scoresDir + "semdedup/", "SemDeDup");
      counts.add(named(in.semdedup.apply("CountSemDeDup", Count.globally()), "scores|semdedup"));
    }
    if (samplers.contains(Sampler.PROTOTYPES)) {
      in.prototypes = read(p, scoresDir + "prototypes/", "Prototypes");
      counts.add(named(in.prototypes.apply("CountPrototypes", Count.globally()), "scores|prototypes"));
    }

    String out = SelectJob.resolve(o.getOutput(), "selections");
    List<PCollection<KV<String, String>>> keptIds = new ArrayList<>();
    RunReport report = RunReport.to(o.getOutput());
    if (in.densities != null) {
      report.scores("density", RunReport.Scale.POSITIVE, in.densities);
    }
    if (in.quality != null) {
      report.scores(quality, quality.equals("askllm") ? RunReport.Scale.PROBABILITY : RunReport.Scale.POSITIVE, in.quality);
    }
    for (Sampler sampler : samplers) {
      List<Select.Decision> decisions = p.apply(Samplers.stageName(sampler), Samplers.of(sampler, in, true).forTargets(targets)).all();
      String scoreName = Samplers.scoreName(sampler, in, true);
      if (sampler == Sampler.COMBINED) { // every rate weighs the same effective density
        report.scores(Samplers.COMBINED_SCORE, RunReport.Scale.POSITIVE, PCollectionList.of(decisions.get(0).selectedScores())
            .and(decisions.get(0).rejectedScores()).apply("ReportCombinedScores", Flatten.pCollections()));
      }
      PCollection<DocumentScore> universe = sampler == Sampler.SEMDEDUP ? in.semdedup
          : sampler == Sampler.PROTOTYPES ? in.prototypes
          : sampler == Sampler.QUALITY || (sampler == Sampler.RANDOM && in.densities == null) ? in.quality : in.densities;
      if (sampler.needsClusters()) {
        report.scores(scoreName, RunReport.Scale.LINEAR, universe);
      }
      PCollection<Long> scored = universe.apply(sampler.label() + " CountScored", Count.globally());
      for (Select.Decision d : decisions) {
        String label = sampler.label() + "-" + d.target().label();
        report.decisions(sampler.label() + "@" + d.target().label(), scoreName, d.selectedScores(), d.rejectedScores());
        if (d.target().kind() != Target.Kind.THRESHOLD) {
          counts.add(named(scored.apply(label + " Target", SelectJob.expected(d.target())), "selection|" + label + "|target"));
        }
        counts.add(named(d.selectedIds().apply(label + " CountSelected", Count.globally()), "selection|" + label + "|selected"));
        counts.add(named(d.rejectedIds().apply(label + " CountRejected", Count.globally()), "selection|" + label + "|rejected"));
        counts.add(named(scored.apply(label + " Scored", MapElements.into(TypeDescriptors.longs()).via(n -> n)), "selection|" + label + "|scored"));
        d.selectedIds().apply(label + " WriteIds", TextIO.write().to(out + label + "/selected-ids/part").withSuffix(".txt"));
        if (earlierSummary != null) {
          keptIds.add(d.selectedIds().apply(label + " Tag", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
              .via(id -> KV.of(id, label))));
        }
      }
    }
    if (earlierSummary != null) {
      PCollection<Document> docs = p.apply("ReadCorpus", corpus(earlierSummary)).get(ReadCorpus.DOCUMENTS);
      PCollection<KV<String, Document>> routed = docs.apply("JoinSelections",
          new JoinSelections(PCollectionList.of(keptIds).apply("AllSelected", Flatten.pCollections()), in.shards));
      counts.add(routed.apply("CountJoined", Count.perKey())
          .apply("NameJoinedCounts", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
              .via(kv -> KV.of("selection|" + kv.getKey() + "|documents", kv.getValue()))));
      routed.apply("WriteSelectedDocuments", FileIO.<String, KV<String, Document>>writeDynamic()
          .by(KV::getKey)
          .withDestinationCoder(StringUtf8Coder.of())
          .via(Contextful.fn(kv -> DocumentJson.of(kv.getValue())), TextIO.sink())
          .to(out)
          .withNaming(label -> FileIO.Write.defaultNaming(label + "/selected/part", ".jsonl.gz"))
          .withCompression(Compression.GZIP));
    }
    report.apply();
    PCollectionList.of(counts)
        .apply("AllCounts", Flatten.pCollections())
        .apply("WriteSummary", new WriteSummary(SelectJob.resolve(o.getOutput(), "summary.json"), SelectJob.optionsJson(o, ReselectJobOptions.class), startMillis, ReselectJob::summary));
    return p;
  }

  static List<Double> parseRates(ReselectJobOptions o) {
    List<Double> rates = new ArrayList<>();
    for (String r : SelectJob.split(o.getRates())) {
      try {
        rates.add(Double.parseDouble(r));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--rates must be comma-separated numbers in [0, 1], got '" + r + "'");
      }
      checkArgument(rates.get(rates.size() - 1) >= 0 && rates.get(rates.size() - 1) <= 1, "--rates must be in [0, 1], got %s", r);
    }
    if (rates.isEmpty()) {
      rates.add(o.getRate());
    }
    return rates;
  }

  static List<Double> parseThresholds(ReselectJobOptions o) {
    List<Double> out = new ArrayList<>();
    for (String t : SelectJob.split(o.getThresholds())) {
      try {
        out.add(Double.parseDouble(t));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--thresholds must be comma-separated numbers, got '" + t + "'");
      }
      checkArgument(Double.isFinite(out.get(out.size() - 1)), "--thresholds must be finite, got %s", t);
    }
    return out;
  }

  static List<Long> parseCounts(ReselectJobOptions o) {
    List<Long> counts = new ArrayList<>();
    for (String c : SelectJob.split(o.getCounts())) {
      try {
        counts.add(Long.parseLong(c));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--counts must be comma-separated whole numbers, got '" + c + "'");
      }
      checkArgument(counts.get(counts.size() - 1) >= 0, "--counts must be >= 0, got %s", c);
    }
    if (counts.isEmpty() && SelectJob.split(o.getRates()).isEmpty() && o.getCount() > 0) {
      counts.add(o.getCount());
    }
    return counts;
  }

  private static boolean holdsScores(String dir) {
    try {
      return !FileSystems.match(ReadScores.from(dir).filePattern(), EmptyMatchTreatment.ALLOW).metadata().isEmpty();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static PCollection<DocumentScore> read(Pipeline p, String dir, String name) {
    return p.apply("Read" + name + "Scores", ReadScores.from(dir));
  }

  /** The earlier run's summary.json (its options name the corpus it read). */
  static JsonNode readSummary(String earlier) {
    String path = SelectJob.resolve(earlier, "summary.json");
    try {
      MatchResult m = FileSystems.match(path, EmptyMatchTreatment.ALLOW);
      checkArgument(m.status() == MatchResult.Status.OK && !m.metadata().isEmpty(),
          "--withDocuments reads the corpus named in %s, which does not exist: is --scores the output folder of a finished run?", path);
      ResourceId id = m.metadata().get(0).resourceId();
      try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
        return new ObjectMapper().readTree(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  /** Reads the corpus exactly as the earlier run did, so ids (given or derived) come out the same. */
  static ReadCorpus corpus(JsonNode summary) {
    JsonNode e = summary.path("options");
    checkArgument(e.hasNonNull("input"), "the earlier run's summary.json records no input");
    String input = e.path("input").asText();
    if (input.equals(Demo.glob())) {
      Demo.extract(); // the demo corpus lives in the temporary folder; put it back if it was cleaned
    }
    CorpusOptions current = org.apache.beam.sdk.options.PipelineOptionsFactory.create().as(CorpusOptions.class); // defaults for what the summary lacks
    CorpusOptions copy = org.apache.beam.sdk.options.PipelineOptionsFactory.create().as(CorpusOptions.class);
    copy.setInput(input);
    copy.setFormat(e.hasNonNull("format") ? CaseInsensitiveEnums.parse(CorpusFormat.class, e.path("format").asText()) : current.getFormat());
    copy.setTextField(e.path("textField").asText(current.getTextField()));
    copy.setIdField(e.path("idField").asText(current.getIdField()));
    copy.setMetadataFields(e.path("metadataFields").asText(""));
    copy.setMaxRecordBytes(e.path("maxRecordBytes").asInt(current.getMaxRecordBytes()));
    copy.setCsvHeader(e.path("csvHeader").asText(""));
    copy.setCsvQuoting(e.path("csvQuoting").asBoolean(current.getCsvQuoting()));
    return SelectJob.readCorpus(copy, SelectJob.inputPatterns(input));
  }

  private static PCollection<KV<String, Long>> named(PCollection<Long> count, String name) {
    return count.apply("Name " + name, MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs())).via(n -> KV.of(name, n)));
  }

  /** summary.json of a reselect run: scores read, then per selection its counts and checks. */
  static ObjectNode summary(ObjectMapper mapper, Map<String, Long> counts, JsonNode options, double wallSeconds) {
    ObjectNode root = mapper.createObjectNode();
    ObjectNode scores = root.putObject("scores");
    Map<String, ObjectNode> selections = new LinkedHashMap<>();
    ObjectNode sel = root.putObject("selections");
    for (Map.Entry<String, Long> c : counts.entrySet()) {
      String[] parts = c.getKey().split("\\|");
      if (parts[0].equals("scores")) {
        scores.put(parts[1], c.getValue());
      } else {
        selections.computeIfAbsent(parts[1], l -> sel.putObject(l)).put(parts[2], c.getValue());
      }
    }
    ObjectNode checks = root.putObject("reconciles");
    for (Map.Entry<String, ObjectNode> s : selections.entrySet()) {
      ObjectNode n = s.getValue();
      long scored = n.path("scored").asLong();
      long decided = n.path("selected").asLong() + n.path("rejected").asLong();
      n.put("unscored", scored - decided);
      if (n.path("target").asLong() > 0) {
        n.put("achievedOverTarget", Math.round(1e4 * n.path("selected").asDouble() / n.path("target").asDouble()) / 1e4);
      }
      checks.put(s.getKey() + ".selectedPlusRejectedEqualsScored", decided == scored);
      if (n.has("documents") || options.path("withDocuments").asBoolean(false)) {
        checks.put(s.getKey() + ".documentsEqualSelected", n.path("documents").asLong() == n.path("selected").asLong());
      }
    }
    root.set("options", options);
    root.put("wallSeconds", Math.round(wallSeconds * 1000) / 1000.0);
    return root;
  }

  /** Clears what an earlier reselect run wrote into this output folder. */
  static void clearPreviousOutput(String out) {
    SelectJob.clearParts(out, List.of("selections", "report"));
  }

  /** Routes every corpus document to the selections that kept its id ({@link JoinById}). */
  static final class JoinSelections extends org.apache.beam.sdk.transforms.PTransform<PCollection<Document>, PCollection<KV<String, Document>>> {
    private final PCollection<KV<String, String>> kept;
    private final int shards;

    JoinSelections(PCollection<KV<String, String>> kept, int shards) {
      this.kept = kept;
      this.shards = shards;
    }

    @Override
    public PCollection<KV<String, Document>> expand(PCollection<Document> docs) {
      return docs.apply("Join", JoinById.of(Document::id, kept.setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()))).withShards(shards))
          .apply("Route", ParDo.of(new RouteFn()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), Document.DocumentCoder.of()));
    }
  }

  /** Each document once per selection that kept its id. */
  private static final class RouteFn extends DoFn<JoinById.Joined<Document, String>, KV<String, Document>> {
    @ProcessElement
    public void process(@Element JoinById.Joined<Document, String> j, OutputReceiver<KV<String, Document>> out) {
      if (j.left() != null) {
        for (String label : j.rights()) {
          out.output(KV.of(label, j.left()));
        }
      }
    }
  }
}
