package dev.dataselect.pipelines;

import dev.dataselect.pipelines.options.CorpusOptions;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.signals.FilterByRules;
import dev.dataselect.transforms.signals.RuleSet;
import dev.dataselect.transforms.signals.Signal;
import dev.dataselect.transforms.signals.TextSignals;
import dev.dataselect.transforms.signals.WriteSignals;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;

/**
 * The main job's text-signal stages, before the limit and the models: {@code --signals} (persist
 * every document's signals) and {@code --filters} (the published heuristic filters).
 */
final class ApplyFilters {
  private ApplyFilters() {}

  /** The signals the report draws with {@code --signals} (all 35 are in the Parquet files). */
  static final List<Signal> REPORTED = List.of(
      Signal.WORDS, Signal.STOP_WORD_FRACTION, Signal.TERMINAL_PUNCTUATION_LINE_FRACTION, Signal.DUPLICATE_LINE_CHAR_FRACTION);

  /**
   * With {@code --signals}: writes every document's signals under {@code scoresDir/signals/} and
   * returns the {@link #REPORTED} ones as (id, value) by report name ({@code signal.words}); else
   * nothing.
   */
  static Map<String, PCollection<DocumentScore>> signals(PCollection<Document> docs, CorpusOptions options, String scoresDir) {
    if (!options.getSignals()) {
      return Map.of();
    }
    docs.apply("WriteSignals", WriteSignals.to(scoresDir + "signals/").withMetadata(Map.of("stage", "signals")));
    List<TupleTag<DocumentScore>> tags = new ArrayList<>();
    for (Signal s : REPORTED) {
      tags.add(new TupleTag<>(s.column()) {});
    }
    PCollectionTuple values = docs.apply("ReportedSignals", ParDo.of(new ReportedFn(tags))
        .withOutputTags(tags.get(0), TupleTagList.of(new ArrayList<>(tags.subList(1, tags.size())))));
    Map<String, PCollection<DocumentScore>> out = new LinkedHashMap<>();
    for (int i = 0; i < REPORTED.size(); i++) {
      out.put("signal." + REPORTED.get(i).column(), values.get(tags.get(i)).setCoder(DocumentScore.DocumentScoreCoder.of()));
    }
    return out;
  }

  /** (id, value) of each {@link #REPORTED} signal, computed once per document. */
  private static final class ReportedFn extends DoFn<Document, DocumentScore> {
    private final List<TupleTag<DocumentScore>> tags;

    ReportedFn(List<TupleTag<DocumentScore>> tags) {
      this.tags = tags;
    }

    @ProcessElement
    public void process(@Element Document d, MultiOutputReceiver out) {
      TextSignals s = TextSignals.of(d.text());
      for (int i = 0; i < tags.size(); i++) {
        out.get(tags.get(i)).output(DocumentScore.of(d.id(), s.get(REPORTED.get(i))));
      }
    }
  }

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
    counts.countBy(filtered, "CountPerRule", d -> "filters." + d.metadata().get(FilterByRules.FILTER_FIELD));
    PCollection<Document> kept = split.get(FilterByRules.KEPT);
    counts.track(kept, "filters");
    return kept;
  }
}
