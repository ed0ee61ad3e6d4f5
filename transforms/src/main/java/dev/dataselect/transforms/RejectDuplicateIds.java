package dev.dataselect.transforms;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Keeps one document per id: of the documents that share an id, the one with the smallest {@link
 * Document#source()} (then text) is kept, independent of arrival order; every other one becomes a
 * {@link DeadLetter.Reason#DUPLICATE_ID} dead letter naming the kept record. Later stages key
 * scores, embeddings and keep/drop decisions by id, so two documents under one id would get one
 * decision (and one cached vector) between them.
 *
 * <p>Documents are grouped by id. A group is walked twice (the first pass finds the kept one), so
 * memory per group does not grow with its size; groups are almost always of one document.
 */
public final class RejectDuplicateIds extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<Document> UNIQUE = new TupleTag<>("unique") {};
  public static final TupleTag<DeadLetter> DEAD_LETTERS = new TupleTag<>("deadLetters") {};

  private RejectDuplicateIds() {}

  public static RejectDuplicateIds create() {
    return new RejectDuplicateIds();
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    PCollectionTuple out =
        docs.apply("KeyById", WithKeys.of(Document::id).withKeyType(TypeDescriptors.strings()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), Document.DocumentCoder.of()))
            .apply("GroupById", GroupByKey.create())
            .apply("KeepFirstSource", ParDo.of(new KeepFirstFn()).withOutputTags(UNIQUE, TupleTagList.of(DEAD_LETTERS)));
    out.get(UNIQUE).setCoder(Document.DocumentCoder.of());
    out.get(DEAD_LETTERS).setCoder(DeadLetter.DeadLetterCoder.of());
    return out;
  }

  static boolean before(Document a, Document b) {
    int c = a.source().compareTo(b.source());
    return c < 0 || (c == 0 && a.text().compareTo(b.text()) < 0);
  }

  private static final class KeepFirstFn extends DoFn<KV<String, Iterable<Document>>, Document> {
    private final Counter duplicates = Metrics.counter(RejectDuplicateIds.class, "duplicateIds");

    @ProcessElement
    public void process(@Element KV<String, Iterable<Document>> group, MultiOutputReceiver out) {
      Document kept = null;
      for (Document d : group.getValue()) {
        if (kept == null || before(d, kept)) {
          kept = d;
        }
      }
      out.get(UNIQUE).output(kept);
      boolean keptSkipped = false;
      for (Document d : group.getValue()) {
        if (!keptSkipped && d.equals(kept)) {
          keptSkipped = true; // an exact copy of the kept record (same source) is still a duplicate
          continue;
        }
        duplicates.inc();
        out.get(DEAD_LETTERS).output(DeadLetter.of(
            DeadLetter.Reason.DUPLICATE_ID, d.source(),
            "id '" + group.getKey() + "' is also the id of " + kept.source() + ", which is kept", d.text()));
      }
    }
  }
}
