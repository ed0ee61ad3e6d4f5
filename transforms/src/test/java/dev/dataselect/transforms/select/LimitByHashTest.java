package dev.dataselect.transforms.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

/**
 * The limit keeps exactly the documents {@code Top.of(limit, by (unit, id))} keeps: checked against
 * a sort of every id, on the DirectRunner, and with keys injected to force ties.
 */
class LimitByHashTest {
  private static final long SEED = 42;

  /** Today's order: smaller {@code Hashes.unit(id, seed + SALT)} first, then the smaller id. */
  private static List<String> sortedLikeTop(List<String> ids, long seed) {
    List<String> sorted = new ArrayList<>(ids);
    sorted.sort(Comparator.<String>comparingDouble(id -> Hashes.unit(id, seed + LimitByHash.SALT)).thenComparing(id -> id));
    return sorted;
  }

  /** Documents {@code prefix0 .. prefix(n-1)} (LimitByHash reads only the id). */
  private static List<Document> documents(String prefix, int n) {
    List<Document> docs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      docs.add(Document.of(prefix + i, "text " + i, "test#" + i));
    }
    return docs;
  }

  private static List<String> ids(List<Document> docs) {
    List<String> ids = new ArrayList<>(docs.size());
    docs.forEach(d -> ids.add(d.id()));
    return ids;
  }

  /** Runs LimitByHash at {@code limit} over {@code docs} and checks it keeps exactly the first {@code limit} of {@code order}. */
  private static void assertKeepsFirst(List<Document> docs, List<String> order, long limit) {
    // The DirectRunner's per-element encode/clone checks cost more than the transform here; the
    // smaller tests below keep them on.
    Pipeline p = TestPipelines.create("--enforceImmutability=false", "--enforceEncodability=false");
    PCollection<String> kept = p.apply(Create.of(docs).withCoder(Document.DocumentCoder.of()))
        .apply("Limit", LimitByHash.of(limit).withSeed(SEED))
        .apply("Ids", MapElements.into(TypeDescriptors.strings()).via(Document::id));
    PAssert.that("limit " + limit, kept).satisfies(new SameSet(new HashSet<>(order.subList(0, (int) Math.min(limit, order.size())))));
    TestPipelines.run(p, LIVELOCK_LIMIT);
  }

  /** Its slowest pipeline (100k documents) takes about 25 s; a hang is cut after this (TestPipelines). */
  private static final org.joda.time.Duration LIVELOCK_LIMIT = org.joda.time.Duration.standardSeconds(90);

  @Test
  void keepsExactlyTheLimitSmallestHashesOfAHundredThousandDocuments() {
    List<Document> docs = documents("d", 100_000);
    assertKeepsFirst(docs, sortedLikeTop(ids(docs), SEED), 1000);
  }

  @Test
  void edgeLimitsKeepOneAllButOneAllOrEverything() {
    List<Document> docs = documents("e", 2000);
    List<String> order = sortedLikeTop(ids(docs), SEED);
    for (long limit : new long[] {1, 1999, 2000, 5000}) {
      assertKeepsFirst(docs, order, limit);
    }
  }

  @Test
  void anotherSeedKeepsAnotherSubsetOfTheSameSize() {
    List<Document> docs = documents("d", 500);
    List<String> ids = ids(docs);
    Set<String> seed1 = new HashSet<>(sortedLikeTop(ids, 1).subList(0, 100));
    Set<String> seed2 = new HashSet<>(sortedLikeTop(ids, 2).subList(0, 100));
    assertTrue(!seed1.equals(seed2));
    Pipeline p = TestPipelines.create();
    PCollection<Document> in = p.apply(Create.of(docs).withCoder(Document.DocumentCoder.of()));
    PAssert.that("seed 1", in.apply("Seed1", LimitByHash.of(100).withSeed(1)).apply("Ids1", MapElements.into(TypeDescriptors.strings()).via(Document::id)))
        .satisfies(new SameSet(seed1));
    PAssert.that("seed 2", in.apply("Seed2", LimitByHash.of(100).withSeed(2)).apply("Ids2", MapElements.into(TypeDescriptors.strings()).via(Document::id)))
        .satisfies(new SameSet(seed2));
    TestPipelines.run(p, LIVELOCK_LIMIT);
  }

  @Test
  void emptyInputKeepsNothing() {
    Pipeline p = TestPipelines.create();
    PAssert.that(p.apply(Create.empty(Document.DocumentCoder.of())).apply(LimitByHash.of(10))).empty();
    TestPipelines.run(p, LIVELOCK_LIMIT);
  }

  /**
   * Keys injected so that thousands of ids share one key: the boundary falls inside a group of
   * equal keys and is resolved by id, exactly, for limits inside every group and at their edges.
   */
  @Test
  void tiesOnTheWholeKeyAreBrokenBySmallerIdExactly() {
    List<KV<String, Long>> keys = new ArrayList<>();
    long[] values = {0x8000_0000_0000_0000L, 0x8000_0000_0000_0800L, 0xFFFF_0000_0000_0000L, 0x0000_0001_0000_0000L, 0x8000_0000_0001_0000L};
    for (int i = 0; i < 3000; i++) {
      // Groups of 1400, 800, 400, 200 and 200 ids: sizes differ, and ids interleave across groups.
      int g = i % 15 < 7 ? 0 : i % 15 < 11 ? 1 : i % 15 < 13 ? 2 : i % 15 < 14 ? 3 : 4;
      keys.add(KV.of("id" + i, values[g]));
    }
    List<KV<String, Long>> order = new ArrayList<>(keys);
    order.sort(Comparator.<KV<String, Long>, Long>comparing(KV::getValue, (a, b) -> Long.compareUnsigned(b, a)).thenComparing(KV::getKey));
    // Inside the largest group, one either side of a group edge, and everything (each a pipeline:
    // the DirectRunner's side-input waits make one pipeline per limit the cheaper layout).
    for (long limit : new long[] {199, 201, 1401, 3000}) {
      Set<String> want = new HashSet<>();
      order.subList(0, (int) Math.min(limit, order.size())).forEach(kv -> want.add(kv.getKey()));
      Pipeline p = TestPipelines.create();
      PCollection<KV<String, Long>> in = p.apply(Create.of(keys).withCoder(KvCoder.of(StringUtf8Coder.of(), BigEndianLongCoder.of())));
      PAssert.that("limit " + limit, in.apply(new KeptIds(limit))).satisfies(new SameSet(want));
      TestPipelines.run(p, LIVELOCK_LIMIT);
    }
  }

  @Test
  void copiesOfOneIdAtTheBoundaryAreKeptOrDroppedTogether() {
    Cut.Cuts open = new Cut.Cuts(List.of(new Cut(LimitByHash.RADIX_PASSES, 0x1234L, 2, 4, Double.NaN)), 10);
    long key = 0x0000_1234_0000_0000L; // top 32 bits: the group's prefix
    Map<KV<String, Long>, Long> group = new HashMap<>();
    group.put(KV.of("a", key), 1L);
    group.put(KV.of("b", key), 2L);
    group.put(KV.of("c", key), 1L);
    LimitByHash.Boundary b = LimitByHash.solve(open, group);
    assertTrue(b.keep("a", key));
    assertFalse(b.keep("b", key)); // b's two copies do not fit in the one left
    assertFalse(b.keep("c", key));
    group.put(KV.of("a", key), 3L);
    assertFalse(LimitByHash.solve(open, group).keep("a", key));
    // A larger key in the same group comes first whatever its id.
    group.put(KV.of("z", key + 1), 2L);
    b = LimitByHash.solve(open, group);
    assertTrue(b.keep("z", key + 1));
    assertFalse(b.keep("a", key));
    // Keys above and below the group's 32-bit prefix.
    assertTrue(b.keep("a", 0x0000_1235_0000_0000L));
    assertFalse(b.keep("a", 0x0000_1233_ffff_ffffL));
    Cut.Cuts resolved = new Cut.Cuts(List.of(Cut.resolved(2, 7, 1.0, 9)), 10);
    assertThrows(IllegalStateException.class, () -> LimitByHash.solve(resolved, group));
    assertTrue(LimitByHash.solve(resolved, new HashMap<>()).keep("q", 0x0000_0007_0000_0000L));
  }

  @Test
  void keyOrderIsTheReverseOfUnitOrderAndEqualOnlyForEqualUnits() {
    double ulp = 0x1.0p-53;
    double[] units = {0, ulp, 2 * ulp, 0.25, 0.25 + ulp, 0.5 - ulp, 0.5, 1 - ulp};
    for (int i = 0; i < units.length; i++) {
      assertEquals(0, Long.compareUnsigned(LimitByHash.keyOfUnit(units[i]), LimitByHash.keyOfUnit(units[i])));
      for (int j = i + 1; j < units.length; j++) {
        assertTrue(Long.compareUnsigned(LimitByHash.keyOfUnit(units[i]), LimitByHash.keyOfUnit(units[j])) > 0, units[i] + " vs " + units[j]);
      }
    }
    for (int i = 0; i < 10_000; i++) {
      String a = "x" + i;
      String b = "y" + i;
      int byUnit = Double.compare(Hashes.unit(b, SEED + LimitByHash.SALT), Hashes.unit(a, SEED + LimitByHash.SALT));
      assertEquals(Integer.signum(byUnit), Integer.signum(Long.compareUnsigned(LimitByHash.key(a, SEED), LimitByHash.key(b, SEED))));
    }
    assertThrows(IllegalArgumentException.class, () -> LimitByHash.keyOfUnit(1.0));
  }

  @Test
  void rejectsALimitBelowOne() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> LimitByHash.of(0)).getMessage().contains("limit must be >= 1, got 0"));
    assertThrows(IllegalArgumentException.class, () -> LimitByHash.of(-5));
  }

  /** The boundary of injected keys, applied to them: a composite, so each limit's steps get their own names. */
  private static final class KeptIds extends PTransform<PCollection<KV<String, Long>>, PCollection<String>> {
    private final long limit;

    KeptIds(long limit) {
      this.limit = limit;
    }

    @Override
    public PCollection<String> expand(PCollection<KV<String, Long>> keys) {
      PCollectionView<LimitByHash.Boundary> boundary = LimitByHash.boundary(keys, limit);
      return keys.apply("Keep", ParDo.of(new KeepIds(boundary)).withSideInputs(boundary));
    }
  }

  private static final class KeepIds extends DoFn<KV<String, Long>, String> {
    private final PCollectionView<LimitByHash.Boundary> boundary;

    KeepIds(PCollectionView<LimitByHash.Boundary> boundary) {
      this.boundary = boundary;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      if (c.sideInput(boundary).keep(c.element().getKey(), c.element().getValue())) {
        c.output(c.element().getKey());
      }
    }
  }

  private static final class SameSet implements SerializableFunction<Iterable<String>, Void>, Serializable {
    private final Set<String> want;

    SameSet(Set<String> want) {
      this.want = want;
    }

    @Override
    public Void apply(Iterable<String> got) {
      List<String> all = new ArrayList<>();
      got.forEach(all::add);
      assertEquals(want.size(), all.size(), "kept count");
      assertEquals(want, new HashSet<>(all));
      return null;
    }
  }
}
