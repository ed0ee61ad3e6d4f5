package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.density.KdeDensity;
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

  /** Applies the model stages the plan holds to {@code docs}; persists their scores under {@code scores/}. */
  static Scored apply(PCollection<Document> docs, SelectPlan plan, JobCounts counts) {
    String out = plan.scoresDir();
    List<PCollection<DeadLetter>> dead = new ArrayList<>();
    PCollection<DocumentScore> qualityScores = null;
    if (plan.askLlm != null) {
      PCollectionTuple t = docs.apply("AskLlmScore", plan.askLlm);
      qualityScores = persist(t.get(AskLlmScore.SCORES), out + "askllm/", plan.askLlm.metadata(), "AskLlm");
      counts.done(t.get(AskLlmScore.SCORES), "AskLlmScore");
      dead.add(t.get(AskLlmScore.DEAD_LETTERS));
    } else if (plan.perplexity != null) {
      PCollectionTuple t = docs.apply("PerplexityScore", plan.perplexity);
      qualityScores = persist(t.get(PerplexityScore.SCORES), out + "perplexity/", plan.perplexity.metadata(), "Perplexity");
      counts.done(t.get(PerplexityScore.SCORES), "PerplexityScore");
      dead.add(t.get(PerplexityScore.DEAD_LETTERS));
    }
    PCollection<DocumentScore> densities = null;
    if (plan.embed != null) {
      // One embedding pass feeds both the density and the student stages.
      PCollection<Embedding> embeddings;
      String cache = plan.options.getEmbeddingsCache();
      if (plan.readEmbeddingsCache) {
        embeddings = docs.getPipeline().apply("ReadEmbeddingsCache", ReadEmbeddings.from(cache));
      } else {
        PCollectionTuple t = docs.apply("Embed", plan.embed);
        dead.add(t.get(Embed.DEAD_LETTERS));
        embeddings = t.get(Embed.EMBEDDINGS);
        counts.done(embeddings, "Embed");
        if (!cache.isEmpty()) {
          embeddings.apply("WriteEmbeddingsCache", WriteEmbeddings.to(cache).withMetadata(plan.embed.metadata()));
        }
      }
      if (plan.student != null) {
        SortedMap<String, String> meta = new java.util.TreeMap<>(plan.embed.metadata());
        meta.put("stage", "student");
        meta.put("student.model", plan.options.getStudentModel());
        meta.put("student.task", plan.student.task().label());
        qualityScores = persist(embeddings.apply("ScoreWithStudent", ScoreWithStudent.with(plan.student)), out + "student/", meta, "Student");
      }
      if (plan.kde != null) {
        densities = embeddings.apply("KdeDensity", plan.kde);
        counts.track(densities, "density");
        SortedMap<String, String> meta = new java.util.TreeMap<>(plan.embed.metadata());
        meta.put("density.kde", plan.kdeName());
        persist(densities, out + "density/", meta, "Density");
      }
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
    Samplers.Inputs inputs(SelectPlan plan) {
      Samplers.Inputs in = new Samplers.Inputs();
      in.quality = quality;
      in.qualityName = plan.quality.label();
      in.densities = densities;
      in.seed = plan.seed;
      in.qualityExponent = plan.options.getQualityExponent();
      in.densityExponent = plan.options.getDensityExponent();
      in.shards = plan.joinShards;
      if (plan.student != null && quality != null) {
        // The combined sampler weighs q^alpha, so q must be > 0: a logistic student's probability
        // is; a ridge student's score goes through exp(standardised score), which keeps its order.
        StudentModel model = plan.student;
        in.combinedQuality = quality
            .apply("StudentPositiveScores", MapElements.into(TypeDescriptor.of(DocumentScore.class))
                .via(s -> DocumentScore.of(s.id(), model.positiveScore(s.score()))));
      }
      return in;
    }
  }
}
