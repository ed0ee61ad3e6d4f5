package dev.dataselect.transforms;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Keeps one document per id: of the documents that share an id, the one with the smallest {@link
 * Document#source()} is kept, independent of arrival order; every other one becomes a {@link
 * DeadLetter.Reason#DUPLICATE_ID} dead letter (its detail does not depend on arrival order). Later stages key scores,
 * embeddings and keep/drop decisions by id, so two documents under one id would share one decision
 * (and one cached vector).
 *
 * <p>Documents meet in {@code shards} groups keyed by a hash of the id, not one group per id (the
 * DirectRunner pays a set-up cost per group: one group per id made small local runs several times
 * slower). A group is read once (Flink's group results are single-pass) into a map from id to the
 * document kept so far, so a group holds about N / shards documents: 15k at 1e9 documents and the
 * default 65,536 shards. Rejected documents leave at once, as dead letters.
 */
public final class RejectDuplicateIds extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<Document> UNIQUE = new TupleTag<>("unique") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};
  public static final int DEFAULT_SHARDS = 1 << 16;

  private final int shards;

  private RejectDuplicateIds(int shards) {
    this.shards = shards;
  }

  public static RejectDuplicateIds create() {
    return new RejectDuplicateIds(DEFAULT_SHARDS);
  }

  /** The number of groups documents are split into by a hash of the id (memory per group ~ N / shards). */
  public RejectDuplicateIds withShards(int shards) {
    checkArgument(shards >= 1 && shards <= (1 << 24), "shards must be in [1, 2^24], got %s", shards);
    return new RejectDuplicateIds(shards);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    int n = shards;
    PCollectionTuple out =
        docs.apply("KeyByIdHash", WithKeys.of((Document d) -> JoinById.shardOf(d.id(), n)).withKeyType(TypeDescriptors.integers()))
            .setCoder(KvCoder.of(VarIntCoder.of(), Document.DocumentCoder.of()))
            .apply("GroupByIdHash", GroupByKey.create())
            .apply("KeepSmallestSource", ParDo.of(new KeepFirstFn()).withOutputTags(UNIQUE, TupleTagList.of(DEAD_LETTERS)));
    out.get(UNIQUE).setCoder(Document.DocumentCoder.of());
    out.get(DEAD_LETTERS).setCoder(DeadLetter.DeadLetterCoder.of());
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("shards", shards).withLabel("Shards"));
  }

  private static final class KeepFirstFn extends DoFn<KV<Integer, Iterable<Document>>, Document> {
    private final Counter duplicates = Metrics.counter(RejectDuplicateIds.class, "duplicateIds");

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<Document>> group, MultiOutputReceiver out) {
      Map<String, Document> kept = new HashMap<>();
      for (Document d : group.getValue()) {
        Document k = kept.get(d.id());
        if (k == null) {
          kept.put(d.id(), d);
          continue;
        }
        Document keep = d.source().compareTo(k.source()) < 0 ? d : k;
        Document drop = keep == d ? k : d;
        kept.put(d.id(), keep);
        reject(drop, keep, out);
      }
      for (Document d : kept.values()) {
        out.get(UNIQUE).output(d);
      }
    }

    private void reject(Document drop, Document keep, MultiOutputReceiver out) {
      duplicates.inc();
      out.get(DEAD_LETTERS).output(DeadLetter.of(
          DeadLetter.Reason.DUPLICATE_ID, drop.source(), "another record has the id '" + drop.id() + "'; the one with the smallest source is kept", drop.text()));
    }
  }
}
