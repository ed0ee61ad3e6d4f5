package dev.dataselect.pipelines;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.JoinById;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
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
 * names (a model stage failed on them; their dead letters say why). The join is {@link JoinById}
 * (hash-sharded groups; few shards on the DirectRunner).
 */
final class JoinDecisions extends PTransform<PCollection<Document>, PCollectionTuple> {
  static final TupleTag<Document> SELECTED = new TupleTag<>("selected") {};
  static final TupleTag<Document> REJECTED = new TupleTag<>("rejected") {};
  static final TupleTag<Document> UNSCORED = new TupleTag<>("unscored") {};

  private final PCollection<String> selectedIds;
  private final PCollection<String> rejectedIds;
  private final int shards;

  JoinDecisions(PCollection<String> selectedIds, PCollection<String> rejectedIds, int shards) {
    this.selectedIds = selectedIds;
    this.rejectedIds = rejectedIds;
    this.shards = shards;
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    PCollection<KV<String, Boolean>> decisions =
        PCollectionList.of(
                selectedIds.apply("Keep", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, true))))
            .and(rejectedIds.apply("Drop", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, false))))
            .apply("Decisions", Flatten.pCollections())
            .setCoder(KvCoder.of(StringUtf8Coder.of(), BooleanCoder.of()));
    PCollectionTuple out =
        docs.apply("Join", JoinById.of(Document::id, decisions).withShards(shards))
            .apply("Route", ParDo.of(new RouteFn()).withOutputTags(SELECTED, TupleTagList.of(REJECTED).and(UNSCORED)));
    for (TupleTag<Document> tag : java.util.List.of(SELECTED, REJECTED, UNSCORED)) {
      out.get(tag).setCoder(Document.DocumentCoder.of());
    }
    return out;
  }

  /** A document to the output its decision names; a decision without a document names nothing. */
  private static final class RouteFn extends DoFn<JoinById.Joined<Document, Boolean>, Document> {
    @ProcessElement
    public void process(@Element JoinById.Joined<Document, Boolean> j, MultiOutputReceiver out) {
      Document d = j.left();
      if (d != null) {
        out.get(j.rights().isEmpty() ? UNSCORED : j.rights().get(0) ? SELECTED : REJECTED).output(d);
      }
    }
  }
}
