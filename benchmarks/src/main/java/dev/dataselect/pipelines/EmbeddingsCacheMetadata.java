package dev.dataselect.pipelines;

import dev.dataselect.pipelines.options.DataselectOptions;
import dev.dataselect.transforms.inference.Embed;
import java.util.SortedMap;

/**
 * For benchmarks only: the model metadata the main job expects in an {@code --embeddingsCache} for
 * the given options (the same {@link Embed} settings ScoreStages builds), so a benchmark can write a
 * cache that the job accepts. Lives in the pipelines package to reach its package-private Models.
 */
public final class EmbeddingsCacheMetadata {
  private EmbeddingsCacheMetadata() {}

  public static SortedMap<String, String> of(DataselectOptions options) {
    return Embed.with(Models.embedding(options)).withMaxBatchSize(options.getBatchSize()).metadata();
  }
}
