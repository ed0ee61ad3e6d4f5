package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkArgument;

import dev.dataselect.pipelines.options.Sampler;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.JoinById;
import dev.dataselect.transforms.cluster.Centroids;
import dev.dataselect.transforms.cluster.KMeans;
import dev.dataselect.transforms.cluster.NearestPreceding;
import dev.dataselect.transforms.cluster.SemDeDup;
import dev.dataselect.transforms.density.KdeDensity;
import dev.dataselect.transforms.inference.AskLlmScore;
import dev.dataselect.transforms.inference.Embed;
import dev.dataselect.transforms.inference.PerplexityScore;
import dev.dataselect.transforms.inference.ReadEmbeddings;
import dev.dataselect.transforms.inference.ScoreStore;
import dev.dataselect.transforms.inference.WriteEmbeddings;
import dev.dataselect.transforms.inference.WriteScores;
import dev.dataselect.transforms.select.ScoreOrder;
import dev.dataselect.transforms.student.ScoreWithStudent;
import dev.dataselect.transforms.student.StudentModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import javax.annotation.Nullable;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The model stages of the main job: a quality score (ASK-LLM or perplexity) and/or embeddings →
 * densities, each persisted under {@code out/scores/<name>/} as Parquet (id, score) with the model
 * and mode in the file metadata, so a later select-only run reads them instead of recomputing.
 */
final class ScoreStages {
  private ScoreStages() {}

  private static final TupleTag<Embedding> CACHED = new TupleTag<>("cached") {};
  private static final TupleTag<DeadLetter> NOT_CACHED = new TupleTag<>("notCached") {};

  /** A cached vector of a corpus document, kept; a corpus document without one, a dead letter. */
  private static final class KeepCorpusVectors extends DoFn<JoinById.Joined<Embedding, String>, Embedding> {
    private final String cache;

    KeepCorpusVectors(String cache) {
      this.cache = cache;
    }

    @ProcessElement
    public void process(@Element JoinById.Joined<Embedding, String> j, MultiOutputReceiver out) {
      if (j.rights().isEmpty()) {
        return; // a vector of a document this run does not score
      }
      if (j.left() == null) {
        out.get(NOT_CACHED).output(DeadLetter.of(DeadLetter.Reason.INFERENCE_FAILED, j.rights().get(0),
            "no embedding in --embeddingsCache=" + cache + " (written over another corpus?): --scoreStore embeds only what is missing",
            "{\"id\": \"" + j.id().replace("\\", "\\\\").replace("\"", "\\\"") + "\"}"));
        return;
      }
      out.get(CACHED).output(j.left());
    }
  }

  /** {@code --scoreStore}, or null. */
  @javax.annotation.Nullable
  static ScoreStore store(SelectPlan plan) {
    return ScoreStore.fromOptions(plan.options.getScoreStore(), plan.options.getScoreStoreFlushEntries(), plan.joinShards);
  }

  /**
   * A stage through the store, its served and scored documents counted in summary.json under {@code
   * store.<name>Served} / {@code store.<name>Scored}, and unreadable store files under {@code store.skippedFiles}.
   */
  static PTransform<PCollection<Document>, PCollectionTuple> stored(ScoreStore.Stored<?> stage, JobCounts counts, String label) {
    return new PTransform<PCollection<Document>, PCollectionTuple>() {
      @Override
      public PCollectionTuple expand(PCollection<Document> docs) {
        PCollectionTuple t = docs.apply("ThroughStore", stage);
        counts.count(t.get(ScoreStore.SERVED), "store." + label + "Served");
        counts.count(t.get(ScoreStore.SCORED), "store." + label + "Scored");
        counts.count(t.get(ScoreStore.SKIPPED_FILES), "store.skippedFiles");
        return t;
      }
    };
  }

  /** Applies the model stages the plan holds to {@code docs}; persists their scores under {@code scores/}. */
  static Scored apply(PCollection<Document> docs, SelectPlan plan, JobCounts counts) {
    String out = plan.scoresDir();
    List<PCollection<DeadLetter>> dead = new ArrayList<>();
    PCollection<DocumentScore> qualityScores = null;
    ScoreStore store = store(plan);
    if (plan.askLlm != null) {
      PCollectionTuple t = docs.apply("AskLlmScore", store == null ? plan.askLlm : stored(store.askLlm(plan.askLlm), counts, "askllm"));
      qualityScores = persist(t.get(AskLlmScore.SCORES), out + "askllm/", plan.askLlm.metadata(), "AskLlm");
      counts.done(t.get(AskLlmScore.SCORES), "AskLlmScore");
      dead.add(t.get(AskLlmScore.DEAD_LETTERS));
    } else if (plan.perplexity != null) {
      PCollectionTuple t = docs.apply("PerplexityScore",
          store == null ? plan.perplexity : stored(store.perplexity(plan.perplexity), counts, "perplexity"));
      qualityScores = persist(t.get(PerplexityScore.SCORES), out + "perplexity/", plan.perplexity.metadata(), "Perplexity");
      counts.done(t.get(PerplexityScore.SCORES), "PerplexityScore");
      dead.add(t.get(PerplexityScore.DEAD_LETTERS));
    }
    PCollection<DocumentScore> densities = null;
    PCollection<Embedding> embeddings = null;
    if (plan.embed != null) {
      // One embedding pass feeds the density, the clusters and the student stages.
      String cache = plan.options.getEmbeddingsCache();
      if (plan.readEmbeddingsCache) {
        // The cache may hold vectors of documents this run does not score (filtered, deduplicated,
        // beyond --limit, or of another corpus): only the corpus's own are kept, and a document the
        // cache lacks is a dead letter, not a silent gap.
        PCollection<Embedding> cached = docs.getPipeline().apply("ReadEmbeddingsCache", ReadEmbeddings.from(cache));
        PCollection<KV<String, String>> sources = docs.apply("CorpusIds",
            MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings())).via(d -> KV.of(d.id(), d.source())));
        PCollectionTuple kept = cached
            .apply("CachedForCorpus", JoinById.of(Embedding::id, sources).withShards(plan.joinShards))
            .apply("KeepCorpusVectors", ParDo.of(new KeepCorpusVectors(cache)).withOutputTags(CACHED, TupleTagList.of(NOT_CACHED)));
        embeddings = kept.get(CACHED).setCoder(cached.getCoder());
        dead.add(kept.get(NOT_CACHED));
      } else {
        PCollectionTuple t = docs.apply("Embed", store == null ? plan.embed : stored(store.embed(plan.embed), counts, "embed"));
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
        meta.put("student.features", plan.student.features().label());
        ScoreWithStudent score = ScoreWithStudent.with(plan.student).withShards(plan.joinShards);
        if (plan.student.features().usesSignals()) {
          score = score.withDocuments(docs);
        }
        qualityScores = persist(embeddings.apply("ScoreWithStudent", score), out + "student/", meta, "Student");
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
    Scored scored = new Scored(qualityScores, densities, allDead);
    if (plan.kmeans != null) {
      scored.clusterScores = clusterScores(embeddings, plan, qualityScores, counts, scored);
    }
    return scored;
  }

  /**
   * k-means of the embeddings, its centroids written to {@code clusters/}, then the sampler's score:
   * each document's cosine distance to its centroid (prototypes) or its similarity to the nearest
   * preceding document of its cluster (SemDeDup; with the nearest one's id written beside it).
   */
  private static PCollection<DocumentScore> clusterScores(PCollection<Embedding> embeddings, SelectPlan plan,
      @Nullable PCollection<DocumentScore> quality, JobCounts counts, Scored scored) {
    String out = plan.scoresDir();
    KMeans.Result clusters = embeddings.apply("KMeans", plan.kmeans);
    counts.done(clusters.assignments(), "KMeans");
    clusters.centroids()
        .apply("CentroidsJson", ParDo.of(new CentroidsJsonFn()))
        .apply("WriteCentroids", TextIO.write().to(SelectJob.resolve(plan.output, "clusters") + "centroids").withSuffix(".jsonl").withNumShards(1));
    SortedMap<String, String> meta = new java.util.TreeMap<>(plan.embed.metadata());
    meta.put("clusters.k", String.valueOf(plan.kmeans.k()));
    meta.put("clusters.seed", String.valueOf(plan.seed));
    // The prototypes' score comes with every clustering (one map over the assignments), so the
    // reselect job can draw prototypes at any rate after a SemDeDup run too.
    SortedMap<String, String> protoMeta = new java.util.TreeMap<>(meta);
    protoMeta.put("stage", "prototypes");
    protoMeta.put("score", "cosine distance to the cluster's centroid");
    PCollection<DocumentScore> distances = persist(clusters.assignments().apply("DistanceToCentroid",
        MapElements.into(TypeDescriptor.of(DocumentScore.class)).via(a -> DocumentScore.of(a.id(), a.distance()))),
        out + "prototypes/", protoMeta, "Prototypes");
    if (!plan.semdedup) {
      return distances;
    }
    SemDeDup dedup = SemDeDup.within(clusters.centroidsView())
        .withSeed(plan.seed)
        .withBlockSize(plan.options.getSemdedupBlockSize())
        .withShards(plan.joinShards);
    if (quality != null) {
      // Higher quality precedes (and is kept); a perplexity is better when lower.
      boolean lowerIsBetter = Samplers.qualityOrder(plan.quality.label()) == ScoreOrder.LOWEST_FIRST;
      dedup = dedup.withQuality(lowerIsBetter
          ? quality.apply("NegatePerplexity", MapElements.into(TypeDescriptor.of(DocumentScore.class)).via(q -> DocumentScore.of(q.id(), -q.score())))
          : quality);
    }
    PCollection<NearestPreceding> nearest = embeddings.apply("SemDeDup", dedup);
    scored.duplicates = nearest.apply("DuplicateOf", ParDo.of(new DoFn<NearestPreceding, KV<String, String>>() {
      @ProcessElement
      public void process(@Element NearestPreceding n, OutputReceiver<KV<String, String>> out) {
        if (n.duplicateOf() != null) {
          out.output(KV.of(n.id(), n.duplicateOf()));
        }
      }
    }));
    nearest
        .apply("NearestPrecedingJson", MapElements.into(TypeDescriptors.strings()).via(ScoreStages::nearestJson))
        .apply("WriteNearestPreceding", TextIO.write().to(out + "semdedup-nearest/part").withSuffix(".jsonl").withCompression(Compression.GZIP));
    meta.put("stage", "semdedup");
    meta.put("score", "cosine similarity to the nearest preceding document of the cluster (-1: none)");
    PCollection<DocumentScore> similarities = persist(nearest.apply("SemDeDupScores", MapElements.into(TypeDescriptor.of(DocumentScore.class)).via(NearestPreceding::score)),
        out + "semdedup/", meta, "SemDeDup");
    return plan.sampler == Sampler.PROTOTYPES ? distances : similarities;
  }

  /** {"id", "similarity", "duplicateOf"} (duplicateOf absent when nothing precedes the document). */
  static String nearestJson(NearestPreceding n) {
    com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
    o.put("id", n.id());
    o.put("similarity", n.similarity());
    if (n.duplicateOf() != null) {
      o.put("duplicateOf", n.duplicateOf());
    }
    return o.toString();
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** One line per centroid: {"cluster", "size", "iteration", "shift", "converged", "vector"}. */
  static final class CentroidsJsonFn extends DoFn<Centroids, String> {
    @ProcessElement
    public void process(@Element Centroids c, OutputReceiver<String> out) {
      for (int i = 0; i < c.k(); i++) {
        com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
        o.put("cluster", i);
        o.put("size", c.size(i));
        o.put("iteration", c.iteration());
        o.put("shift", c.shift());
        o.put("converged", c.converged());
        com.fasterxml.jackson.databind.node.ArrayNode v = o.putArray("vector");
        for (float x : c.centroid(i)) {
          v.add(x);
        }
        out.output(o.toString());
      }
    }
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
    /** The semdedup or prototypes score, when the sampler is one of them. */
    @Nullable PCollection<DocumentScore> clusterScores;
    /** SemDeDup's (id, nearest preceding id), for the report's examples. */
    @Nullable PCollection<KV<String, String>> duplicates;
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
      if (plan.sampler == Sampler.SEMDEDUP) {
        in.semdedup = clusterScores;
      } else if (plan.sampler == Sampler.PROTOTYPES) {
        in.prototypes = clusterScores;
      }
      in.seed = plan.seed;
      in.qualityExponent = plan.options.getQualityExponent();
      in.densityExponent = plan.options.getDensityExponent();
      in.shards = plan.joinShards;
      if (plan.student != null && quality != null) {
        // The combined sampler weighs q^alpha, so q must be > 0: a logistic student's probability
        // is; a ridge student's score goes through exp(standardised score), which keeps its order.
        StudentModel model = plan.student;
        in.combinedQuality = PickForLabelling.isJob(plan.options)
            ? quality.apply("StudentUncertainty", MapElements.into(TypeDescriptor.of(DocumentScore.class))
                .via(s -> DocumentScore.of(s.id(), model.uncertainty(s.score()))))
            : quality.apply("StudentPositiveScores", MapElements.into(TypeDescriptor.of(DocumentScore.class))
                .via(s -> DocumentScore.of(s.id(), model.positiveScore(s.score()))));
      }
      return in;
    }
  }
}
