package dev.dataselect.pipelines;

import static com.google.common.base.Preconditions.checkState;

import dev.dataselect.transforms.StageTallies;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * A job's exact counts ({@code summary.json}) and its progress line's stage totals, with one small
 * combine per counted collection, however many names and stages read that count.
 *
 * <p>Each counted collection gets a side branch: a DoFn that counts each bundle (and ticks the
 * progress tally of its stage, if it has one, per element), a flatten with one shared zero (so an
 * empty collection still counts 0), a sum without the default-value insertion, and a DoFn that marks
 * the stage done and names the total. That is 5 transforms where a {@code Count.globally()} per name
 * and another per progress stage took 10 each: the graph the runners translate is smaller, and on
 * Flink every translated transform serialises the pipeline options several times.
 *
 * <p>Requests are recorded first and applied at {@link #total} (when the job needs the count as a
 * collection) or at {@link #finish}, so a collection counted for the summary and tracked by the
 * progress line in different places is counted once.
 */
final class JobCounts {
  private final Pipeline pipeline;
  private final Map<PCollection<?>, Entry> entries = new IdentityHashMap<>();
  private final List<Entry> order = new ArrayList<>();
  private final List<PCollection<KV<String, Long>>> named = new ArrayList<>();
  private final Map<String, Integer> stepNames = new LinkedHashMap<>();
  private PCollection<Long> zero;
  private boolean finished;

  JobCounts(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  /** A counted collection: what reads its count, and the count once applied. */
  private static final class Entry {
    final PCollection<?> collection;
    final boolean sum;
    final List<String> stages = new ArrayList<>();
    final List<String> ticking = new ArrayList<>();
    final List<String> names = new ArrayList<>();
    PCollection<Long> total;

    Entry(PCollection<?> collection, boolean sum) {
      this.collection = collection;
      this.sum = sum;
    }
  }

  /** The progress line's {@code stage} counts {@code c}'s elements as they pass and is done with their exact total. */
  <T> JobCounts track(PCollection<T> c, String stage) {
    return stage(c, stage, true);
  }

  /** The progress line's {@code stage} (which ticks its own tally) is done with {@code c}'s exact size. */
  <T> JobCounts done(PCollection<T> c, String stage) {
    return stage(c, stage, false);
  }

  /** {@code c}'s size is in the summary under {@code name} (names repeat: their counts add). */
  <T> JobCounts count(PCollection<T> c, String name) {
    return named(entry(c, false), name);
  }

  /** The sum of {@code c}'s elements is in the summary under {@code name}. */
  JobCounts sum(PCollection<Long> c, String name) {
    return named(entry(c, true), name);
  }

  private JobCounts named(Entry e, String name) {
    if (e.total != null) {
      return name(e.total, name); // already applied: name its total
    }
    e.names.add(name);
    return this;
  }

  /** Counts already named (for example per reason or per language); names repeat and add. */
  JobCounts add(PCollection<KV<String, Long>> counts) {
    checkState(!finished, "the counts are already written");
    named.add(counts);
    return this;
  }

  /**
   * Each element of {@code c} counts once under the name {@code nameOf} gives it (a dotted name
   * nests in summary.json: {@code languages.en}); {@code step} names the transforms.
   */
  <T> JobCounts countBy(PCollection<T> c, String step, SerializableFunction<T, String> nameOf) {
    return add(c.apply(stepName(step + " names"), MapElements.into(TypeDescriptors.strings()).via(nameOf))
        .apply(stepName(step), Count.perElement()));
  }

  /** {@code total} (one element) is in the summary under {@code name}. */
  JobCounts name(PCollection<Long> total, String name) {
    checkState(!finished, "the counts are already written");
    named.add(total.apply(stepName("Name " + name), MapElements
        .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.longs()))
        .via((Long n) -> KV.of(name, n))));
    return this;
  }

  /** {@code c}'s exact size as one element (0 when empty), counted once with every other request on {@code c}. */
  <T> PCollection<Long> total(PCollection<T> c) {
    return apply(entry(c, false));
  }

  /** Applies every request; returns all named counts, for the summary. No requests after this. */
  PCollection<KV<String, Long>> finish() {
    for (Entry e : order) {
      apply(e);
    }
    finished = true;
    return named.isEmpty()
        ? pipeline.apply(stepName("NoCounts"), Create.empty(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())))
        : PCollectionList.of(named).apply(stepName("AllCounts"), Flatten.pCollections());
  }

  private <T> JobCounts stage(PCollection<T> c, String stage, boolean tick) {
    Entry e = entry(c, false);
    checkState(e.total == null, "stage %s: its collection was already counted", stage);
    StageTallies.declare(stage);
    e.stages.add(stage);
    if (tick) {
      e.ticking.add(stage);
    }
    return this;
  }

  private Entry entry(PCollection<?> c, boolean sum) {
    checkState(!finished, "the counts are already written");
    Entry e = entries.get(c);
    if (e == null) {
      e = new Entry(c, sum);
      entries.put(c, e);
      order.add(e);
    }
    checkState(e.sum == sum, "%s is both counted and summed", c);
    return e;
  }

  @SuppressWarnings("unchecked")
  private PCollection<Long> apply(Entry e) {
    if (e.total != null) {
      return e.total;
    }
    String label = !e.stages.isEmpty() ? e.stages.get(0) : e.names.isEmpty() ? e.collection.getName() : e.names.get(0);
    String step = stepName((e.sum ? "Sum " : "Count ") + label);
    PCollection<Long> partial = ((PCollection<Object>) e.collection)
        .apply(step, ParDo.of(new PartialFn(e.ticking, e.sum)));
    e.total = PCollectionList.of(partial).and(zero())
        .apply(step + " and zero", Flatten.pCollections())
        .apply(step + " total", Combine.globally(Sum.ofLongs()).withoutDefaults());
    if (!e.stages.isEmpty() || !e.names.isEmpty()) {
      PCollection<KV<String, Long>> out = e.total.apply(step + " done", ParDo.of(new DoneFn(e.stages, e.names)))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));
      if (!e.names.isEmpty()) {
        named.add(out);
      }
    }
    return e.total;
  }

  private PCollection<Long> zero() {
    if (zero == null) {
      zero = pipeline.apply(stepName("Zero count"), Create.of(0L));
    }
    return zero;
  }

  /** {@code base}, or {@code base (2)}, ... when a job asks for the same label twice. */
  private String stepName(String base) {
    int n = stepNames.merge(base, 1, Integer::sum);
    return n == 1 ? base : base + " (" + n + ")";
  }

  /** Counts (or sums) a bundle's elements, ticking progress tallies per element; emits the bundle's total. */
  private static final class PartialFn extends DoFn<Object, Long> {
    private final List<String> stages;
    private final boolean sum;
    private transient StageTallies.Tally[] tallies;
    private transient long n;
    private transient boolean any;

    PartialFn(List<String> stages, boolean sum) {
      this.stages = List.copyOf(stages);
      this.sum = sum;
    }

    @Setup
    public void setup() {
      tallies = stages.stream().map(StageTallies::of).toArray(StageTallies.Tally[]::new);
    }

    @StartBundle
    public void startBundle() {
      n = 0;
      any = false;
    }

    @ProcessElement
    public void process(@Element Object element) {
      n += sum ? (Long) element : 1L;
      any = true;
      for (StageTallies.Tally t : tallies) {
        t.add(1);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      if (any) {
        c.output(n, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
    }
  }

  /** Marks stages done with the exact total and names the total for the summary. */
  private static final class DoneFn extends DoFn<Long, KV<String, Long>> {
    private final List<String> stages;
    private final List<String> names;

    DoneFn(List<String> stages, List<String> names) {
      this.stages = List.copyOf(stages);
      this.names = List.copyOf(names);
    }

    @ProcessElement
    public void process(@Element Long total, OutputReceiver<KV<String, Long>> out) {
      for (String stage : stages) {
        StageTallies.of(stage).done(total);
      }
      for (String name : names) {
        out.output(KV.of(name, total));
      }
    }
  }
}
