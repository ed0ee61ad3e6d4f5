package dev.dataselect.transforms.density;

import dev.dataselect.transforms.testing.TestPipelines;

import dev.dataselect.transforms.DocumentScore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.Embedding;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;

/** SampleByDensity on the DirectRunner. */
class SampleByDensityTest {
  private static final int N = 4000;
  private static final List<DocumentScore> DENSITIES = densities();

  /** Log-normal densities over ~4 decades plus 20 zeros. */
  private static List<DocumentScore> densities() {
    SplittableRandom r = new SplittableRandom(8);
    List<DocumentScore> out = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      out.add(DocumentScore.of("doc-" + i, i < 20 ? 0.0 : Math.exp(1.5 * Fixtures.gaussian(r) - 3)));
    }
    return out;
  }

  private static PCollection<DocumentScore> create(Pipeline p, List<DocumentScore> d) {
    return p.apply(Create.of(d).withCoder(DocumentScore.DocumentScoreCoder.of()));
  }

  /** The ids the plain math keeps with this rule. */
  private static List<String> keptByHand(KeepRule rule, long seed) {
    List<String> kept = new ArrayList<>();
    for (DocumentScore d : DENSITIES) {
      if (rule.keep(d.id(), d.score(), seed)) {
        kept.add(d.id());
      }
    }
    return kept;
  }

  private static List<String> complement(List<String> kept) {
    Set<String> k = new HashSet<>(kept);
    List<String> out = new ArrayList<>();
    for (DocumentScore d : DENSITIES) {
      if (!k.contains(d.id())) {
        out.add(d.id());
      }
    }
    return out;
  }

  private static LogHistogram histogram() {
    LogHistogram h = LogHistogram.withRelativeAccuracy(SampleByDensity.DEFAULT_RELATIVE_ACCURACY);
    for (DocumentScore d : DENSITIES) {
      h.add(d.score());
    }
    return h;
  }

  /** Prefixes each id with its branch and output, so that one PAssert sees every branch. */
  private static final class Label extends DoFn<String, String> {
    private final String label;

    Label(String label) {
      this.label = label;
    }

    @ProcessElement
    public void process(@Element String id, OutputReceiver<String> out) {
      out.output(label + "/" + id);
    }
  }

  /** Checks every branch's SELECTED and REJECTED ids (O(n)), and each selection's size. */
  private static final class Selections implements SerializableFunction<Iterable<String>, Void> {
    private static final long serialVersionUID = 1L;
    private final HashSet<String> expected;
    private final HashMap<String, double[]> targetAndTolerance;

    Selections(Set<String> expected, Map<String, double[]> targetAndTolerance) {
      this.expected = new HashSet<>(expected);
      this.targetAndTolerance = new HashMap<>(targetAndTolerance);
    }

    @Override
    public Void apply(Iterable<String> labelled) {
      Set<String> seen = new HashSet<>();
      Map<String, Integer> selected = new HashMap<>();
      for (String l : labelled) {
        assertTrue(seen.add(l), "repeated " + l);
        String[] parts = l.split("/");
        if (parts[1].equals("selected")) {
          selected.merge(parts[0], 1, Integer::sum);
        }
      }
      assertEquals(expected, seen);
      for (Map.Entry<String, double[]> e : targetAndTolerance.entrySet()) {
        int n = selected.getOrDefault(e.getKey(), 0);
        assertEquals(e.getValue()[0], n, e.getValue()[1], e.getKey());
      }
      return null;
    }
  }

  @Test
  void selectsWhatThePlainRuleSelectsAtTheTargetCount() {
    LogHistogram h = histogram();
    Map<String, SampleByDensity> samplers = new LinkedHashMap<>();
    Map<String, KeepRule> rules = new LinkedHashMap<>();
    Map<String, Long> seeds = new LinkedHashMap<>();
    Map<String, Double> rates = new LinkedHashMap<>();
    samplers.put("ips", SampleByDensity.inversePropensity(0.5).withRate(0.2).withSeed(5));
    rules.put("ips", KeepRule.inversePropensity(h, 0.2));
    seeds.put("ips", 5L);
    rates.put("ips", 0.2);
    samplers.put("ipsOtherSeed", SampleByDensity.inversePropensity(0.2).withSeed(6));
    rules.put("ipsOtherSeed", KeepRule.inversePropensity(h, 0.2));
    seeds.put("ipsOtherSeed", 6L);
    rates.put("ipsOtherSeed", 0.2);
    samplers.put("densest", SampleByDensity.densest(0.3));
    rules.put("densest", KeepRule.densest(h, 0.3));
    seeds.put("densest", 0L);
    rates.put("densest", 0.3);
    samplers.put("sparsest", SampleByDensity.sparsest(0.3).withSeed(2));
    rules.put("sparsest", KeepRule.sparsest(h, 0.3));
    seeds.put("sparsest", 2L);
    rates.put("sparsest", 0.3);

    Set<String> expected = new HashSet<>();
    Map<String, double[]> sizes = new HashMap<>();
    Map<String, List<String>> kept = new HashMap<>();
    for (String name : samplers.keySet()) {
      KeepRule rule = rules.get(name);
      kept.put(name, keptByHand(rule, seeds.get(name)));
      for (String id : kept.get(name)) {
        expected.add(name + "/selected/" + id);
      }
      for (String id : complement(kept.get(name))) {
        expected.add(name + "/rejected/" + id);
      }
      // The achieved count is a sum of independent Bernoulli(p_i) with mean rate x N (exact on
      // the histogram) and variance sum p_i (1 - p_i) <= rate x N: 5 SDs, plus 1 for rounding.
      double var = 0;
      double mean = 0;
      for (DocumentScore d : DENSITIES) {
        double q = rule.probability(d.score());
        mean += q;
        var += q * (1 - q);
      }
      double target = rates.get(name) * N;
      assertEquals(target, mean, 1e-9 * N);
      sizes.put(name, new double[] {target, 5 * Math.sqrt(var) + 1});
    }
    // Same seed, same ids: KeepRuleTest. Another seed: other ids, a similar number (sizes).
    assertNotEquals(kept.get("ips"), kept.get("ipsOtherSeed"));

    Pipeline p = KdeDensityTest.pipeline();
    PCollection<DocumentScore> densities = create(p, DENSITIES);
    PCollectionList<String> all = PCollectionList.empty(p);
    for (Map.Entry<String, SampleByDensity> s : samplers.entrySet()) {
      String name = s.getKey();
      PCollectionTuple out = densities.apply(name, s.getValue());
      all =
          all.and(
                  out.get(SampleByDensity.SELECTED)
                      .apply(name + "Selected", ParDo.of(new Label(name + "/selected"))))
              .and(
                  out.get(SampleByDensity.REJECTED)
                      .apply(name + "Rejected", ParDo.of(new Label(name + "/rejected"))));
    }
    PAssert.that(all.apply(Flatten.pCollections())).satisfies(new Selections(expected, sizes));
    TestPipelines.run(p);
  }

  @Test
  void sparseClustersAreKeptMoreThanDenseOnesEndToEnd() {
    // 400 points in a tight cluster, 40 spread widely: the wide ones have low density.
    List<Embedding> corpus = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < 440; i++) {
      double spread = i < 400 ? 0.05 : 1.0;
      float[] v = new float[4];
      for (int k = 0; k < 4; k++) {
        v[k] = (float) (spread * Fixtures.gaussian(r));
      }
      corpus.add(Embedding.of((i < 400 ? "dense-" : "sparse-") + i, v));
    }
    Pipeline p = KdeDensityTest.pipeline();
    PCollectionTuple out =
        p.apply(Create.of(corpus))
            .apply(KdeDensity.referenceSample().withSampleSize(200).withBandwidth(0.2))
            .apply(SampleByDensity.inversePropensity(0.25).withSeed(1));
    PAssert.that(out.get(SampleByDensity.SELECTED)).satisfies(new SparseFavoured());
    TestPipelines.run(p);
  }

  private static final class SparseFavoured
      implements SerializableFunction<Iterable<String>, Void> {
    private static final long serialVersionUID = 1L;

    @Override
    public Void apply(Iterable<String> ids) {
      int dense = 0;
      int sparse = 0;
      for (String id : ids) {
        if (id.startsWith("dense-")) {
          dense++;
        } else {
          sparse++;
        }
      }
      // 25% of 440 = 110 kept; nearly every sparse point (p = 1), the rest from the dense cluster.
      assertTrue(sparse >= 36, "sparse kept " + sparse + " of 40");
      assertTrue(dense / 400.0 < 0.25, "dense kept " + dense + " of 400");
      assertEquals(110, dense + sparse, 5 * Math.sqrt(110));
      return null;
    }
  }

  @Test
  void aNegativeDensityFailsThePipeline() {
    Pipeline p = KdeDensityTest.pipeline();
    create(p, List.of(DocumentScore.of("a", 0.5), DocumentScore.of("b", -0.1))).apply(SampleByDensity.densest(0.5));
    PipelineExecutionException e =
        assertThrows(PipelineExecutionException.class, () -> TestPipelines.run(p));
    assertTrue(String.valueOf(e.getMessage()).contains("-0.1"), e.getMessage());
  }

  @Test
  void everyWithXValidatesAndNamesTheParameter() {
    SampleByDensity s = SampleByDensity.inversePropensity(0.1);
    Map<String, Supplier<SampleByDensity>> bad = new LinkedHashMap<>();
    bad.put("rate|-0.1|[0, 1]", () -> s.withRate(-0.1));
    bad.put("rate|1.5|[0, 1]", () -> s.withRate(1.5));
    bad.put("rate|NaN|[0, 1]", () -> SampleByDensity.inversePropensity(Double.NaN));
    bad.put("rate|2.0|[0, 1]", () -> SampleByDensity.densest(2));
    bad.put("rate|-1.0|[0, 1]", () -> SampleByDensity.sparsest(-1));
    bad.put("relativeAccuracy|0.0|(0, 0.1]", () -> s.withRelativeAccuracy(0));
    bad.put("relativeAccuracy|0.2|(0, 0.1]", () -> s.withRelativeAccuracy(0.2));
    for (Map.Entry<String, Supplier<SampleByDensity>> e : bad.entrySet()) {
      IllegalArgumentException x =
          assertThrows(IllegalArgumentException.class, () -> e.getValue().get(), e.getKey());
      for (String w : e.getKey().split("\\|")) {
        assertTrue(x.getMessage().contains(w), "'" + x.getMessage() + "' lacks " + w);
      }
    }
  }

  @Test
  void relativeAccuracyChangesTheProbabilities() {
    LogHistogram fine = histogram();
    LogHistogram coarse = LogHistogram.withRelativeAccuracy(0.1);
    for (DocumentScore d : DENSITIES) {
      coarse.add(d.score());
    }
    assertNotEquals(
        keptByHand(KeepRule.inversePropensity(fine, 0.2), 1),
        keptByHand(KeepRule.inversePropensity(coarse, 0.2), 1));
  }

  /** Each pair of settings, applied in both orders, gives the same transform (its display data shows every setting). */
  @Test
  void withMethodsAreOrderIndependent() {
    Map<String, java.util.function.UnaryOperator<SampleByDensity>> settings = new LinkedHashMap<>();
    settings.put("rate", s -> s.withRate(0.2));
    settings.put("count", s -> s.withCount(100));
    settings.put("seed", s -> s.withSeed(7));
    settings.put("accuracy", s -> s.withRelativeAccuracy(0.01));
    for (Map.Entry<String, java.util.function.UnaryOperator<SampleByDensity>> a : settings.entrySet()) {
      for (Map.Entry<String, java.util.function.UnaryOperator<SampleByDensity>> b : settings.entrySet()) {
        SampleByDensity base = SampleByDensity.inversePropensity(0.5);
        SampleByDensity ab = b.getValue().apply(a.getValue().apply(base));
        SampleByDensity ba = a.getValue().apply(b.getValue().apply(base));
        assertEquals(new java.util.HashSet<>(DisplayData.from(ab).items()), new java.util.HashSet<>(DisplayData.from(ba).items()),
            a.getKey() + " then " + b.getKey() + " vs the other order");
      }
    }
  }

  @Test
  void displayDataShowsEverySetting() {
    DisplayData d =
        DisplayData.from(SampleByDensity.sparsest(0.4).withSeed(9).withRelativeAccuracy(0.01));
    assertEquals(4, d.items().size(), d.toString());
    String text = d.toString();
    assertTrue(
        text.contains("SPARSEST")
            && text.contains("0.4")
            && text.contains("9")
            && text.contains("0.01"),
        text);
  }
}
