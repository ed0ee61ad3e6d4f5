package dev.dataselect.transforms;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.annotation.Nullable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.StructuredCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The join by document id that every stage uses: a large left collection (documents,
 * embeddings, scores: streamed) against a right collection of {@code KV<id, value>} (decisions,
 * scores, labels: held per group).
 *
 * <p>Both sides meet in {@code shards} groups keyed by a hash of the id, not in one group per id.
 * A group holds its right values in a map (about right-size / shards entries: 15k at 1e9 and the
 * default 65,536 shards) and streams its left elements, so no machine holds either side. Few shards
 * keep the DirectRunner, which emits a bundle per group and pays a set-up cost per bundle, fast on
 * samples ({@link #withShards}).
 *
 * <p>Output, one {@link Joined} per left element with every right value of its id (none when the
 * id has none), then one per id that has right values and no left element ({@link Joined#left()}
 * null). With {@link #withOneLeftPerId()}, a second left element under an id already seen in its
 * group is skipped.
 *
 * <pre>{@code
 * PCollection<Joined<Document, Boolean>> joined =
 *     docs.apply(JoinById.of(Document::id, decisions)); // decisions: KV<id, keep?>
 * }</pre>
 */
public final class JoinById<L, R> extends PTransform<PCollection<L>, PCollection<JoinById.Joined<L, R>>> {
  public static final int DEFAULT_SHARDS = 1 << 16;
  private static final long SHARD_SALT = 0x2545F4914F6CDD1DL;

  private final SerializableFunction<L, String> leftId;
  @Nullable private final PCollection<KV<String, R>> right;
  /** The right side when it is a score collection ({@link #ofScores}); turned into KVs in expand. */
  @Nullable private final PCollection<DocumentScore> scores;
  private final int shards;
  private final boolean oneLeftPerId;

  private JoinById(SerializableFunction<L, String> leftId, @Nullable PCollection<KV<String, R>> right,
      @Nullable PCollection<DocumentScore> scores, int shards, boolean oneLeftPerId) {
    this.leftId = leftId;
    this.right = right;
    this.scores = scores;
    this.shards = shards;
    this.oneLeftPerId = oneLeftPerId;
  }

  /** Joins each left element, whose id {@code leftId} gives, with {@code right}'s values for that id. */
  public static <L, R> JoinById<L, R> of(SerializableFunction<L, String> leftId, PCollection<KV<String, R>> right) {
    return new JoinById<>(requireNonNull(leftId, "leftId"), requireNonNull(right, "right"), null, DEFAULT_SHARDS, false);
  }

  /** Joins each left element with the scores of its id (a score stage's output: id and value). */
  public static <L> JoinById<L, Double> ofScores(SerializableFunction<L, String> leftId, PCollection<DocumentScore> scores) {
    return new JoinById<>(requireNonNull(leftId, "leftId"), null, requireNonNull(scores, "scores"), DEFAULT_SHARDS, false);
  }

  /** The number of groups (memory per group ~ right size / shards); {@link #DEFAULT_SHARDS} unless set. */
  public JoinById<L, R> withShards(int shards) {
    checkArgument(shards >= 1 && shards <= (1 << 24), "shards must be in [1, 2^24], got %s", shards);
    return new JoinById<>(leftId, right, scores, shards, oneLeftPerId);
  }

  /** Emits only the first left element under each id (a group then also holds the ids it has seen). */
  public JoinById<L, R> withOneLeftPerId() {
    return new JoinById<>(leftId, right, scores, shards, true);
  }

  /** The group of an id among {@code shards}: the one sharding rule of every grouping by id here. */
  public static int shardOf(String id, int shards) {
    return (int) (Hashes.unit(id, SHARD_SALT) * shards);
  }

  @Override
  public PCollection<Joined<L, R>> expand(PCollection<L> left) {
    PCollection<KV<String, R>> right = this.right != null ? this.right : scoresById();
    Coder<L> leftCoder = left.getCoder();
    checkArgument(right.getCoder() instanceof KvCoder, "the right side needs a KvCoder, has %s", right.getCoder());
    @SuppressWarnings("unchecked")
    Coder<R> rightCoder = ((KvCoder<String, R>) right.getCoder()).getValueCoder();
    TupleTag<L> leftTag = new TupleTag<>("left");
    TupleTag<KV<String, R>> rightTag = new TupleTag<>("right");
    int n = shards;
    SerializableFunction<L, String> id = leftId;
    PCollection<KV<Integer, L>> keyedLeft =
        left.apply("ShardLeft", WithKeys.of((L l) -> shardOf(id.apply(l), n)).withKeyType(TypeDescriptors.integers()))
            .setCoder(KvCoder.of(VarIntCoder.of(), leftCoder));
    PCollection<KV<Integer, KV<String, R>>> keyedRight =
        right.apply("ShardRight", WithKeys.of((KV<String, R> kv) -> shardOf(kv.getKey(), n)).withKeyType(TypeDescriptors.integers()))
            .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), rightCoder)));
    return KeyedPCollectionTuple.of(leftTag, keyedLeft)
        .and(rightTag, keyedRight)
        .apply("GroupByIdHash", CoGroupByKey.create())
        .apply("Match", ParDo.of(new MatchFn<>(leftTag, rightTag, leftId, oneLeftPerId)))
        .setCoder(JoinedCoder.of(leftCoder, rightCoder));
  }

  @SuppressWarnings("unchecked") // only ofScores sets scores, and it makes R Double
  private PCollection<KV<String, R>> scoresById() {
    PCollection<KV<String, Double>> kvs = scores
        .apply("ScoresById", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles()))
            .via((DocumentScore s) -> KV.of(s.id(), s.score())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), DoubleCoder.of()));
    return (PCollection<KV<String, R>>) (PCollection<?>) kvs;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("shards", shards).withLabel("Shards"))
        .add(DisplayData.item("oneLeftPerId", oneLeftPerId).withLabel("One left element per id"));
  }

  private static final class MatchFn<L, R> extends DoFn<KV<Integer, CoGbkResult>, Joined<L, R>> {
    private final TupleTag<L> leftTag;
    private final TupleTag<KV<String, R>> rightTag;
    private final SerializableFunction<L, String> leftId;
    private final boolean oneLeftPerId;

    MatchFn(TupleTag<L> leftTag, TupleTag<KV<String, R>> rightTag, SerializableFunction<L, String> leftId, boolean oneLeftPerId) {
      this.leftTag = leftTag;
      this.rightTag = rightTag;
      this.leftId = leftId;
      this.oneLeftPerId = oneLeftPerId;
    }

    @ProcessElement
    public void process(@Element KV<Integer, CoGbkResult> group, OutputReceiver<Joined<L, R>> out) {
      Map<String, List<R>> rights = new HashMap<>();
      for (KV<String, R> kv : group.getValue().getAll(rightTag)) {
        rights.computeIfAbsent(kv.getKey(), k -> new ArrayList<>(1)).add(kv.getValue());
      }
      Set<String> seen = new HashSet<>();
      for (L l : group.getValue().getAll(leftTag)) {
        String id = leftId.apply(l);
        if (!seen.add(id) && oneLeftPerId) {
          continue;
        }
        out.output(new Joined<>(id, l, rights.getOrDefault(id, List.of())));
      }
      for (Map.Entry<String, List<R>> e : rights.entrySet()) {
        if (!seen.contains(e.getKey())) {
          out.output(new Joined<>(e.getKey(), null, e.getValue()));
        }
      }
    }
  }

  /** A left element (or none) and the right values of its id. */
  public static final class Joined<L, R> {
    private final String id;
    private final @Nullable L left;
    private final List<R> rights;

    Joined(String id, @Nullable L left, List<R> rights) {
      this.id = id;
      this.left = left;
      this.rights = List.copyOf(rights);
    }

    public String id() {
      return id;
    }

    /** The left element; null for an id that only the right side has. */
    public @Nullable L left() {
      return left;
    }

    /** The right values of the id, in no particular order; empty when it has none. */
    public List<R> rights() {
      return rights;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Joined)) {
        return false;
      }
      Joined<?, ?> j = (Joined<?, ?>) o;
      return id.equals(j.id) && Objects.equals(left, j.left) && rights.equals(j.rights);
    }

    @Override
    public int hashCode() {
      return Objects.hash(id, left, rights);
    }

    @Override
    public String toString() {
      return "Joined{" + id + ", " + left + ", " + rights + "}";
    }
  }

  /** Id, nullable left element, list of right values; deterministic when both element coders are. */
  public static final class JoinedCoder<L, R> extends StructuredCoder<Joined<L, R>> {
    private static final StringUtf8Coder ID = StringUtf8Coder.of();
    private final NullableCoder<L> leftCoder;
    private final ListCoder<R> rightsCoder;

    private JoinedCoder(Coder<L> leftCoder, Coder<R> rightCoder) {
      this.leftCoder = NullableCoder.of(leftCoder);
      this.rightsCoder = ListCoder.of(rightCoder);
    }

    public static <L, R> JoinedCoder<L, R> of(Coder<L> leftCoder, Coder<R> rightCoder) {
      return new JoinedCoder<>(leftCoder, rightCoder);
    }

    @Override
    public void encode(Joined<L, R> value, OutputStream out) throws IOException {
      ID.encode(value.id, out);
      leftCoder.encode(value.left, out);
      rightsCoder.encode(value.rights, out);
    }

    @Override
    public Joined<L, R> decode(InputStream in) throws IOException {
      return new Joined<>(ID.decode(in), leftCoder.decode(in), rightsCoder.decode(in));
    }

    @Override
    public List<? extends Coder<?>> getCoderArguments() {
      return List.of(leftCoder.getValueCoder(), rightsCoder.getElemCoder());
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      verifyDeterministic(this, "the left coder must be deterministic", leftCoder);
      verifyDeterministic(this, "the right coder must be deterministic", rightsCoder);
    }
  }
}
