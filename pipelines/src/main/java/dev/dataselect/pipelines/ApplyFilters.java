package dev.dataselect.pipelines;

import dev.dataselect.pipelines.options.CorpusOptions;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.signals.FilterByRules;
import dev.dataselect.transforms.signals.RuleSet;
import java.util.List;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;

/** The main job's {@code --filters} stage: the published heuristic filters, before the limit and the models. */
final class ApplyFilters {
  private ApplyFilters() {}

  /** The rule sets {@code --filters} names, in its order; fails naming the option on an unknown one. */
  static List<RuleSet> sets(CorpusOptions options) {
    try {
      return FilterByRules.parse(options.getFilters());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--filters: " + e.getMessage(), e);
    }
  }

  /**
   * The documents every chosen rule passes ({@code docs} when there are none); the others are
   * counted under {@code filtered} and by rule under {@code filters.<rule>} in summary.json.
   */
  static PCollection<Document> apply(PCollection<Document> docs, CorpusOptions options, JobCounts counts) {
    List<RuleSet> sets = sets(options);
    if (sets.isEmpty()) {
      return docs;
    }
    PCollectionTuple split = docs.apply("FilterByRules", FilterByRules.of(sets));
    PCollection<Document> filtered = split.get(FilterByRules.FILTERED);
    counts.count(filtered, "filtered");
    counts.add(filtered
        .apply("FilterRule", MapElements.into(TypeDescriptors.strings())
            .via(d -> "filters." + d.metadata().get(FilterByRules.FILTER_FIELD)))
        .apply("CountPerRule", Count.perElement()));
    PCollection<Document> kept = split.get(FilterByRules.KEPT);
    counts.track(kept, "filters");
    return kept;
  }
}
