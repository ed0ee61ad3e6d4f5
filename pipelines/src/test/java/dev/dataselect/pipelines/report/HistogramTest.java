package dev.dataselect.pipelines.report;

import dev.dataselect.transforms.testing.TestPipelines;

import dev.dataselect.transforms.DocumentScore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.Document;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistogramTest {
  private static JsonNode json(Histogram h) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    h.writeTo(n);
    return n;
  }

  private static final RunReport.Scale P = RunReport.Scale.PROBABILITY;
  private static final RunReport.Scale LOG = RunReport.Scale.POSITIVE;

  private static Histogram of(RunReport.Scale scale, double... xs) {
    Histogram.Range r = Histogram.Range.EMPTY;
    for (double x : xs) {
      r = Histogram.placeable(scale, x) ? r.with(x) : r;
    }
    Histogram h = new Histogram(scale, r);
    for (double x : xs) {
      h.add(x);
    }
    return h;
  }

  private static long sum(long[] bins) {
    return java.util.Arrays.stream(bins).sum();
  }

  private static int nonEmpty(long[] bins) {
    return (int) java.util.Arrays.stream(bins).filter(n -> n > 0).count();
  }

  @Test
  void probabilityBinsSpanTheObservedRangeInEqualBins() {
    // P(yes) between 0.2 and 0.3: fixed bins over [0, 1] gave 5 bars, fitted bins give 40.
    double[] xs = new double[1001];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = 0.2 + 0.1 * i / 1000;
    }
    Histogram h = of(P, xs);
    assertTrue(Histogram.BINS >= 30);
    assertEquals(Histogram.BINS, h.bins().length);
    assertEquals(Histogram.BINS, nonEmpty(h.bins()));
    assertEquals(1001, sum(h.bins()));
    JsonNode j = json(h);
    assertEquals(0.2, j.at("/bins/0/lo").asDouble(), 0.0);
    assertEquals(xs[1000], j.at("/bins/" + (Histogram.BINS - 1) + "/hi").asDouble(), 0.0);
    assertEquals(0.2 + 0.1 / Histogram.BINS, j.at("/bins/0/hi").asDouble(), 1e-12);
    for (int i = 1; i < Histogram.BINS; i++) {
      assertEquals(j.at("/bins/" + (i - 1) + "/hi").asDouble(), j.at("/bins/" + i + "/lo").asDouble(), 0.0, "bins are contiguous");
    }
    // 1001 evenly spaced values: about 25 per bin (a value on an edge may fall either side).
    for (long n : h.bins()) {
      assertTrue(n >= 24 && n <= 27, java.util.Arrays.toString(h.bins()));
    }
  }

  @Test
  void logBinsSpanTheObservedRangeEquallyInLogSpace() {
    // Densities between 3e-4 and 9e-4, under half a decade: 10 bins per decade gave 5 bars.
    double[] xs = new double[500];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = 3e-4 * Math.pow(3, (double) i / (xs.length - 1));
    }
    Histogram h = of(LOG, xs);
    assertEquals(Histogram.BINS, nonEmpty(h.bins()));
    assertEquals(500, sum(h.bins()));
    JsonNode j = json(h);
    assertEquals(xs[0], j.at("/bins/0/lo").asDouble(), 0.0);
    assertEquals(xs[xs.length - 1], j.at("/bins/" + (Histogram.BINS - 1) + "/hi").asDouble(), 0.0);
    double ratio = Math.pow(3, 1.0 / Histogram.BINS);
    for (int i = 0; i < Histogram.BINS; i++) {
      assertEquals(ratio, j.at("/bins/" + i + "/hi").asDouble() / j.at("/bins/" + i + "/lo").asDouble(), 1e-9, "bin " + i);
    }
    assertEquals("log", binning(h).get("spacing").asText());
  }

  @Test
  void linearBinsPlaceZeroNegativeAndLargeValues() {
    // Word counts and fractions (--signals): 0 and negatives are placeable, the bins are equal.
    Histogram h = of(RunReport.Scale.LINEAR, -10, 0, 45, 90, Double.NaN);
    assertEquals(4, h.count());
    assertEquals(1, h.outOfRange());
    assertEquals(1, h.bins()[0]);
    assertEquals(1, h.bins()[Histogram.BINS - 1]);
    JsonNode j = json(h);
    assertEquals(-10, j.at("/bins/0/lo").asDouble(), 1e-9);
    assertEquals(100.0 / Histogram.BINS, j.at("/bins/0/hi").asDouble() - j.at("/bins/0/lo").asDouble(), 1e-9);
    // One repeated value: a small span around it, wherever it is.
    Histogram one = of(RunReport.Scale.LINEAR, 250, 250);
    assertEquals(2, one.count());
    assertEquals(2, sum(one.bins()));
  }

  @Test
  void nanInfinityAndValuesOffTheScaleAreOutOfRangeAndTotalsAreExact() {
    Histogram p = of(P, 0, 0.5, 1.0, 1.5, -0.1, Double.NaN, Double.POSITIVE_INFINITY);
    assertEquals(3, p.count());
    assertEquals(4, p.outOfRange());
    assertEquals(3, sum(p.bins()));
    assertEquals(1, p.bins()[0]);
    assertEquals(1, p.bins()[Histogram.BINS / 2]);
    assertEquals(1, p.bins()[Histogram.BINS - 1]);
    Histogram log = of(LOG, 1.0, 1000, 0, -3, Double.NEGATIVE_INFINITY, Double.NaN);
    assertEquals(2, log.count());
    assertEquals(4, json(log).get("outOfRange").asLong());
    assertEquals(2, sum(log.bins()));
    // A value outside the fitted range cannot be placed either.
    Histogram fitted = new Histogram(LOG, Histogram.Range.of(1, 10)).add(11).add(0.5).add(10).add(1);
    assertEquals(2, fitted.count());
    assertEquals(2, fitted.outOfRange());
  }

  @Test
  void aDegenerateRangeIsOneBarInTheMiddleOfBinsAroundTheValue() {
    Histogram same = of(LOG, 0.004, 0.004, 0.004);
    assertEquals(Histogram.BINS, same.bins().length);
    assertEquals(3, same.bins()[Histogram.BINS / 2]);
    assertEquals(1, nonEmpty(same.bins()));
    JsonNode j = json(same);
    double lo = j.at("/bins/0/lo").asDouble();
    double hi = j.at("/bins/" + (Histogram.BINS - 1) + "/hi").asDouble();
    assertTrue(lo < 0.004 && 0.004 < hi && hi < 0.0043 && lo > 0.0037, lo + " " + hi);
    assertEquals(0.004, j.get("min").asDouble(), 0.0);
    Histogram one = of(P, 1.0);
    assertEquals(1, one.bins()[Histogram.BINS - 1]);
    JsonNode k = json(one);
    assertEquals(1.0, k.at("/bins/" + (Histogram.BINS - 1) + "/hi").asDouble(), 0.0, "clipped to the scale");
    assertTrue(k.at("/bins/0/lo").asDouble() < 1.0);
    Histogram zero = of(P, 0.0);
    assertEquals(1, zero.bins()[0]);
    assertEquals(0.0, json(zero).at("/bins/0/lo").asDouble(), 0.0);
  }

  @Test
  void anEmptyRangeHasNoBinsAndCountsEverythingOutOfRange() {
    Histogram h = new Histogram(LOG, Histogram.Range.EMPTY).add(3).add(Double.NaN);
    JsonNode j = json(h);
    assertEquals(0, j.get("count").asLong());
    assertEquals(2, j.get("outOfRange").asLong());
    assertEquals(0, j.get("bins").size());
    assertTrue(j.get("min").isNull());
    assertTrue(binning(h).get("lo").isNull());
  }

  @Test
  void mergingPartsEqualsAddingAll() {
    double[] xs = {0.003, 0.2, 17, 4e-7, 0.2, 950, 3.3, -1, Double.NaN};
    Histogram.Range r = Histogram.Range.of(4e-7, 950);
    Histogram all = new Histogram(LOG, r);
    Histogram a = new Histogram(LOG, r);
    Histogram b = new Histogram(LOG, r);
    for (int i = 0; i < xs.length; i++) {
      all.add(xs[i]);
      (i % 2 == 0 ? a : b).add(xs[i]);
    }
    assertEquals(json(all), json(a.merge(b)));
    assertEquals(7, sum(all.bins()));
    assertThrows(IllegalArgumentException.class, () -> a.merge(new Histogram(LOG, Histogram.Range.of(1, 2))));
  }

  @Test
  void theRangeCombineIsExactAndIgnoresWhatTheScaleCannotPlace() {
    Histogram.RangeFn fn = new Histogram.RangeFn(LOG);
    Histogram.Range a = fn.addInput(fn.addInput(fn.createAccumulator(), 0.5), -2.0);
    Histogram.Range b = fn.addInput(fn.addInput(fn.createAccumulator(), Double.NaN), 7e3);
    assertEquals(Histogram.Range.of(0.5, 7e3), fn.mergeAccumulators(List.of(a, b, fn.createAccumulator())));
    assertTrue(fn.extractOutput(fn.createAccumulator()).isEmpty());
  }

  @Test
  void theCoderRoundTripsAndStaysSmall() throws Exception {
    Histogram h = of(LOG, 4e-9, 3e7, -1, 5, 5, 5);
    byte[] bytes = org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(Histogram.HistogramCoder.of(), h);
    assertTrue(bytes.length < 100, "encoded bytes " + bytes.length);
    assertEquals(json(h), json(org.apache.beam.sdk.util.CoderUtils.decodeFromByteArray(Histogram.HistogramCoder.of(), bytes)));
    Histogram empty = new Histogram(P, Histogram.Range.EMPTY);
    assertEquals(json(empty), json(org.apache.beam.sdk.util.CoderUtils.clone(Histogram.HistogramCoder.of(), empty)));
  }

  @Test
  void aScoreAndItsDecisionsShareTheirBinsAndTheFilesAddUp(@TempDir Path dir) throws Exception {
    List<DocumentScore> scores = new java.util.ArrayList<>();
    List<DocumentScore> kept = new java.util.ArrayList<>();
    List<DocumentScore> dropped = new java.util.ArrayList<>();
    for (int i = 0; i < 300; i++) {
      DocumentScore kv = DocumentScore.of("d" + i, 2e-3 * (1 + Math.sin(i) * 0.4));
      scores.add(kv);
      (i % 3 == 0 ? kept : dropped).add(kv);
    }
    scores.add(DocumentScore.of("nan", Double.NaN));
    Pipeline p = TestPipelines.create();
    RunReport.to(dir.toString())
        .scores("density", LOG, p.apply("S", Create.of(scores)))
        .decisions("density@0.3", "density", p.apply("K", Create.of(kept)), p.apply("D", Create.of(dropped)))
        .apply();
    TestPipelines.run(p);
    ObjectMapper mapper = new ObjectMapper();
    JsonNode hist = mapper.readTree(dir.resolve("report/data/histogram-density.json").toFile());
    JsonNode dec = mapper.readTree(dir.resolve("report/data/decisions-density@0.3.json").toFile());
    JsonNode all = hist.at("/series/all");
    assertEquals(300, all.get("count").asLong());
    assertEquals(1, all.get("outOfRange").asLong());
    assertEquals(Histogram.BINS, all.get("bins").size());
    assertEquals(hist.get("binning"), dec.get("binning"));
    assertEquals(all.get("min").asDouble(), hist.at("/binning/lo").asDouble(), 0.0);
    assertEquals(all.get("max").asDouble(), hist.at("/binning/hi").asDouble(), 0.0);
    int nonEmpty = 0;
    for (int i = 0; i < Histogram.BINS; i++) {
      JsonNode b = all.get("bins").get(i);
      JsonNode k = dec.at("/series/kept/bins/" + i);
      JsonNode d = dec.at("/series/dropped/bins/" + i);
      assertEquals(b.get("lo"), k.get("lo"), "bin " + i);
      assertEquals(b.get("hi"), d.get("hi"), "bin " + i);
      assertEquals(b.get("count").asLong(), k.get("count").asLong() + d.get("count").asLong(), "bin " + i);
      nonEmpty += b.get("count").asLong() > 0 ? 1 : 0;
    }
    assertTrue(nonEmpty >= 30, "non-empty bins " + nonEmpty);
    assertEquals(100, dec.at("/series/kept/count").asLong());
  }

  @Test
  void anEmptyScoreWritesEmptyHistograms(@TempDir Path dir) throws Exception {
    Pipeline p = TestPipelines.create();
    org.apache.beam.sdk.coders.Coder<DocumentScore> coder = DocumentScore.DocumentScoreCoder.of();
    RunReport.to(dir.toString())
        .scores("askllm", P, p.apply("S", Create.empty(coder)))
        .decisions("quality@0.5", "askllm", p.apply("K", Create.empty(coder)), p.apply("D", Create.empty(coder)))
        .apply();
    TestPipelines.run(p);
    JsonNode dec = new ObjectMapper().readTree(dir.resolve("report/data/decisions-quality@0.5.json").toFile());
    assertEquals(0, dec.at("/series/kept/count").asLong());
    assertEquals(0, dec.at("/series/dropped/bins").size());
    JsonNode hist = new ObjectMapper().readTree(dir.resolve("report/data/histogram-askllm.json").toFile());
    assertEquals(0, hist.at("/series/all/count").asLong());
  }

  private static JsonNode binning(Histogram h) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    h.writeBinning(n);
    return n;
  }

  @Test
  void aDecisionNeedsItsScoreRegistered() {
    Pipeline p = TestPipelines.create();
    PCollection<DocumentScore> s = p.apply(Create.of(DocumentScore.of("a", 0.5)));
    RunReport r = RunReport.to("/tmp/x").decisions("density@0.2", "density", s, s);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::apply);
    assertTrue(e.getMessage().contains("register it with scores()"), e.getMessage());
  }

  @Test
  void languageComesFromAKnownMetadataFieldAndSourceDropsTheRecordIndex() {
    Document d = Document.of("1", "t", "/data/x.jsonl#17", Map.of("Lang", "de"));
    assertEquals("de", RunReport.language(d));
    assertEquals(List.of("documents\tsource\t/data/x.jsonl", "documents\tlanguage\tde"), RunReport.countKeys("documents", d));
    assertEquals(null, RunReport.language(Document.of("2", "t", "f#1", Map.of("title", "x"))));
  }

  @Test
  void pageTextIsEscaped() {
    assertEquals("&lt;b class=&quot;x&quot;&gt;&amp;&#39;", ReportPage.esc("<b class=\"x\">&'"));
  }
}
