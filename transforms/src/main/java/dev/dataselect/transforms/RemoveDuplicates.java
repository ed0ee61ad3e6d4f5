package dev.dataselect.transforms;

import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
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
 * Exact-duplicate removal: documents whose texts are equal after normalisation (NFKC, lower case,
 * collapsed whitespace; see {@link Hashes#normalizedTextHash}) keep one representative, the one with
 * the smallest id, so the choice does not depend on arrival order.
 *
 * <p>A combiner keeps one document and a count per text hash, so each worker ships at most one
 * document per distinct text, never the whole group. Outputs: {@link #UNIQUE} documents and {@link
 * #DUPLICATES}, one count per group of the copies removed (zero counts are not emitted).
 */
public final class RemoveDuplicates extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<Document> UNIQUE = new TupleTag<>("unique") {};
  public static final TupleTag<Long> DUPLICATES = new TupleTag<>("duplicates") {};

  private RemoveDuplicates() {}

  public static RemoveDuplicates byNormalizedText() {
    return new RemoveDuplicates();
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    return docs.apply(
            "KeyByTextHash",
            WithKeys.of((Document d) -> Hashes.normalizedTextHash(d.text()))
                .withKeyType(TypeDescriptors.strings()))
        .apply("KeepSmallestId", Combine.perKey(new KeepSmallestId()))
        .apply(
            "Split",
            ParDo.of(new SplitFn()).withOutputTags(UNIQUE, TupleTagList.of(DUPLICATES)));
  }

  /** Keeps the document with the smallest id and counts how many were seen. */
  static final class KeepSmallestId extends Combine.CombineFn<Document, KV<Document, Long>, KV<Document, Long>> {
    @Override
    public KV<Document, Long> createAccumulator() {
      return KV.of(null, 0L);
    }

    @Override
    public KV<Document, Long> addInput(KV<Document, Long> acc, Document d) {
      return KV.of(smaller(acc.getKey(), d), acc.getValue() + 1);
    }

    @Override
    public KV<Document, Long> mergeAccumulators(Iterable<KV<Document, Long>> accs) {
      Document best = null;
      long n = 0;
      for (KV<Document, Long> a : accs) {
        best = smaller(best, a.getKey());
        n += a.getValue();
      }
      return KV.of(best, n);
    }

    @Override
    public KV<Document, Long> extractOutput(KV<Document, Long> acc) {
      return acc;
    }

    private static Document smaller(Document a, Document b) {
      if (a == null) {
        return b;
      }
      if (b == null) {
        return a;
      }
      int c = a.id().compareTo(b.id());
      return c < 0 || (c == 0 && a.source().compareTo(b.source()) <= 0) ? a : b;
    }

    @Override
    public Coder<KV<Document, Long>> getAccumulatorCoder(CoderRegistry r, Coder<Document> in)
        throws CannotProvideCoderException {
      return KvCoder.of(NullableCoder.of(Document.DocumentCoder.of()), VarLongCoder.of());
    }

    @Override
    public Coder<KV<Document, Long>> getDefaultOutputCoder(CoderRegistry r, Coder<Document> in)
        throws CannotProvideCoderException {
      return KvCoder.of(NullableCoder.of(Document.DocumentCoder.of()), VarLongCoder.of());
    }
  }

  private static final class SplitFn extends DoFn<KV<String, KV<Document, Long>>, Document> {
    private final Counter removed = Metrics.counter(RemoveDuplicates.class, "duplicates");

    @ProcessElement
    public void process(@Element KV<String, KV<Document, Long>> group, MultiOutputReceiver out) {
      KV<Document, Long> kept = group.getValue();
      out.get(UNIQUE).output(kept.getKey());
      long copies = kept.getValue() - 1;
      if (copies > 0) {
        removed.inc(copies);
        out.get(DUPLICATES).output(copies);
      }
    }
  }

}
