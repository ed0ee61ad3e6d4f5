package dev.dataselect.transforms;

import static com.google.common.base.Preconditions.checkArgument;

import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Splits documents into {@link #SELECTED} and {@link #REJECTED}.
 *
 * <p>The random sampler (the paper's baseline) keeps a document iff {@code Hashes.unit(id, seed) <
 * rate}: each decision depends only on the id and the seed, so reruns, retried bundles and other
 * runners make the same choice, and the kept count is Binomial(N, rate).
 */
public final class Select extends PTransform<PCollection<Document>, PCollectionTuple> {
  public static final TupleTag<Document> SELECTED = new TupleTag<>("selected") {};
  public static final TupleTag<Document> REJECTED = new TupleTag<>("rejected") {};

  private final double rate;
  private final long seed;

  private Select(double rate, long seed) {
    this.rate = rate;
    this.seed = seed;
  }

  /** Random selection at {@code rate} in [0, 1], seed 0; see {@link #withSeed}. */
  public static Select random(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    return new Select(rate, 0L);
  }

  public Select withRate(double rate) {
    checkArgument(rate >= 0 && rate <= 1, "rate must be in [0, 1], got %s", rate);
    return new Select(rate, seed);
  }

  public Select withSeed(long seed) {
    return new Select(rate, seed);
  }

  @Override
  public PCollectionTuple expand(PCollection<Document> docs) {
    PCollectionTuple out =
        docs.apply(
            "KeepIfHashBelowRate",
            ParDo.of(new RandomFn(rate, seed)).withOutputTags(SELECTED, TupleTagList.of(REJECTED)));
    out.get(SELECTED).setCoder(Document.DocumentCoder.of());
    out.get(REJECTED).setCoder(Document.DocumentCoder.of());
    return out;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder
        .add(DisplayData.item("sampler", "random").withLabel("Sampler"))
        .add(DisplayData.item("rate", rate).withLabel("Rate"))
        .add(DisplayData.item("seed", seed).withLabel("Seed"));
  }

  private static final class RandomFn extends DoFn<Document, Document> {
    private final double rate;
    private final long seed;
    private final Counter selected = Metrics.counter(Select.class, "selected");
    private final Counter rejected = Metrics.counter(Select.class, "rejected");

    RandomFn(double rate, long seed) {
      this.rate = rate;
      this.seed = seed;
    }

    @ProcessElement
    public void process(@Element Document d, MultiOutputReceiver out) {
      if (Hashes.keep(d.id(), seed, rate)) {
        selected.inc();
        out.get(SELECTED).output(d);
      } else {
        rejected.inc();
        out.get(REJECTED).output(d);
      }
    }
  }
}
