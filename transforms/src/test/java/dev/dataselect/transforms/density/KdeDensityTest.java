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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** KdeDensity on the DirectRunner, against brute force and the plain math. */
class KdeDensityTest {
  private static final List<Embedding> CORPUS = Fixtures.clustered(60, 5, 3, 7, "doc-");

  /** A DirectRunner pipeline (one worker thread, as every test pipeline: see TestPipelines). */
  static Pipeline pipeline() {
    return TestPipelines.create();
  }

  /** Asserts that (id, density) pairs match {@code expected}, every id once, within a tolerance. */
  static final class Matches implements SerializableFunction<Iterable<DocumentScore>, Void> {
    private static final long serialVersionUID = 1L;
    private final HashMap<String, Double> expected;
    private final double tolerance;

    Matches(Map<String, Double> expected, double tolerance) {
      this.expected = new HashMap<>(expected);
      this.tolerance = tolerance;
    }

    @Override
    public Void apply(Iterable<DocumentScore> actual) {
      Map<String, Double> seen = new HashMap<>();
      for (DocumentScore kv : actual) {
        assertEquals(null, seen.put(kv.id(), kv.score()), "repeated " + kv.id());
        Double e = expected.get(kv.id());
        assertTrue(e != null, "unexpected id " + kv.id());
        assertEquals(e, kv.score(), tolerance, kv.id());
      }
      assertEquals(expected.keySet(), seen.keySet());
      return null;
    }
  }

  /** Prefixes ids with a branch name, so that many branches can share one assertion. */
  private static final class Prefix extends DoFn<DocumentScore, DocumentScore> {
    private final String prefix;

    Prefix(String prefix) {
      this.prefix = prefix;
    }

    @ProcessElement
    public void process(@Element DocumentScore kv, OutputReceiver<DocumentScore> out) {
      out.output(DocumentScore.of(prefix + "/" + kv.id(), kv.score()));
    }
  }

  /**
   * Asserts every branch's densities with one PAssert (each PAssert adds several stages, which the
   * DirectRunner pays for).
   */
  static void assertBranches(
      Map<String, PCollection<DocumentScore>> actual,
      Map<String, Map<String, Double>> expected,
      double tolerance) {
    Map<String, Double> all = new HashMap<>();
    PCollectionList<DocumentScore> list = null;
    for (Map.Entry<String, PCollection<DocumentScore>> e : actual.entrySet()) {
      PCollection<DocumentScore> prefixed =
          e.getValue().apply("Prefix" + e.getKey(), ParDo.of(new Prefix(e.getKey())));
      list = list == null ? PCollectionList.of(prefixed) : list.and(prefixed);
      for (Map.Entry<String, Double> x : expected.get(e.getKey()).entrySet()) {
        all.put(e.getKey() + "/" + x.getKey(), x.getValue());
      }
    }
    PAssert.that(list.apply("AllBranches", Flatten.pCollections()))
        .satisfies(new Matches(all, tolerance));
  }

  /** Brute force; a null bandwidth means the default heuristic (median nearest neighbour). */
  private static Map<String, Double> bruteForce(
      List<Embedding> corpus, int m, long seed, Kernel kernel, Double bandwidth) {
    List<Embedding> refs = Fixtures.references(corpus, m, seed);
    double h = bandwidth != null ? bandwidth : Fixtures.medianNearestNeighborDistance(refs);
    return Fixtures.bruteForceKde(corpus, refs, kernel, h);
  }

  private static Map<String, Double> bruteForcePairwise(
      List<Embedding> corpus, int m, long seed, Kernel kernel) {
    List<Embedding> refs = Fixtures.references(corpus, m, seed);
    return Fixtures.bruteForceKde(corpus, refs, kernel, Fixtures.medianDistance(refs));
  }

  private static Map<String, Double> bySketch(
      List<Embedding> corpus, LshFamily family, int rows, int k, int buckets, double w, long seed) {
    RaceHashes h = RaceHashes.create(family, rows, k, buckets, w, corpus.get(0).dimension(), seed);
    RaceSketch s = RaceSketch.empty(rows, buckets);
    for (Embedding e : corpus) {
      s.add(h.bucketsOf(e.vector()), e.dimension());
    }
    Map<String, Double> out = new HashMap<>();
    for (Embedding e : corpus) {
      out.put(e.id(), s.score(h.bucketsOf(e.vector())));
    }
    return out;
  }

  /**
   * Each reference-sample setting changes the densities (by brute force), and the pipeline honours
   * all of them: a branch with a given bandwidth, one with every setting changed at once (pairwise
   * heuristic), and one with the defaults and m above N (the exact leave-one-out KDE) equal brute
   * force to 1e-6. (A branch per setting would cost the DirectRunner seconds each.)
   */
  @Test
  void referenceKdeEqualsBruteForceAndEverySettingMatters() {
    Map<String, Double> base = bruteForce(CORPUS, 25, 3, Kernel.GAUSSIAN, 0.8);
    assertNotEquals(base, bruteForce(CORPUS, 25, 3, Kernel.LAPLACIAN, 0.8), "kernel");
    assertNotEquals(base, bruteForce(CORPUS, 25, 4, Kernel.GAUSSIAN, 0.8), "seed");
    assertNotEquals(base, bruteForce(CORPUS, 30, 3, Kernel.GAUSSIAN, 0.8), "sampleSize");
    assertNotEquals(base, bruteForce(CORPUS, 25, 3, Kernel.GAUSSIAN, 0.5), "bandwidth");
    assertNotEquals(base, bruteForce(CORPUS, 25, 3, Kernel.GAUSSIAN, null), "heuristic");
    assertNotEquals(
        bruteForce(CORPUS, 25, 3, Kernel.GAUSSIAN, null),
        bruteForcePairwise(CORPUS, 25, 3, Kernel.GAUSSIAN),
        "bandwidthHeuristic");

    Map<String, KdeDensity> variants = new LinkedHashMap<>();
    Map<String, Map<String, Double>> expected = new LinkedHashMap<>();
    variants.put(
        "base",
        KdeDensity.referenceSample()
            .withSampleSize(25)
            .withSeed(3)
            .withBandwidth(0.8)
            .withBatchSize(4));
    expected.put("base", base);
    variants.put(
        "allChanged",
        KdeDensity.referenceSample()
            .withKernel(Kernel.LAPLACIAN)
            .withSampleSize(30)
            .withSeed(4)
            .withBandwidthHeuristic(BandwidthHeuristic.MEDIAN_PAIRWISE_DISTANCE)
            .withBatchSize(1));
    expected.put("allChanged", bruteForcePairwise(CORPUS, 30, 4, Kernel.LAPLACIAN));
    // Defaults but m above the corpus size: every point is a reference, the exact
    // leave-one-out KDE, bandwidth by the default heuristic.
    variants.put("defaults", KdeDensity.referenceSample().withSampleSize(100));
    expected.put("defaults", bruteForce(CORPUS, 60, 0, Kernel.GAUSSIAN, null));
    runAndAssertVariants(variants, expected);
  }

  /**
   * The sketch built by the pipeline's combiner (partial sketches merged by addition) scores
   * exactly as the sketch built in one piece by hand; each sketch setting changes the scores, and
   * the pipeline honours all of them.
   */
  @Test
  void sketchEqualsTheSketchBuiltInOnePieceAndEverySettingMatters() {
    Map<String, Double> base = bySketch(CORPUS, LshFamily.P_STABLE, 20, 1, 32, 1.0, 0);
    assertNotEquals(base, bySketch(CORPUS, LshFamily.P_STABLE, 20, 1, 32, 1.0, 2), "seed");
    assertNotEquals(base, bySketch(CORPUS, LshFamily.P_STABLE, 21, 1, 32, 1.0, 0), "rows");
    assertNotEquals(base, bySketch(CORPUS, LshFamily.P_STABLE, 20, 1, 3, 1.0, 0), "buckets");
    assertNotEquals(
        base, bySketch(CORPUS, LshFamily.SIGNED_RANDOM_PROJECTION, 20, 1, 32, 1.0, 0), "family");
    assertNotEquals(base, bySketch(CORPUS, LshFamily.P_STABLE, 20, 2, 32, 1.0, 0), "K");
    assertNotEquals(base, bySketch(CORPUS, LshFamily.P_STABLE, 20, 1, 32, 0.25, 0), "width");

    Map<String, KdeDensity> variants = new LinkedHashMap<>();
    Map<String, Map<String, Double>> expected = new LinkedHashMap<>();
    variants.put("base", KdeDensity.raceSketch().withRows(20).withBuckets(32));
    expected.put("base", base);
    variants.put(
        "pStableChanged",
        KdeDensity.raceSketch()
            .withRows(21)
            .withBuckets(40)
            .withHashesPerRow(2)
            .withBucketWidth(0.25)
            .withSeed(2));
    expected.put("pStableChanged", bySketch(CORPUS, LshFamily.P_STABLE, 21, 2, 40, 0.25, 2));
    variants.put(
        "srp",
        KdeDensity.raceSketch()
            .withRows(30)
            .withBuckets(16)
            .withHashFamily(LshFamily.SIGNED_RANDOM_PROJECTION)
            .withHashesPerRow(4)
            .withSeed(9));
    expected.put("srp", bySketch(CORPUS, LshFamily.SIGNED_RANDOM_PROJECTION, 30, 4, 16, 1.0, 9));
    runAndAssertVariants(variants, expected);
  }

  private static void runAndAssertVariants(
      Map<String, KdeDensity> variants, Map<String, Map<String, Double>> expected) {
    Pipeline p = pipeline();
    PCollection<Embedding> corpus = p.apply(Create.of(CORPUS));
    Map<String, PCollection<DocumentScore>> actual = new LinkedHashMap<>();
    for (Map.Entry<String, KdeDensity> v : variants.entrySet()) {
      actual.put(v.getKey(), corpus.apply(v.getKey(), v.getValue()));
    }
    // 1e-5: the transform's kernel step runs in FP32 (KernelSums); densities are in [0, 1] and the
    // FP32 rounding of squared distances, times 1 / (2 h^2) for small h, reaches a few 1e-6.
    assertBranches(actual, expected, 1e-5);
    TestPipelines.run(p);
  }

  /** Emits (id, timestamp millis) so a test can see that timestamps survive batching. */
  private static final class TimestampOf extends DoFn<DocumentScore, KV<String, Long>> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output(KV.of(c.element().id(), c.timestamp().getMillis()));
    }
  }

  @Test
  void eachWindowIsItsOwnCorpusAndTimestampsSurviveBatching() {
    List<Embedding> first = CORPUS.subList(0, 30);
    List<Embedding> second = CORPUS.subList(30, 60);
    List<TimestampedValue<Embedding>> input = new ArrayList<>();
    List<KV<String, Long>> timestamps = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      // first half in minute 0, second in minute 1, timestamps out of order within each
      long millis = (i < 30 ? 0 : 60_000) + ((i * 7919L) % 60_000);
      input.add(TimestampedValue.of(CORPUS.get(i), new Instant(millis)));
      timestamps.add(KV.of(CORPUS.get(i).id(), millis));
    }
    Pipeline p = pipeline();
    PCollection<DocumentScore> densities =
        p.apply(Create.timestamped(input))
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))))
            .apply(
                KdeDensity.referenceSample()
                    .withSampleSize(12)
                    .withBandwidth(0.9)
                    .withBatchSize(7));
    IntervalWindow w0 = new IntervalWindow(new Instant(0), Duration.standardMinutes(1));
    IntervalWindow w1 = new IntervalWindow(new Instant(60_000), Duration.standardMinutes(1));
    PAssert.that(densities)
        .inWindow(w0)
        .satisfies(new Matches(bruteForce(first, 12, 0, Kernel.GAUSSIAN, 0.9), 1e-5));
    PAssert.that(densities)
        .inWindow(w1)
        .satisfies(new Matches(bruteForce(second, 12, 0, Kernel.GAUSSIAN, 0.9), 1e-5));
    PAssert.that(densities.apply(ParDo.of(new TimestampOf()))).containsInAnyOrder(timestamps);
    TestPipelines.run(p);
  }

  @Test
  void everyWithXValidatesAndNamesTheParameter() {
    KdeDensity.ReferenceSampleKde k = KdeDensity.referenceSample();
    KdeDensity.RaceSketchKde r = KdeDensity.raceSketch();
    Map<String, Supplier<KdeDensity>> bad = new LinkedHashMap<>();
    bad.put("sampleSize|1|[2, 100000]", () -> k.withSampleSize(1));
    bad.put("sampleSize|100001|[2, 100000]", () -> k.withSampleSize(100_001));
    bad.put("kernel|null|GAUSSIAN", () -> k.withKernel(null));
    bad.put("bandwidth|0.0|(0, inf)", () -> k.withBandwidth(0));
    bad.put("bandwidth|NaN|(0, inf)", () -> k.withBandwidth(Double.NaN));
    bad.put("bandwidth|Infinity|(0, inf)", () -> k.withBandwidth(Double.POSITIVE_INFINITY));
    bad.put("batchSize|0|[1, 8192]", () -> k.withBatchSize(0));
    bad.put(
        "bandwidthHeuristic|null|MEDIAN_PAIRWISE_DISTANCE", () -> k.withBandwidthHeuristic(null));
    bad.put("rows|0|[1, 100000]", () -> r.withRows(0));
    bad.put("buckets|1|[2, 100000000]", () -> r.withBuckets(1));
    bad.put("hashFamily|null|P_STABLE", () -> r.withHashFamily(null));
    bad.put("hashesPerRow|31|[1, 30]", () -> r.withHashesPerRow(31));
    bad.put("bucketWidth|-1.0|(0, inf)", () -> r.withBucketWidth(-1));
    for (Map.Entry<String, Supplier<KdeDensity>> e : bad.entrySet()) {
      String[] want = e.getKey().split("\\|");
      IllegalArgumentException x =
          assertThrows(IllegalArgumentException.class, () -> e.getValue().get(), e.getKey());
      for (String w : want) {
        assertTrue(x.getMessage().contains(w), "'" + x.getMessage() + "' lacks " + w);
      }
    }
  }

  /** Each estimator's transform exposes only its own settings: the other's cannot even be written. */
  @Test
  void eachEstimatorExposesOnlyItsOwnSettings() {
    java.util.Set<String> ref = new java.util.TreeSet<>();
    for (java.lang.reflect.Method m : KdeDensity.ReferenceSampleKde.class.getDeclaredMethods()) {
      ref.add(m.getName());
    }
    java.util.Set<String> sketch = new java.util.TreeSet<>();
    for (java.lang.reflect.Method m : KdeDensity.RaceSketchKde.class.getDeclaredMethods()) {
      sketch.add(m.getName());
    }
    assertTrue(ref.containsAll(java.util.List.of("withSampleSize", "withKernel", "withBandwidth", "withBatchSize")), ref.toString());
    assertTrue(sketch.containsAll(java.util.List.of("withRows", "withBuckets", "withHashFamily", "withBucketWidth")), sketch.toString());
    for (String name : java.util.List.of("withRows", "withBuckets", "withHashFamily", "withHashesPerRow", "withBucketWidth")) {
      assertTrue(!ref.contains(name), "ReferenceSampleKde has " + name);
    }
    for (String name : java.util.List.of("withSampleSize", "withKernel", "withBandwidth", "withBandwidthHeuristic", "withBatchSize")) {
      assertTrue(!sketch.contains(name), "RaceSketchKde has " + name);
    }
  }

  @Test
  void conflictingSettingsAreRejectedAtExpansion() {
    Pipeline p = pipeline();
    PCollection<Embedding> corpus = p.apply(Create.of(CORPUS));
    IllegalArgumentException heuristic =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                corpus.apply(
                    "d",
                    KdeDensity.referenceSample()
                        .withBandwidth(0.5)
                        .withBandwidthHeuristic(BandwidthHeuristic.MEDIAN_PAIRWISE_DISTANCE)));
    assertTrue(heuristic.getMessage().contains("bandwidthHeuristic"), heuristic.getMessage());
    IllegalArgumentException size =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                corpus.apply("c", KdeDensity.raceSketch().withRows(100_000).withBuckets(100_000)));
    assertTrue(size.getMessage().contains("rows x buckets"), size.getMessage());
  }

  @Test
  void aDimensionMismatchFailsThePipeline() {
    List<Embedding> mixed = new ArrayList<>(CORPUS.subList(0, 5));
    mixed.add(Embedding.of("odd", new float[] {1f, 2f}));
    for (KdeDensity k :
        new KdeDensity[] {
          KdeDensity.referenceSample().withSampleSize(3).withBandwidth(1),
          KdeDensity.raceSketch().withRows(4).withBuckets(8)
        }) {
      Pipeline p = pipeline();
      p.apply(Create.of(mixed)).apply(k);
      PipelineExecutionException e =
          assertThrows(PipelineExecutionException.class, () -> TestPipelines.run(p));
      assertTrue(String.valueOf(e.getMessage()).contains("dimension"), e.getMessage());
    }
  }

  @Test
  void anEmptyCorpusGivesNoDensities() {
    Pipeline p = pipeline();
    PCollection<Embedding> none = p.apply(Create.empty(Embedding.EmbeddingCoder.of()));
    PAssert.that(none.apply("ref", KdeDensity.referenceSample())).empty();
    PAssert.that(none.apply("sketch", KdeDensity.raceSketch().withRows(2).withBuckets(4))).empty();
    TestPipelines.run(p);
  }

  @Test
  void displayDataShowsEverySetting() {
    DisplayData ref = DisplayData.from(KdeDensity.referenceSample().withSampleSize(50));
    assertEquals(6, ref.items().size(), ref.toString());
    assertTrue(ref.toString().contains("MEDIAN_NEAREST_NEIGHBOR_DISTANCE"), ref.toString());
    assertTrue(ref.toString().contains("50"), ref.toString());
    DisplayData sk = DisplayData.from(KdeDensity.raceSketch().withBucketWidth(0.5));
    assertEquals(7, sk.items().size(), sk.toString());
    assertTrue(sk.toString().contains("RACE_SKETCH") && sk.toString().contains("0.5"));
  }
}
