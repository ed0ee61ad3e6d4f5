package dev.dataselect.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
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
 * Document#source()} is kept, independent of arrival order; every other one becomes a {@link
 * DeadLetter.Reason#DUPLICATE_ID} dead letter naming the kept record. Later stages key scores,
 * embeddings and keep/drop decisions by id, so two documents under one id would share one decision
 * (and one cached vector).
 *
 * <p>A combiner per id keeps the smallest-source document and the others' dead letters (payloads
 * cut to {@link DeadLetter#MAX_PAYLOAD_CHARS}), so memory per id is one document plus its rare
 * duplicates, and no runner needs to iterate a group twice (Flink's group results are single-pass).
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
            .apply("KeepSmallestSource", Combine.perKey(new KeepSmallestSource()))
            .apply("Split", ParDo.of(new SplitFn()).withOutputTags(UNIQUE, TupleTagList.of(DEAD_LETTERS)));
    out.get(UNIQUE).setCoder(Document.DocumentCoder.of());
    out.get(DEAD_LETTERS).setCoder(DeadLetter.DeadLetterCoder.of());
    return out;
  }

  /** The kept document and the documents rejected so far (as dead letters without their reason text). */
  static final class Kept {
    final Document document;
    final List<Document> others;

    Kept(Document document, List<Document> others) {
      this.document = document;
      this.others = others;
    }
  }

  static final class KeepSmallestSource extends Combine.CombineFn<Document, Kept, Kept> {
    @Override
    public Kept createAccumulator() {
      return new Kept(null, new ArrayList<>());
    }

    @Override
    public Kept addInput(Kept acc, Document d) {
      return merge(acc, d);
    }

    private static Kept merge(Kept acc, Document d) {
      if (acc.document == null) {
        return new Kept(d, acc.others);
      }
      if (d.source().compareTo(acc.document.source()) < 0) {
        acc.others.add(cut(acc.document));
        return new Kept(d, acc.others);
      }
      acc.others.add(cut(d));
      return acc;
    }

    private static Document cut(Document d) {
      String t = d.text();
      return t.length() <= DeadLetter.MAX_PAYLOAD_CHARS ? d : Document.of(d.id(), t.substring(0, DeadLetter.MAX_PAYLOAD_CHARS), d.source());
    }

    @Override
    public Kept mergeAccumulators(Iterable<Kept> accs) {
      Kept out = createAccumulator();
      for (Kept a : accs) {
        if (a.document != null) {
          out = merge(out, a.document);
        }
        out.others.addAll(a.others);
      }
      return out;
    }

    @Override
    public Kept extractOutput(Kept acc) {
      return acc;
    }

    @Override
    public Coder<Kept> getAccumulatorCoder(CoderRegistry r, Coder<Document> in) {
      return KeptCoder.INSTANCE;
    }

    @Override
    public Coder<Kept> getDefaultOutputCoder(CoderRegistry r, Coder<Document> in) {
      return KeptCoder.INSTANCE;
    }
  }

  static final class KeptCoder extends CustomCoder<Kept> {
    static final KeptCoder INSTANCE = new KeptCoder();
    private static final Coder<Document> DOC = NullableCoder.of(Document.DocumentCoder.of());
    private static final Coder<List<Document>> LIST = ListCoder.of(Document.DocumentCoder.of());

    @Override
    public void encode(Kept k, OutputStream out) throws IOException {
      DOC.encode(k.document, out);
      LIST.encode(k.others, out);
    }

    @Override
    public Kept decode(InputStream in) throws IOException {
      Document d = DOC.decode(in);
      return new Kept(d, new ArrayList<>(LIST.decode(in)));
    }
  }

  private static final class SplitFn extends DoFn<KV<String, Kept>, Document> {
    private final Counter duplicates = Metrics.counter(RejectDuplicateIds.class, "duplicateIds");

    @ProcessElement
    public void process(@Element KV<String, Kept> group, MultiOutputReceiver out) {
      Document kept = group.getValue().document;
      out.get(UNIQUE).output(kept);
      for (Document d : group.getValue().others) {
        duplicates.inc();
        out.get(DEAD_LETTERS).output(DeadLetter.of(
            DeadLetter.Reason.DUPLICATE_ID, d.source(), "id '" + d.id() + "' is also the id of " + kept.source() + ", which is kept", d.text()));
      }
    }
  }
}
