package dev.dataselect.transforms.cluster;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.JoinById;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * SemDeDup (Abbas et al. 2023): within each {@link KMeans} cluster, a document is a semantic
 * duplicate when a document of the same cluster that <em>precedes</em> it is within cosine
 * distance epsilon. This transform computes, for every document, its {@link NearestPreceding}: the
 * largest cosine similarity to a preceding document of its cluster, and that document's id. The
 * selection is then a threshold ({@code similarity <= 1 - epsilon} keeps a document) or, for a
 * target rate or count, the documents with the lowest such similarity ({@code Select.top} lowest
 * first: epsilon is chosen by the radix select's mergeable histogram).
 *
 * <p>Order: a document precedes another when its quality score is higher ({@link #withQuality});
 * without quality scores, or between equal ones, when its {@code Hashes.unit(id, seed)} is smaller,
 * then its id. A document without a quality score comes after every scored one. So of a pair of
 * near-duplicates the preceding one is kept and the other dropped, and the kept one never depends on
 * the other's verdict (as in the paper, a document is compared with every preceding one, dropped or
 * not).
 *
 * <p>Bounded memory per cluster: a cluster of n documents is cut into {@code B = ceil(n / blockSize)}
 * blocks by a hash of the id, and every pair of blocks (including a block with itself) is one group
 * of at most about {@code 2 x blockSize} vectors, in which each document is compared with the
 * documents of the other block (or of its own) that precede it; a document's best over its B
 * groups is its answer. Every pair of documents of a cluster meets in exactly one group, so the
 * result equals the brute force over the whole cluster, whatever the block size. Each vector is
 * shuffled B times, and a cluster costs {@code n^2 d / 2} multiply-adds as brute force does.
 *
 * <p>Vectors are normalised to unit length; similarities come from {@link DotKernel}, in float.
 */
public final class SemDeDup extends PTransform<PCollection<Embedding>, PCollection<NearestPreceding>> {
  /** Documents per block by default: a group holds at most about twice this many vectors (30 MB at d = 384). */
  public static final int DEFAULT_BLOCK_SIZE = 10_000;
  private static final long BLOCK_SALT = 0x626c6f636bL; // "block"

  private final PCollectionView<Centroids> centroids;
  private final @Nullable PCollection<DocumentScore> quality;
  private final long seed;
  private final int blockSize;
  private final int shards;

  private SemDeDup(PCollectionView<Centroids> centroids, @Nullable PCollection<DocumentScore> quality, long seed, int blockSize, int shards) {
    this.centroids = centroids;
    this.quality = quality;
    this.seed = seed;
    this.blockSize = blockSize;
    this.shards = shards;
  }

  /** Within the clusters of {@code centroids} ({@link KMeans.Result#centroidsView}). */
  public static SemDeDup within(PCollectionView<Centroids> centroids) {
    return new SemDeDup(requireNonNull(centroids, "centroids"), null, 0, DEFAULT_BLOCK_SIZE, JoinById.DEFAULT_SHARDS);
  }

  /** Higher quality precedes: of two near-duplicates, the better one is kept. */
  public SemDeDup withQuality(PCollection<DocumentScore> quality) {
    return new SemDeDup(centroids, requireNonNull(quality, "quality"), seed, blockSize, shards);
  }

  public SemDeDup withSeed(long seed) {
    return new SemDeDup(centroids, quality, seed, blockSize, shards);
  }

  /** Documents per block of a cluster, at least 2. */
  public SemDeDup withBlockSize(int blockSize) {
    checkArgument(blockSize >= 2, "blockSize must be >= 2, got %s", blockSize);
    return new SemDeDup(centroids, quality, seed, blockSize, shards);
  }

  /** Groups of the join with the quality scores. */
  public SemDeDup withShards(int shards) {
    checkArgument(shards >= 1, "shards must be >= 1, got %s", shards);
    return new SemDeDup(centroids, quality, seed, blockSize, shards);
  }

  @Override
  public PCollection<NearestPreceding> expand(PCollection<Embedding> in) {
    PCollection<Member> members;
    if (quality == null) {
      members = in.apply("ToMembers", ParDo.of(new MemberFn(centroids, seed)).withSideInputs(centroids));
    } else {
      members = in.apply("JoinQuality", JoinById.ofScores(Embedding::id, quality).withShards(shards).withOneLeftPerId())
          .apply("ToMembersWithQuality", ParDo.of(new JoinedMemberFn(centroids, seed)).withSideInputs(centroids));
    }
    members.setCoder(Member.Coder.INSTANCE);
    PCollectionView<Map<Integer, Long>> sizes =
        members.apply("Clusters", MapElements.into(TypeDescriptors.integers()).via((Member m) -> m.cluster))
            .apply("ClusterSizes", Count.perElement())
            .apply("SizesView", View.asMap());
    return members
        .apply("ToBlockPairs", ParDo.of(new BlockPairsFn(sizes, blockSize, seed)).withSideInputs(sizes))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), Member.Coder.INSTANCE))
        .apply("GroupBlockPairs", GroupByKey.create())
        .apply("CompareBlockPairs", ParDo.of(new PairFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), NearestPreceding.NearestPrecedingCoder.of()))
        .apply("BestPerDocument", Combine.perKey(new Best()))
        .apply("Values", MapElements.into(new org.apache.beam.sdk.values.TypeDescriptor<NearestPreceding>() {}).via(KV::getValue))
        .setCoder(NearestPreceding.NearestPrecedingCoder.of());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("order", quality == null ? "hash(id, seed)" : "quality, then hash(id, seed)"))
        .add(DisplayData.item("seed", seed))
        .add(DisplayData.item("blockSize", blockSize));
  }

  /** A document in a cluster: its unit vector and what orders it. */
  static final class Member {
    final String id;
    final int cluster;
    /** Higher precedes; -infinity when unscored. */
    final double quality;
    /** Smaller precedes, between equal qualities. */
    final double hash;
    final float[] unit;
    /** The member's block within its cluster (set when the cluster is cut into blocks). */
    final int block;

    Member(String id, int cluster, double quality, double hash, float[] unit, int block) {
      this.id = id;
      this.cluster = cluster;
      this.quality = quality;
      this.hash = hash;
      this.unit = unit;
      this.block = block;
    }

    Member inBlock(int b) {
      return new Member(id, cluster, quality, hash, unit, b);
    }

    /** Whether this document precedes {@code o}. */
    boolean precedes(Member o) {
      int c = Double.compare(o.quality, quality);
      if (c != 0) {
        return c < 0;
      }
      c = Double.compare(hash, o.hash);
      if (c != 0) {
        return c < 0;
      }
      return id.compareTo(o.id) < 0;
    }

    static final class Coder extends CustomCoder<Member> {
      private static final long serialVersionUID = 1L;
      static final Coder INSTANCE = new Coder();

      @Override
      public void encode(Member m, OutputStream out) throws IOException {
        StringUtf8Coder.of().encode(m.id, out);
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(m.cluster);
        data.writeInt(m.block);
        data.writeDouble(m.quality);
        data.writeDouble(m.hash);
        data.writeInt(m.unit.length);
        FloatRows.write(data, m.unit);
        data.flush();
      }

      @Override
      public Member decode(InputStream in) throws IOException {
        String id = StringUtf8Coder.of().decode(in);
        DataInputStream data = new DataInputStream(in);
        int cluster = data.readInt();
        int block = data.readInt();
        double quality = data.readDouble();
        double hash = data.readDouble();
        float[] unit = FloatRows.read(data, data.readInt());
        return new Member(id, cluster, quality, hash, unit, block);
      }

      @Override
      public void verifyDeterministic() {}
    }
  }

  /**
   * The member for {@code e}: its nearest centroid, as {@link KMeans} assigns it (one at a time:
   * SemDeDup's cost is in the pairs; a row's answer does not depend on the batch).
   */
  static Member member(Embedding e, Centroids cs, double quality, long seed) {
    checkArgument(cs.k() > 0, "no centroids: the input had no documents to seed them");
    float[] unit = new float[e.dimension()];
    KMeans.unitRow(e, unit, 0);
    int[] best = new int[1];
    float[] sim = new float[1];
    cs.nearest(unit, 1, best, sim);
    return new Member(e.id(), Math.max(0, best[0]), quality, Hashes.unit(e.id(), seed), unit, 0);
  }

  private static final class MemberFn extends DoFn<Embedding, Member> {
    private final PCollectionView<Centroids> centroids;
    private final long seed;

    MemberFn(PCollectionView<Centroids> centroids, long seed) {
      this.centroids = centroids;
      this.seed = seed;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(member(c.element(), c.sideInput(centroids), 0.0, seed));
    }
  }

  private static final class JoinedMemberFn extends DoFn<JoinById.Joined<Embedding, Double>, Member> {
    private final PCollectionView<Centroids> centroids;
    private final long seed;

    JoinedMemberFn(PCollectionView<Centroids> centroids, long seed) {
      this.centroids = centroids;
      this.seed = seed;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Embedding e = c.element().left();
      if (e == null) {
        return; // a score without an embedding: nothing to deduplicate
      }
      List<Double> q = c.element().rights();
      double quality = q.isEmpty() || !Double.isFinite(q.get(0)) ? Double.NEGATIVE_INFINITY : q.get(0);
      c.output(member(e, c.sideInput(centroids), quality, seed));
    }
  }

  /** The block of a document in a cluster cut into {@code blocks}. */
  static int blockOf(String id, int blocks, long seed) {
    return (int) Math.min(blocks - 1, (long) (Hashes.unit(id, seed ^ BLOCK_SALT) * blocks));
  }

  /** Sends each member to the group of every pair of blocks its own block is in. */
  private static final class BlockPairsFn extends DoFn<Member, KV<String, Member>> {
    private final PCollectionView<Map<Integer, Long>> sizes;
    private final int blockSize;
    private final long seed;

    BlockPairsFn(PCollectionView<Map<Integer, Long>> sizes, int blockSize, long seed) {
      this.sizes = sizes;
      this.blockSize = blockSize;
      this.seed = seed;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Member m = c.element();
      long n = c.sideInput(sizes).getOrDefault(m.cluster, 1L);
      int blocks = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (n + blockSize - 1) / blockSize));
      int own = blockOf(m.id, blocks, seed);
      Member placed = m.inBlock(own);
      for (int other = 0; other < blocks; other++) {
        c.output(KV.of(m.cluster + "/" + Math.min(own, other) + "/" + Math.max(own, other), placed));
      }
    }
  }

  /** Within one group: each member's most similar preceding member of the other block (or of its own). */
  private static final class PairFn extends DoFn<KV<String, Iterable<Member>>, KV<String, NearestPreceding>> {
    @ProcessElement
    public void process(ProcessContext c) {
      String key = c.element().getKey();
      String[] parts = key.split("/");
      int lo = Integer.parseInt(parts[1]);
      int hi = Integer.parseInt(parts[2]);
      List<Member> a = new ArrayList<>();
      List<Member> b = new ArrayList<>();
      List<Member> all = new ArrayList<>();
      for (Member m : c.element().getValue()) {
        all.add(m);
      }
      if (lo == hi) {
        a = all;
        b = all;
      } else {
        for (Member m : all) {
          (m.block == lo ? a : b).add(m);
        }
      }
      NearestPreceding[] bestA = best(a, b, lo == hi);
      for (int i = 0; i < a.size(); i++) {
        c.output(KV.of(a.get(i).id, bestA[i]));
      }
      if (lo != hi) {
        NearestPreceding[] bestB = best(b, a, false);
        for (int i = 0; i < b.size(); i++) {
          c.output(KV.of(b.get(i).id, bestB[i]));
        }
      }
    }
  }

  /**
   * For each query member, its most similar member of {@code columns} that precedes it ({@code
   * same}: the two lists are one block, a member is not compared with itself).
   */
  static NearestPreceding[] best(List<Member> queries, List<Member> columns, boolean same) {
    int q = queries.size();
    NearestPreceding[] out = new NearestPreceding[q];
    for (int i = 0; i < q; i++) {
      out[i] = NearestPreceding.none(queries.get(i).id);
    }
    if (q == 0 || columns.isEmpty()) {
      return out;
    }
    int d = queries.get(0).unit.length;
    float[] rows = new float[q * d];
    for (int i = 0; i < q; i++) {
      checkArgument(queries.get(i).unit.length == d, "embeddings of dimension %s and %s", d, queries.get(i).unit.length);
      System.arraycopy(queries.get(i).unit, 0, rows, i * d, d);
    }
    float[] cols = same ? rows : new float[columns.size() * d];
    if (!same) {
      for (int j = 0; j < columns.size(); j++) {
        checkArgument(columns.get(j).unit.length == d, "embeddings of dimension %s and %s", d, columns.get(j).unit.length);
        System.arraycopy(columns.get(j).unit, 0, cols, j * d, d);
      }
    }
    float[] bestSim = new float[q];
    int[] bestCol = new int[q];
    java.util.Arrays.fill(bestCol, -1);
    new DotKernel(cols, columns.size(), d).dots(rows, q, (from, to, dots, n) -> {
      for (int i = 0; i < n; i++) {
        Member x = queries.get(i);
        int o = i * DotKernel.TILE - from;
        for (int j = from; j < to; j++) {
          if (same && j == i) {
            continue;
          }
          Member y = columns.get(j);
          if (!y.precedes(x)) {
            continue;
          }
          float s = dots[o + j];
          int bj = bestCol[i];
          if (bj < 0 || s > bestSim[i] || (s == bestSim[i] && y.id.compareTo(columns.get(bj).id) < 0)) {
            bestSim[i] = s;
            bestCol[i] = j;
          }
        }
      }
    });
    for (int i = 0; i < q; i++) {
      if (bestCol[i] >= 0) {
        out[i] = NearestPreceding.of(queries.get(i).id, bestSim[i], columns.get(bestCol[i]).id);
      }
    }
    return out;
  }

  private static final class Best extends Combine.BinaryCombineFn<NearestPreceding> {
    @Override
    public NearestPreceding apply(NearestPreceding a, NearestPreceding b) {
      return NearestPreceding.max(a, b);
    }
  }
}
