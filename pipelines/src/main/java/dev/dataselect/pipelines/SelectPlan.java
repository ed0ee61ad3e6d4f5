package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.models.ModelConfig;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.Kde;
import dev.dataselect.pipelines.options.ModelOptions;
import dev.dataselect.pipelines.options.OutputFormat;
import dev.dataselect.pipelines.options.Quality;
import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.transforms.cluster.KMeans;
import dev.dataselect.transforms.density.KdeDensity;
import dev.dataselect.transforms.inference.AskLlmScore;
import dev.dataselect.transforms.inference.Embed;
import dev.dataselect.transforms.inference.PerplexityScore;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.io.CorpusFormat;
import dev.dataselect.transforms.io.ReadCorpus;
import dev.dataselect.transforms.io.WriteAsRead;
import dev.dataselect.transforms.io.WriteDocuments;
import dev.dataselect.transforms.select.Target;
import dev.dataselect.transforms.student.StudentModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import javax.annotation.Nullable;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * The main job's options, validated and turned once, at the job's entry, into what its stages are:
 * the reader, the limit, the model stages (their model folders listed and checked here, before any
 * worker starts), the density estimator, the sampler's target and the writer. {@link
 * SelectJob#build(SelectPlan)} composes them and reads no option itself.
 */
final class SelectPlan {
  final DataselectOptions options;
  final List<String> inputs;
  final ReadCorpus read;
  final long limit;
  final long seed;
  final boolean dedup;
  /** Groups of the joins by id: few on the DirectRunner, {@link JoinById#DEFAULT_SHARDS} elsewhere. */
  final int joinShards;
  final boolean onDirectRunner;
  final Sampler sampler;
  final Quality quality;
  final Target target;
  @Nullable final AskLlmScore askLlm;
  @Nullable final PerplexityScore perplexity;
  /** The embedding stage, when the sampler or the student needs embeddings. */
  @Nullable final Embed embed;
  /** Read the embeddings from {@code --embeddingsCache} instead of embedding (it holds this model's). */
  final boolean readEmbeddingsCache;
  @Nullable final KdeDensity kde;
  /** The k-means of --sampler=semdedup and prototypes. */
  @Nullable final KMeans kmeans;
  /** SemDeDup's similarities are computed (the sampler is semdedup, or --allCoverageScores). */
  final boolean semdedup;
  @Nullable final StudentModel student;
  /** How the selected documents are written: {@code selected/} in the resolved --outputFormat. */
  final PTransform<PCollection<Document>, PCollection<String>> write;
  final OutputFormat outputFormat;
  final String output;

  private SelectPlan(DataselectOptions o) {
    FileSystems.setDefaultPipelineOptions(o);
    options = o;
    checkArgument(o.getRate() >= 0 && o.getRate() <= 1, "--rate must be in [0, 1], got %s", o.getRate());
    checkArgument(o.getLimit() >= 0 && o.getLimit() <= 100_000_000L, "--limit must be in [0, 100000000] (0 keeps all), got %s", o.getLimit());
    checkArgument(o.getCount() >= 0, "--count must be >= 0 (0 uses --rate), got %s", o.getCount());
    checkArgument(o.getQualityExponent() >= 0 && o.getDensityExponent() >= 0,
        "--qualityExponent and --densityExponent must be >= 0, got %s and %s", o.getQualityExponent(), o.getDensityExponent());
    checkArgument(o.getBatchSize() >= 1 && o.getBatchSize() <= 4096, "--batchSize must be in [1, 4096], got %s", o.getBatchSize());
    sampler = o.getSampler();
    quality = o.getQuality();
    checkArgument(!sampler.needsQuality() || quality != Quality.NONE,
        "--sampler=%s needs a quality scorer: --quality=askllm, perplexity or student", sampler.label());
    IdentifyLanguages.validate(o);
    ApplyFilters.sets(o); // an unknown --filters entry fails before anything runs
    inputs = SelectJob.inputPatterns(o.getInput());
    List<String> files = SelectJob.requireMatches(inputs);
    outputFormat = outputFormat(o, files);
    ReadCorpus reading = SelectJob.readCorpus(o, inputs);
    read = outputFormat == OutputFormat.SAME ? reading.withOriginalRecords() : reading;
    limit = o.getLimit();
    seed = o.getSeed();
    dedup = o.getDedup();
    onDirectRunner = SelectJob.onDirectRunner(o);
    joinShards = SelectJob.joinShards(o);
    checkArgument(o.getSemdedupEpsilon() >= 0 && o.getSemdedupEpsilon() < 2,
        "--semdedupEpsilon must be in [0, 2) (a cosine distance; 0 uses --rate or --count), got %s", o.getSemdedupEpsilon());
    checkArgument(o.getSemdedupEpsilon() == 0 || sampler == Sampler.SEMDEDUP,
        "--semdedupEpsilon is SemDeDup's threshold: it needs --sampler=semdedup, not %s", sampler.label());
    // SemDeDup keeps a document iff its similarity to the nearest preceding one is <= 1 - epsilon.
    target = o.getSemdedupEpsilon() > 0 ? Target.threshold(1 - o.getSemdedupEpsilon())
        : o.getCount() > 0 ? Target.count(o.getCount()) : Target.rate(o.getRate());

    askLlm = quality != Quality.ASKLLM ? null : askLlm(o);
    perplexity = quality != Quality.PERPLEXITY ? null : perplexity(o);
    boolean allCoverage = o.getAllCoverageScores();
    boolean embeds = sampler.needsDensity() || sampler.needsClusters() || allCoverage || quality == Quality.STUDENT;
    embed = embeds ? Embed.with(Models.embedding(o)).withMaxBatchSize(o.getBatchSize()) : null;
    readEmbeddingsCache = embeds && !o.getEmbeddingsCache().isEmpty() && ScoreStages.cacheHolds(o.getEmbeddingsCache(), embed);
    kde = sampler.needsDensity() || allCoverage ? kde(o) : null;
    checkArgument(o.getClusters() >= 1 && o.getClusters() <= 1_000_000, "--clusters must be in [1, 1000000], got %s", o.getClusters());
    checkArgument(o.getKmeansIterations() >= 0 && o.getKmeansIterations() <= 100,
        "--kmeansIterations must be in [0, 100], got %s", o.getKmeansIterations());
    checkArgument(o.getSemdedupBlockSize() >= 2, "--semdedupBlockSize must be >= 2, got %s", o.getSemdedupBlockSize());
    kmeans = sampler.needsClusters() || allCoverage
        ? KMeans.of(o.getClusters()).withSeed(o.getSeed()).withMaxIterations(o.getKmeansIterations())
        : null;
    student = quality == Quality.STUDENT ? student(o, embed) : null;
    semdedup = sampler == Sampler.SEMDEDUP || allCoverage;
    output = o.getOutput();
    checkArgument(o.getOutputShards() >= 0, "--outputShards must be >= 0 (0 writes like the input), got %s", o.getOutputShards());
    String selectedDir = SelectJob.resolve(output, "selected");
    if (outputFormat == OutputFormat.SAME) {
      checkArgument(o.getOutputShards() == 0 || !CorpusFormat.fromFileName(files.get(0)).equals(java.util.Optional.of(CorpusFormat.ARROW))
              && o.getFormat() != CorpusFormat.ARROW,
          "--outputFormat=same writes Arrow records back one file per input file: leave --outputShards at 0, or use --outputFormat=jsonl or parquet");
      WriteAsRead same = WriteAsRead.to(selectedDir, read.settings()).withShards(o.getOutputShards());
      same.checkDistinctNames(files);
      write = same;
    } else {
      write = WriteDocuments.to(selectedDir)
            .withFormat(outputFormat == OutputFormat.PARQUET ? WriteDocuments.Format.PARQUET : WriteDocuments.Format.JSONL)
            .withShards(o.getOutputShards());
    }
  }

  /**
   * --outputFormat, or its default: same when every input file has one format that can be written
   * back as read, else jsonl (and jsonl for pick-for-labelling, whose output is joined back by id).
   */
  static OutputFormat outputFormat(DataselectOptions o, List<String> files) {
    // A file of no known format (a _SUCCESS marker, a README) is a dead letter, not a format.
    Set<CorpusFormat> formats = new TreeSet<>();
    for (String f : files) {
      CorpusFormat.fromFileName(f.substring(f.lastIndexOf('/') + 1)).ifPresent(formats::add);
    }
    if (o.getFormat() != CorpusFormat.AUTO) {
      formats = Set.of(o.getFormat());
    }
    boolean writable = formats.size() == 1 && WriteAsRead.canWriteBack(formats.iterator().next());
    OutputFormat asked = o.getOutputFormat();
    if (asked == null) {
      return writable && !PickForLabelling.isJob(o) ? OutputFormat.SAME : OutputFormat.JSONL;
    }
    checkArgument(asked != OutputFormat.SAME || !PickForLabelling.isJob(o),
        "--job=pick-for-labelling writes documents with their ids (the labels are joined back by id): "
            + "use --outputFormat=jsonl or parquet, not same");
    checkArgument(asked != OutputFormat.SAME || writable,
        "--outputFormat=same writes the records back in their one input format, but the input files are %s: "
            + "same writes JSONL, CSV, TSV, Parquet, Arrow, text lines, WET and WARC; use --outputFormat=jsonl or parquet",
        formats.isEmpty() ? "of no known format"
            : formats.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).collect(java.util.stream.Collectors.joining(" and ")));
    return asked;
  }

  static SelectPlan of(DataselectOptions options) {
    return new SelectPlan(options);
  }

  /** The models of the plan's model stages (embedding, ASK-LLM, perplexity), for {@link ModelWarmup}. */
  List<ModelConfig> models() {
    List<ModelConfig> models = new ArrayList<>();
    if (embed != null) {
      models.add(embed.model());
    }
    if (askLlm != null) {
      models.add(askLlm.model());
    }
    if (perplexity != null) {
      models.add(perplexity.model());
    }
    return models;
  }

  /** The ASK-LLM stage the model options describe (the main job's scorer, train-student's teacher). */
  static AskLlmScore askLlm(ModelOptions o) {
    AskLlmScore score = AskLlmScore.with(Models.askLlm(o)).withMode(o.getAskLlmMode()).withMaxBatchSize(o.getBatchSize());
    return o.getAskLlmTemplate().isEmpty() ? score : score.withTemplate(o.getAskLlmTemplate());
  }

  /** The perplexity stage the model options describe. */
  static PerplexityScore perplexity(ModelOptions o) {
    return PerplexityScore.with(Models.perplexity(o)).withMaxBatchSize(o.getBatchSize());
  }

  private static KdeDensity kde(DataselectOptions o) {
    if (o.getKde() == Kde.SKETCH) {
      return KdeDensity.raceSketch()
          .withSeed(o.getSeed())
          .withRows(o.getSketchRows())
          .withBuckets(o.getSketchBuckets())
          .withHashFamily(o.getSketchHash());
    }
    KdeDensity.ReferenceSampleKde k = KdeDensity.referenceSample()
        .withSeed(o.getSeed())
        .withSampleSize(o.getKdeSampleSize())
        .withKernel(o.getKdeKernel());
    return o.getKdeBandwidth() > 0 ? k.withBandwidth(o.getKdeBandwidth()) : k;
  }

  /**
   * The --studentModel of --quality=student, checked against this run's embedding model: a student
   * trained on other embeddings (model, pooling, prefix, token budget) would score nonsense. A
   * signals-only student reads no embedding.
   */
  private static StudentModel student(DataselectOptions o, Embed embed) {
    checkArgument(!o.getStudentModel().isEmpty(), "--quality=student needs --studentModel=FILE (written by --job=train-student)");
    StudentModel model = StudentModel.read(o.getStudentModel());
    SortedMap<String, String> run = embed.metadata();
    checkArgument(!model.features().usesEmbedding() || model.embedding().equals(run),
        "--studentModel=%s was trained on embeddings %s; this run embeds with %s (set --embeddingModel and its options to match)",
        o.getStudentModel(), model.embedding(), run);
    return model;
  }

  /** The folder the model stages persist their scores in: {@code <output>/scores/}. */
  String scoresDir() {
    return SelectJob.resolve(output, "scores");
  }

  /** {@code --kde} as written, for the densities' file metadata. */
  String kdeName() {
    return options.getKde().name().toLowerCase(Locale.ROOT);
  }
}
