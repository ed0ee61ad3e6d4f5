package dev.dataselect.pipelines;

import dev.dataselect.transforms.Document;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Joins keep/drop decisions made over ids (by samplers that see only scores) back onto the
 * documents: {@link #SELECTED}, {@link #REJECTED}, and {@link #UNSCORED} for documents no decision
 * names (a model stage failed on them; their dead letters say why).
 */
final class JoinDecisions extends PTransform<PCollection<Document>, PCollectionTuple> {
  static final TupleTag<Document> SELECTED = new TupleTag<>("selected") {};
  static final TupleTag<Document> REJECTED = new TupleTag<>("rejected") {};
  static final TupleTag<Document> UNSCORED = new TupleTag<>("unscored") {};

  private final PCollection<String> selectedIds;
  private final PCollection<String> rejectedIds;

  JoinDecisions(PCollection<String> selectedIds, PCollection<String> rejectedIds) {
    this.selectedIds = selectedIds;
    this.rejectedIds = rejectedIds;
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    TupleTag<Document> docTag = new TupleTag<>("docs");
    TupleTag<Boolean> keepTag = new TupleTag<>("keep");
    PCollection<KV<String, Boolean>> decisions =
        PCollectionList.of(
                selectedIds.apply("Keep", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, true))))
            .and(rejectedIds.apply("Drop", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, false))))
            .apply("Decisions", Flatten.pCollections())
            .setCoder(KvCoder.of(StringUtf8Coder.of(), BooleanCoder.of()));
    PCollection<KV<String, Document>> keyed =
        docs.apply("ById", WithKeys.of(Document::id).withKeyType(TypeDescriptors.strings()));
    PCollectionTuple out =
        KeyedPCollectionTuple.of(docTag, keyed)
            .and(keepTag, decisions)
            .apply("Join", CoGroupByKey.create())
            .apply("Route", ParDo.of(new RouteFn(docTag, keepTag)).withOutputTags(SELECTED, TupleTagList.of(REJECTED).and(UNSCORED)));
    for (TupleTag<Document> tag : java.util.List.of(SELECTED, REJECTED, UNSCORED)) {
      out.get(tag).setCoder(Document.DocumentCoder.of());
    }
    return out;
  }

  private static final class RouteFn extends DoFn<KV<String, CoGbkResult>, Document> {
    private final TupleTag<Document> docTag;
    private final TupleTag<Boolean> keepTag;

    RouteFn(TupleTag<Document> docTag, TupleTag<Boolean> keepTag) {
      this.docTag = docTag;
      this.keepTag = keepTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> group, MultiOutputReceiver out) {
      Boolean keep = null;
      for (Boolean k : group.getValue().getAll(keepTag)) {
        keep = k;
      }
      TupleTag<Document> target = keep == null ? UNSCORED : keep ? SELECTED : REJECTED;
      for (Document d : group.getValue().getAll(docTag)) {
        out.get(target).output(d);
      }
    }
  }
}
