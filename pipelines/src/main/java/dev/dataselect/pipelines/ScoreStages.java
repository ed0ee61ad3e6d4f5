package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.models.score.ScoreMode;
import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.pipelines.options.Kde;
import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.density.KdeDensity;
import dev.dataselect.transforms.density.Kernel;
import dev.dataselect.transforms.density.LshFamily;
import dev.dataselect.transforms.inference.AskLlmScore;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.inference.Embed;
import dev.dataselect.transforms.inference.ReadEmbeddings;
import dev.dataselect.transforms.inference.WriteEmbeddings;
import dev.dataselect.transforms.inference.PerplexityScore;
import dev.dataselect.transforms.inference.WriteScores;
import dev.dataselect.transforms.student.ScoreWithStudent;
import dev.dataselect.transforms.student.StudentModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import javax.annotation.Nullable;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * The model stages of the main job: a quality score (ASK-LLM or perplexity) and/or embeddings →
 * densities, each persisted under {@code out/scores/<name>/} as Parquet (id, score) with the model
 * and mode in the file metadata, so a later select-only run reads them instead of recomputing.
 */
final class ScoreStages {
  private ScoreStages() {}

  /** Launch-time checks: model folders exist and hold their files, enum options parse. */
  static void validate(DataselectOptions o, Sampler sampler, String quality) {
    if (quality.equals("askllm")) {
      Models.askLlm(o);
    } else if (quality.equals("perplexity")) {
      Models.perplexity(o);
    }
    if (sampler.needsDensity()) {
      Models.embedding(o);
      kde(o);
    }
    if (quality.equals("student")) {
      student(o);
    }
  }

  /**
   * The --studentModel of --quality=student, checked against this run's embedding model: a student
   * trained on other embeddings (model, pooling, prefix, token budget) would score nonsense.
   */
  static StudentModel student(DataselectOptions o) {
    checkArgument(!o.getStudentModel().isEmpty(), "--quality=student needs --studentModel=FILE (written by --job=train-student)");
    StudentModel model = StudentModel.read(o.getStudentModel());
    SortedMap<String, String> run = Embed.with(Models.embedding(o)).metadata();
    checkArgument(model.embedding().equals(run),
        "--studentModel=%s was trained on embeddings %s; this run embeds with %s (set --embeddingModel and its options to match)",
        o.getStudentModel(), model.embedding(), run);
    return model;
  }

  static KdeDensity kde(DataselectOptions o) {
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

  static Scored apply(PCollection<Document> docs, DataselectOptions o, Sampler sampler, String quality) {
    String out = SelectJob.resolve(o.getOutput(), "scores");
    List<PCollection<DeadLetter>> dead = new ArrayList<>();
    PCollection<DocumentScore> qualityScores = null;
    if (quality.equals("askllm")) {
      AskLlmScore score = AskLlmScore.with(Models.askLlm(o))
          .withMode(o.getAskLlmMode())
          .withMaxBatchSize(o.getBatchSize());
      if (!o.getAskLlmTemplate().isEmpty()) {
        score = score.withTemplate(o.getAskLlmTemplate());
      }
      PCollectionTuple t = docs.apply("AskLlmScore", score);
      qualityScores = persist(t.get(AskLlmScore.SCORES), out + "askllm/", score.metadata(), "AskLlm");
      StageProgress.done(t.get(AskLlmScore.SCORES), "AskLlmScore");
      dead.add(t.get(AskLlmScore.DEAD_LETTERS));
    } else if (quality.equals("perplexity")) {
      PerplexityScore score = PerplexityScore.with(Models.perplexity(o)).withMaxBatchSize(o.getBatchSize());
      PCollectionTuple t = docs.apply("PerplexityScore", score);
      qualityScores = persist(t.get(PerplexityScore.SCORES), out + "perplexity/", score.metadata(), "Perplexity");
      StageProgress.done(t.get(PerplexityScore.SCORES), "PerplexityScore");
      dead.add(t.get(PerplexityScore.DEAD_LETTERS));
    }
    PCollection<DocumentScore> densities = null;
    PCollection<Embedding> computed = null;
    Embed embed = null;
    if (sampler.needsDensity() || quality.equals("student")) {
      // One embedding pass feeds both the density and the student stages.
      embed = Embed.with(Models.embedding(o)).withMaxBatchSize(o.getBatchSize());
      String cache = o.getEmbeddingsCache();
      if (!cache.isEmpty() && cacheHolds(cache, embed)) {
        computed = docs.getPipeline().apply("ReadEmbeddingsCache", ReadEmbeddings.from(cache));
      } else {
        PCollectionTuple t = docs.apply("Embed", embed);
        dead.add(t.get(Embed.DEAD_LETTERS));
        computed = t.get(Embed.EMBEDDINGS);
        StageProgress.done(computed, "Embed");
        if (!cache.isEmpty()) {
          computed.apply("WriteEmbeddingsCache", WriteEmbeddings.to(cache).withMetadata(embed.metadata()));
        }
      }
      if (quality.equals("student")) {
        StudentModel model = student(o);
        SortedMap<String, String> meta = new java.util.TreeMap<>(embed.metadata());
        meta.put("stage", "student");
        meta.put("student.model", o.getStudentModel());
        meta.put("student.task", model.task().label());
        qualityScores = persist(computed.apply("ScoreWithStudent", ScoreWithStudent.with(model)), out + "student/", meta, "Student");
      }
    }
    if (sampler.needsDensity()) {
      densities = computed.apply("KdeDensity", kde(o));
      StageProgress.track(densities, "density");
      SortedMap<String, String> meta = new java.util.TreeMap<>(embed.metadata());
      meta.put("density.kde", o.getKde().name().toLowerCase(java.util.Locale.ROOT));
      persist(densities, out + "density/", meta, "Density");
    }
    PCollection<DeadLetter> allDead = dead.isEmpty() ? null
        : PCollectionList.of(dead).apply("InferenceDeadLetters", Flatten.pCollections());
    return new Scored(qualityScores, densities, allDead);
  }

  /**
   * True when the cache folder holds embeddings written by the same model settings; a cache from
   * another model fails the launch rather than mixing vector spaces.
   */
  static boolean cacheHolds(String cache, Embed embed) {
    try {
      if (FileSystems.match(ReadEmbeddings.from(cache).filePattern(), EmptyMatchTreatment.ALLOW).metadata().isEmpty()) {
        return false;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("--embeddingsCache=" + cache + " cannot be listed: " + e.getMessage(), e);
    }
    SortedMap<String, String> stored = ReadEmbeddings.metadata(cache);
    checkArgument(
        stored.equals(embed.metadata()),
        "--embeddingsCache=%s holds embeddings of another model or settings: %s; this run needs %s (use another folder)",
        cache, stored, embed.metadata());
    return true;
  }

  /** Writes the scores under {@code dir} (for a later select-only run) and returns them. */
  private static PCollection<DocumentScore> persist(
      PCollection<DocumentScore> scores, String dir, SortedMap<String, String> metadata, String name) {
    scores.apply("Write" + name + "Scores", WriteScores.to(dir).withMetadata(metadata));
    return scores;
  }

  /** What the model stages produced. */
  static final class Scored {
    @Nullable private final PCollection<DocumentScore> quality;
    @Nullable private final PCollection<DocumentScore> densities;
    @Nullable private final PCollection<DeadLetter> deadLetters;

    Scored(@Nullable PCollection<DocumentScore> quality, @Nullable PCollection<DocumentScore> densities,
        @Nullable PCollection<DeadLetter> deadLetters) {
      this.quality = quality;
      this.densities = densities;
      this.deadLetters = deadLetters;
    }

    @Nullable
    PCollection<DeadLetter> deadLetters() {
      return deadLetters;
    }

    /** (id, quality score), or null without --quality. */
    @Nullable
    PCollection<DocumentScore> quality() {
      return quality;
    }

    /** (id, density), or null when the sampler needs none. */
    @Nullable
    PCollection<DocumentScore> densities() {
      return densities;
    }

    /** The sampler's inputs over these scores. */
    Samplers.Inputs inputs(DataselectOptions o, String qualityName, int shards) {
      Samplers.Inputs in = new Samplers.Inputs();
      in.quality = quality;
      in.qualityName = qualityName;
      in.densities = densities;
      in.seed = o.getSeed();
      in.qualityExponent = o.getQualityExponent();
      in.densityExponent = o.getDensityExponent();
      in.shards = shards;
      if (qualityName.equals("student") && quality != null) {
        // The combined sampler weighs q^alpha, so q must be > 0: a logistic student's probability
        // is; a ridge student's score goes through exp(standardised score), which keeps its order.
        StudentModel model = student(o);
        in.combinedQuality = quality
            .apply("StudentPositiveScores", MapElements.into(TypeDescriptor.of(DocumentScore.class))
                .via(s -> DocumentScore.of(s.id(), model.positiveScore(s.score()))));
      }
      return in;
    }
  }
}
