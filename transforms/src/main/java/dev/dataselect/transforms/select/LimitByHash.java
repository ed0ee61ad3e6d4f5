package dev.dataselect.transforms.select;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@code limit} documents with the smallest {@code Hashes.unit(id, seed + SALT)}, ties
 * broken by the smaller id (in {@link String#compareTo} order): the same documents as {@code
 * Top.of(limit, comparator)} over that order, without ever holding {@code limit} documents on one
 * machine. A deterministic subset for trying a job on part of a corpus ({@code --limit}).
 *
 * <p>How: the 53 bits behind {@code unit} give every id a 64-bit key whose unsigned order is the
 * reverse of {@code unit}'s order ({@link #key}), and the boundary key is found by the project's
 * distributed radix select ({@link RadixSelect}): two passes over the (id, key) pairs, one 16-bit
 * digit each, each a {@link DigitHistogram} merged by addition in a combiner and solved into a
 * {@link Cut} that the next pass reads as a side input. Unless the cut is resolved by then, a last
 * pass collects the (id, key) of the boundary group, the documents whose keys share their top 32
 * bits with the boundary's, orders them exactly (key, then id) and keeps the first that fit. That
 * group is bounded by its size, not by {@code limit}: over N documents with unique ids it holds the
 * boundary's own document plus a Poisson number of mean N / 2^32 others (0.23 at a billion), and a
 * pass whose cut is resolved emits nothing, so its combine is empty. A filter with the final
 * boundary as side input then keeps the documents: documents never enter a combine.
 *
 * <p>Exact when ids are unique (the job rejects duplicate ids before the limit): exactly {@code
 * min(limit, N)} documents are kept. Copies of one id share their key and id, so they are kept or
 * dropped together; with duplicate ids at the boundary the kept count can fall short of {@code limit}
 * by fewer than the copies of that id, never exceed it.
 *
 * <p>Cost: two global combines over a 16-bit digit per document, each pre-combined per bundle into
 * at most 65,536 counts, and one over the few pairs of the boundary group; then one filter, which
 * recomputes each key from the id. Memory per worker: one 65,536-count table (512 KiB) per combine
 * accumulator, and the boundary group. Windows: use in the global window.
 */
public final class LimitByHash extends PTransform<PCollection<Document>, PCollection<Document>> {
  private static final Logger LOG = LoggerFactory.getLogger(LimitByHash.class);

  /**
   * Added to the seed: the limit's own hash stream, independent of the selection's {@code
   * Hashes.unit(id, seed)}, so a subset drawn here is not all below a later random rate.
   */
  public static final long SALT = 0x9E3779B97F4A7C15L;

  /**
   * Radix passes before the boundary group is collected: after two 16-bit digits it holds the
   * documents whose keys share their top 32 bits with the boundary's.
   */
  static final int RADIX_PASSES = 2;

  private final long limit;
  private final long seed;

  private LimitByHash(long limit, long seed) {
    this.limit = limit;
    this.seed = seed;
  }

  /** Keeps {@code limit} documents (all of them when there are fewer); seed 0. */
  public static LimitByHash of(long limit) {
    checkArgument(limit >= 1, "limit must be >= 1, got %s (to keep every document, do not apply the limit)", limit);
    return new LimitByHash(limit, 0L);
  }

  /** The seed of the limit's hash: another seed keeps another subset of the same size. */
  public LimitByHash withSeed(long seed) {
    return new LimitByHash(limit, seed);
  }

  public long limit() {
    return limit;
  }

  public long seed() {
    return seed;
  }

  /**
   * The key of an id: unsigned-larger keys are kept first. Equal keys iff equal {@code
   * Hashes.unit(id, seed + SALT)}, so ties are exactly today's ties.
   */
  public static long key(String id, long seed) {
    return keyOfUnit(Hashes.unit(id, seed + SALT));
  }

  /**
   * {@code unit} is a 53-bit integer times 2^-53 (exact in a double): that integer, reversed so a
   * smaller unit gives a larger key, in the top 53 bits; the low 11 bits are zero.
   */
  static long keyOfUnit(double unit) {
    checkArgument(unit >= 0 && unit < 1, "unit must be in [0, 1), got %s", unit);
    long bits53 = (long) (unit * 0x1.0p53);
    return ~bits53 << (64 - 53);
  }

  @Override
  public PCollection<Document> expand(PCollection<Document> docs) {
    PCollection<KV<String, Long>> keys =
        docs.apply("HashKeys", ParDo.of(new KeyFn(seed)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), BigEndianLongCoder.of()));
    PCollectionView<Boundary> boundary = boundary(keys, limit);
    return docs.apply("KeepWithinLimit", ParDo.of(new KeepFn(boundary, seed)).withSideInputs(boundary))
        .setCoder(Document.DocumentCoder.of());
  }

  /**
   * The boundary of the {@code limit} largest keys of (id, key) pairs: the radix-select passes and
   * the tie pass, as a singleton view. Package-private so tests can inject keys with ties.
   */
  static PCollectionView<Boundary> boundary(PCollection<KV<String, Long>> keys, long limit) {
    PCollection<Cut.Cuts> cuts =
        keys.apply("Pass0Digits", ParDo.of(new TopDigitFn()))
            .apply("Pass0Histogram", Combine.globally(new SelectByScore.HistogramFn()))
            .apply("Pass0Solve", ParDo.of(new SolveFirstFn(limit)))
            .setCoder(Cut.CutsCoder.of());
    for (int pass = 1; pass < RADIX_PASSES; pass++) {
      PCollectionView<Cut.Cuts> view = cuts.apply("Pass" + (pass - 1) + "Cut", View.asSingleton());
      cuts =
          keys.apply("Pass" + pass + "Digits", ParDo.of(new DigitFn(view)).withSideInputs(view))
              .apply("Pass" + pass + "Histogram", Combine.globally(new SelectByScore.HistogramFn()))
              .apply("Pass" + pass + "Solve", ParDo.of(new SolveNextFn(view)).withSideInputs(view))
              .setCoder(Cut.CutsCoder.of());
    }
    PCollectionView<Cut.Cuts> last = cuts.apply("Pass" + (RADIX_PASSES - 1) + "Cut", View.asSingleton());
    return keys.apply("BoundaryGroup", ParDo.of(new GroupMemberFn(last)).withSideInputs(last))
        .apply("BoundaryGroupCounts", Combine.globally(new GroupCountsFn()))
        .apply("BoundarySolve", ParDo.of(new SolveGroupFn(last)).withSideInputs(last))
        .setCoder(BoundaryCoder.of())
        .apply("Boundary", View.asSingleton());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("limit", limit).withLabel("Documents kept"))
        .add(DisplayData.item("seed", seed).withLabel("Seed"));
  }

  /**
   * The resolved boundary: a document is kept iff its key lies above the cut's boundary group, or in
   * it and the cut keeps the whole group, or in it and (key, id) comes no later than (lastKey,
   * lastId) in keep order (larger key first, then smaller id).
   */
  static final class Boundary implements Serializable {
    private final Cut.Cuts cuts;
    private final long lastKey;
    private final @Nullable String lastId;

    Boundary(Cut.Cuts cuts, long lastKey, @Nullable String lastId) {
      checkArgument(cuts.size() == 1, "one cut, got %s", cuts.size());
      this.cuts = cuts;
      this.lastKey = lastKey;
      this.lastId = lastId;
    }

    Cut cut() {
      return cuts.get(0);
    }

    boolean keep(String id, long key) {
      Cut cut = cut();
      int side = cut.side(key);
      if (side != 0) {
        return side > 0;
      }
      if (cut.isFinal()) {
        return cut.keep(id, key, 0L); // a count target's resolved cut keeps all or none of its group
      }
      return lastId != null && KEEP_ORDER.compare(KV.of(id, key), KV.of(lastId, lastKey)) <= 0;
    }

    @Override
    public String toString() {
      return "Boundary{" + cut()
          + (cut().isFinal() ? "" : lastId == null ? ", none of the group" : String.format(", group up to key %x id %s", lastKey, lastId))
          + "}";
    }
  }

  /** Keep order within the boundary group: the larger key (unsigned) first, then the smaller id. */
  static final Comparator<KV<String, Long>> KEEP_ORDER =
      Comparator.<KV<String, Long>, Long>comparing(KV::getValue, (x, y) -> Long.compareUnsigned(y, x)).thenComparing(KV::getKey);

  /** Deterministic coder of {@link Boundary}. */
  static final class BoundaryCoder extends AtomicCoder<Boundary> {
    private static final BoundaryCoder INSTANCE = new BoundaryCoder();
    private static final Coder<String> LAST_ID = NullableCoder.of(StringUtf8Coder.of());

    static BoundaryCoder of() {
      return INSTANCE;
    }

    @Override
    public void encode(Boundary value, OutputStream out) throws IOException {
      Cut.CutsCoder.of().encode(value.cuts, out);
      BigEndianLongCoder.of().encode(value.lastKey, out);
      LAST_ID.encode(value.lastId, out);
    }

    @Override
    public Boundary decode(InputStream in) throws IOException {
      return new Boundary(Cut.CutsCoder.of().decode(in), BigEndianLongCoder.of().decode(in), LAST_ID.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  private static final class KeyFn extends DoFn<Document, KV<String, Long>> {
    private final long seed;

    KeyFn(long seed) {
      this.seed = seed;
    }

    @ProcessElement
    public void process(@Element Document d, OutputReceiver<KV<String, Long>> out) {
      out.output(KV.of(d.id(), key(d.id(), seed)));
    }
  }

  private static final class TopDigitFn extends DoFn<KV<String, Long>, Integer> {
    @ProcessElement
    public void process(@Element KV<String, Long> k, OutputReceiver<Integer> out) {
      out.output((int) (k.getValue() >>> (64 - Cut.DIGIT_BITS)));
    }
  }

  /** The next 16 bits of the keys in the boundary group; nothing once the cut is resolved. */
  private static final class DigitFn extends DoFn<KV<String, Long>, Integer> {
    private final PCollectionView<Cut.Cuts> cuts;

    DigitFn(PCollectionView<Cut.Cuts> cuts) {
      this.cuts = cuts;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int d = RadixSelect.digit(c.sideInput(cuts).get(0), c.element().getValue(), c.element().getKey(), 0L, RADIX_PASSES);
      if (d >= 0) {
        c.output(d);
      }
    }
  }

  /** The (id, key) of the documents in the boundary group; nothing when the cut is resolved. */
  private static final class GroupMemberFn extends DoFn<KV<String, Long>, KV<String, Long>> {
    private final PCollectionView<Cut.Cuts> cuts;

    GroupMemberFn(PCollectionView<Cut.Cuts> cuts) {
      this.cuts = cuts;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Cut cut = c.sideInput(cuts).get(0);
      if (!cut.isFinal() && cut.side(c.element().getValue()) == 0) {
        c.output(c.element());
      }
    }
  }

  /** Distinct (id, key) pairs of the boundary group and their counts: bounded by that one group. */
  private static final class GroupCountsFn extends Combine.CombineFn<KV<String, Long>, Map<KV<String, Long>, Long>, Map<KV<String, Long>, Long>> {
    private static final Coder<Map<KV<String, Long>, Long>> CODER =
        MapCoder.of(KvCoder.of(StringUtf8Coder.of(), BigEndianLongCoder.of()), VarLongCoder.of());

    @Override
    public Map<KV<String, Long>, Long> createAccumulator() {
      return new HashMap<>();
    }

    @Override
    public Map<KV<String, Long>, Long> addInput(Map<KV<String, Long>, Long> acc, KV<String, Long> member) {
      acc.merge(member, 1L, Long::sum);
      return acc;
    }

    @Override
    public Map<KV<String, Long>, Long> mergeAccumulators(Iterable<Map<KV<String, Long>, Long>> accs) {
      Map<KV<String, Long>, Long> merged = new HashMap<>();
      for (Map<KV<String, Long>, Long> a : accs) {
        a.forEach((member, n) -> merged.merge(member, n, Long::sum));
      }
      return merged;
    }

    @Override
    public Map<KV<String, Long>, Long> extractOutput(Map<KV<String, Long>, Long> acc) {
      return acc;
    }

    @Override
    public Coder<Map<KV<String, Long>, Long>> getAccumulatorCoder(CoderRegistry r, Coder<KV<String, Long>> in) {
      return CODER;
    }

    @Override
    public Coder<Map<KV<String, Long>, Long>> getDefaultOutputCoder(CoderRegistry r, Coder<KV<String, Long>> in) {
      return CODER;
    }
  }

  private static final class SolveFirstFn extends DoFn<DigitHistogram, Cut.Cuts> {
    private final long limit;

    SolveFirstFn(long limit) {
      this.limit = limit;
    }

    @ProcessElement
    public void process(@Element DigitHistogram h, OutputReceiver<Cut.Cuts> out) {
      // The keys are already in keep-first order; the score order only matters for thresholds.
      out.output(RadixSelect.first(List.of(Target.count(limit)), ScoreOrder.HIGHEST_FIRST, h));
    }
  }

  private static final class SolveNextFn extends DoFn<DigitHistogram, Cut.Cuts> {
    private final PCollectionView<Cut.Cuts> previous;

    SolveNextFn(PCollectionView<Cut.Cuts> previous) {
      this.previous = previous;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(RadixSelect.next(c.sideInput(previous), c.element(), RADIX_PASSES));
    }
  }

  /** Orders the boundary group and keeps its first members while they fit in what is still to keep. */
  private static final class SolveGroupFn extends DoFn<Map<KV<String, Long>, Long>, Boundary> {
    private final PCollectionView<Cut.Cuts> cuts;

    SolveGroupFn(PCollectionView<Cut.Cuts> cuts) {
      this.cuts = cuts;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Cut.Cuts all = c.sideInput(cuts);
      Boundary b = solve(all, c.element());
      LOG.info("limit boundary over {} documents: {}", all.total(), b);
      c.output(b);
    }
  }

  /**
   * The boundary from the last cut and the counts of its group's (id, key) pairs. Copies of one id
   * (one pair) are kept together or not at all, so the group never adds more than is still to keep.
   */
  static Boundary solve(Cut.Cuts cuts, Map<KV<String, Long>, Long> group) {
    Cut cut = cuts.get(0);
    if (cut.isFinal()) {
      checkState(group.isEmpty(), "a resolved cut has no boundary group, got %s members", group.size());
      return new Boundary(cuts, 0L, null);
    }
    checkState(cut.level() == RADIX_PASSES, "the boundary group is read after %s passes: %s", RADIX_PASSES, cut);
    List<KV<String, Long>> members = new ArrayList<>(group.keySet());
    members.sort(KEEP_ORDER);
    long kept = 0;
    KV<String, Long> last = null;
    for (KV<String, Long> m : members) {
      long copies = group.get(m);
      if (kept + copies > cut.remaining()) {
        break;
      }
      kept += copies;
      last = m;
    }
    return last == null ? new Boundary(cuts, 0L, null) : new Boundary(cuts, last.getValue(), last.getKey());
  }

  private static final class KeepFn extends DoFn<Document, Document> {
    private final PCollectionView<Boundary> boundary;
    private final long seed;
    private final Counter kept = Metrics.counter(LimitByHash.class, "kept");
    private final Counter beyond = Metrics.counter(LimitByHash.class, "beyondLimit");

    KeepFn(PCollectionView<Boundary> boundary, long seed) {
      this.boundary = boundary;
      this.seed = seed;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Document d = c.element();
      if (c.sideInput(boundary).keep(d.id(), key(d.id(), seed))) {
        kept.inc();
        c.output(d);
      } else {
        beyond.inc();
      }
    }
  }
}
