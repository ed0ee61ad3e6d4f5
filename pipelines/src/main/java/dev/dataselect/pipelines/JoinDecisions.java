package dev.dataselect.pipelines;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import java.util.HashMap;
import java.util.Map;
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
 *
 * <p>Documents and decisions meet in {@code shards} groups keyed by a hash of the id, not one group
 * per id: a group holds its decisions in a map (N / shards ids: 15k at 1e9 documents and the default
 * 65,536 shards) and streams its documents. Few shards keep the DirectRunner, which pays a set-up
 * cost per group, fast on samples.
 */
final class JoinDecisions extends PTransform<PCollection<Document>, PCollectionTuple> {
  static final TupleTag<Document> SELECTED = new TupleTag<>("selected") {};
  static final TupleTag<Document> REJECTED = new TupleTag<>("rejected") {};
  static final TupleTag<Document> UNSCORED = new TupleTag<>("unscored") {};

  static final int DEFAULT_SHARDS = 1 << 16;
  private static final long SHARD_SALT = 0x2545F4914F6CDD1DL;

  private final PCollection<String> selectedIds;
  private final PCollection<String> rejectedIds;
  private final int shards;

  JoinDecisions(PCollection<String> selectedIds, PCollection<String> rejectedIds, int shards) {
    this.selectedIds = selectedIds;
    this.rejectedIds = rejectedIds;
    this.shards = shards;
  }

  static Integer shardOf(String id, int shards) {
    return (int) (Hashes.unit(id, SHARD_SALT) * shards);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    TupleTag<Document> docTag = new TupleTag<>("docs");
    TupleTag<KV<String, Boolean>> keepTag = new TupleTag<>("keep");
    int n = shards;
    PCollection<KV<String, Boolean>> decisions =
        PCollectionList.of(
                selectedIds.apply("Keep", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, true))))
            .and(rejectedIds.apply("Drop", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans())).via(id -> KV.of(id, false))))
            .apply("Decisions", Flatten.pCollections())
            .setCoder(KvCoder.of(StringUtf8Coder.of(), BooleanCoder.of()));
    PCollection<KV<Integer, KV<String, Boolean>>> shardedDecisions =
        decisions.apply("ShardDecisions", WithKeys.of((KV<String, Boolean> d) -> shardOf(d.getKey(), n)).withKeyType(TypeDescriptors.integers()));
    PCollection<KV<Integer, Document>> keyed =
        docs.apply("ShardDocuments", WithKeys.of((Document d) -> shardOf(d.id(), n)).withKeyType(TypeDescriptors.integers()));
    PCollectionTuple out =
        KeyedPCollectionTuple.of(docTag, keyed)
            .and(keepTag, shardedDecisions)
            .apply("Join", CoGroupByKey.create())
            .apply("Route", ParDo.of(new RouteFn(docTag, keepTag)).withOutputTags(SELECTED, TupleTagList.of(REJECTED).and(UNSCORED)));
    for (TupleTag<Document> tag : java.util.List.of(SELECTED, REJECTED, UNSCORED)) {
      out.get(tag).setCoder(Document.DocumentCoder.of());
    }
    return out;
  }

  private static final class RouteFn extends DoFn<KV<Integer, CoGbkResult>, Document> {
    private final TupleTag<Document> docTag;
    private final TupleTag<KV<String, Boolean>> keepTag;

    RouteFn(TupleTag<Document> docTag, TupleTag<KV<String, Boolean>> keepTag) {
      this.docTag = docTag;
      this.keepTag = keepTag;
    }

    @ProcessElement
    public void process(@Element KV<Integer, CoGbkResult> group, MultiOutputReceiver out) {
      Map<String, Boolean> keep = new HashMap<>();
      for (KV<String, Boolean> d : group.getValue().getAll(keepTag)) {
        keep.put(d.getKey(), d.getValue());
      }
      for (Document d : group.getValue().getAll(docTag)) {
        Boolean k = keep.get(d.id());
        out.get(k == null ? UNSCORED : k ? SELECTED : REJECTED).output(d);
      }
    }
  }
}
