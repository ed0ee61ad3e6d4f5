package dev.dataselect.transforms.signals;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableList;
import dev.dataselect.transforms.Document;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The published heuristic filters ({@link RuleSet}: Gopher, C4, FineWeb) over documents: each
 * document's {@link TextSignals} are computed once and checked against every chosen set's rules.
 *
 * <p>Outputs: {@link #KEPT}, the documents every rule passes; {@link #FILTERED}, the others, each
 * with the id of the first rule that dropped it in its metadata field {@value #FILTER_FIELD} (sets
 * in the order given, rules in their set's order). A filtered document is a decision with a
 * reason, not a dead letter: nothing is lost, kept + filtered = input.
 *
 * <pre>{@code
 * PCollectionTuple split = docs.apply(FilterByRules.of(List.of(RuleSet.GOPHER, RuleSet.FINEWEB)));
 * PCollection<Document> clean = split.get(FilterByRules.KEPT);
 * }</pre>
 *
 * <p>Cost: a few passes over each text plus hash maps of its word n-grams (2- to 10-grams), linear
 * in its length; no model, no shuffle. Run it before the model stages so they never see what the
 * rules drop.
 */
public final class FilterByRules extends PTransform<PCollection<Document>, PCollectionTuple> {
  /** Documents every rule passes. */
  public static final TupleTag<Document> KEPT = new TupleTag<>("kept") {};
  /** Documents a rule dropped, the rule's id in their {@value #FILTER_FIELD} metadata field. */
  public static final TupleTag<Document> FILTERED = new TupleTag<>("filtered") {};
  /** The metadata field naming the rule that dropped a document, e.g. {@code gopher.min_words}. */
  public static final String FILTER_FIELD = "filter";

  private final ImmutableList<RuleSet> sets;

  private FilterByRules(ImmutableList<RuleSet> sets) {
    this.sets = sets;
  }

  /** The given rule sets, checked in this order (duplicates ignored); at least one. */
  public static FilterByRules of(Collection<RuleSet> sets) {
    checkArgument(sets != null && !sets.isEmpty(), "at least one rule set is needed");
    List<RuleSet> distinct = new ArrayList<>();
    for (RuleSet s : sets) {
      if (!distinct.contains(s)) {
        distinct.add(s);
      }
    }
    return new FilterByRules(ImmutableList.copyOf(distinct));
  }

  /** Parses {@code gopher,c4,fineweb} (any case, any order; blank entries ignored). */
  public static List<RuleSet> parse(String csv) {
    List<RuleSet> out = new ArrayList<>();
    for (String part : csv == null ? new String[0] : csv.split(",")) {
      if (!part.isBlank()) {
        out.add(RuleSet.of(part));
      }
    }
    return out;
  }

  public List<RuleSet> sets() {
    return sets;
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    PCollectionTuple out = docs.apply("Check rules",
        ParDo.of(new CheckFn(sets)).withOutputTags(KEPT, TupleTagList.of(FILTERED)));
    out.get(KEPT).setCoder(Document.DocumentCoder.of());
    out.get(FILTERED).setCoder(Document.DocumentCoder.of());
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("ruleSets", sets.stream().map(RuleSet::label).collect(Collectors.joining(","))));
  }

  private static final class CheckFn extends DoFn<Document, Document> {
    private final ImmutableList<RuleSet> sets;
    private final Counter kept = Metrics.counter(FilterByRules.class, "kept");
    private final Counter filtered = Metrics.counter(FilterByRules.class, "filtered");

    CheckFn(ImmutableList<RuleSet> sets) {
      this.sets = sets;
    }

    @ProcessElement
    public void process(@Element Document doc, MultiOutputReceiver out) {
      TextSignals signals = TextSignals.of(doc.text());
      for (RuleSet set : sets) {
        String rule = set.firstFailure(signals);
        if (rule != null) {
          TreeMap<String, String> meta = new TreeMap<>(doc.metadata());
          meta.put(FILTER_FIELD, rule);
          out.get(FILTERED).output(doc.withMetadata(meta));
          filtered.inc();
          return;
        }
      }
      kept.inc();
      out.get(KEPT).output(doc);
    }
  }
}
