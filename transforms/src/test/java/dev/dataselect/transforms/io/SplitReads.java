package dev.dataselect.transforms.io;

import com.google.common.hash.Hashing;
import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Compares two reads of the same files inside one pipeline: every document (id, text, source,
 * metadata) and dead letter (reason, source, detail, payload) is hashed (128-bit), counted +1 in
 * one read and -1 in the other, and the hashes whose counts do not cancel are the differences. So
 * equality is checked exactly (up to hash collisions), in any order, without collecting either read
 * on one machine, which matters for the 200 MB acceptance file.
 */
public final class SplitReads {
  private SplitReads() {}

  /** The hashes of the records one read has more (or fewer) times than the other; empty when equal. */
  public static PCollection<String> differences(String name, PCollectionTuple a, PCollectionTuple b) {
    return PCollectionList.of(signed(name + "A", a, 1)).and(signed(name + "B", b, -1))
        .apply(name + "Flatten", Flatten.pCollections())
        .apply(name + "Sum", Sum.longsPerKey())
        .apply(name + "Unbalanced", Filter.by(kv -> kv.getValue() != 0))
        .apply(name + "Keys", MapElements.into(TypeDescriptors.strings()).via(kv -> kv.getKey() + " x" + kv.getValue()));
  }

  /** How many documents and dead letters a read gave, as "documents/deadLetters/records". */
  public static PCollection<String> counts(String name, PCollectionTuple read) {
    PCollection<Long> docs = read.get(ReadCorpus.DOCUMENTS).apply(name + "Docs", Count.globally());
    PCollection<Long> dead = read.get(ReadCorpus.DEAD_LETTERS).apply(name + "Dead", Count.globally());
    PCollection<Long> records = read.get(ReadCorpus.RECORDS).apply(name + "Records", Sum.longsGlobally());
    return PCollectionList.of(docs.apply(name + "D", MapElements.into(TypeDescriptors.strings()).via(n -> "documents=" + n)))
        .and(dead.apply(name + "L", MapElements.into(TypeDescriptors.strings()).via(n -> "deadLetters=" + n)))
        .and(records.apply(name + "R", MapElements.into(TypeDescriptors.strings()).via(n -> "records=" + n)))
        .apply(name + "Counts", Flatten.pCollections());
  }

  private static PCollection<KV<String, Long>> signed(String name, PCollectionTuple read, long sign) {
    PCollection<KV<String, Long>> docs = read.get(ReadCorpus.DOCUMENTS).apply(name + "Docs",
        MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via((Document d) -> KV.of(hash("doc", d.source(), d.id(), d.text(), d.metadata().toString()), sign)));
    PCollection<KV<String, Long>> dead = read.get(ReadCorpus.DEAD_LETTERS).apply(name + "Dead",
        MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
            .via((DeadLetter d) -> KV.of(hash("dead", d.source(), d.reason().label(), d.detail(), d.payload()), sign)));
    return PCollectionList.of(docs).and(dead).apply(name + "Both", Flatten.pCollections());
  }

  private static String hash(String... parts) {
    com.google.common.hash.Hasher h = Hashing.murmur3_128().newHasher();
    for (String p : parts) {
      h.putInt(p.length()).putString(p, StandardCharsets.UTF_8);
    }
    return h.hash().toString() + ":" + parts[0] + ":" + parts[1].substring(Math.max(0, parts[1].lastIndexOf('#')));
  }
}
