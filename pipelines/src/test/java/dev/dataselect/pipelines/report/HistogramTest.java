package dev.dataselect.pipelines.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dataselect.transforms.Document;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

class HistogramTest {
  private static JsonNode json(Histogram h) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    h.writeTo(n);
    return n;
  }

  @Test
  void probabilityBinsCoverZeroToOneAndRejectOutOfRange() {
    Histogram h = new Histogram(RunReport.Scale.PROBABILITY).add(0).add(0.019).add(0.02).add(1.0).add(1.5).add(Double.NaN);
    assertEquals(Map.of(0, 2L, 1, 1L, 49, 1L), h.bins());
    JsonNode j = json(h);
    assertEquals(4, j.get("count").asLong());
    assertEquals(2, j.get("outOfRange").asLong());
    assertEquals(0.98, j.at("/bins/2/lo").asDouble(), 1e-12);
    assertEquals(1.0, j.at("/bins/2/hi").asDouble(), 1e-12);
  }

  @Test
  void logBinsAreTenPerDecadeAndNonPositiveIsOutOfRange() {
    Histogram h = new Histogram(RunReport.Scale.POSITIVE).add(1.0).add(1.3).add(0.001).add(0).add(-3);
    assertEquals(Map.of(0, 1L, -30, 1L, 1, 1L), h.bins());
    assertEquals(2, json(h).get("outOfRange").asLong());
    assertEquals(Math.pow(10, 0.1), h.lowerEdge(1), 1e-12);
  }

  @Test
  void mergingPartsEqualsAddingAll() {
    double[] xs = {0.003, 0.2, 17, 4e-7, 0.2, 950, 3.3};
    Histogram all = new Histogram(RunReport.Scale.POSITIVE);
    Histogram a = new Histogram(RunReport.Scale.POSITIVE);
    Histogram b = new Histogram(RunReport.Scale.POSITIVE);
    for (int i = 0; i < xs.length; i++) {
      all.add(xs[i]);
      (i % 2 == 0 ? a : b).add(xs[i]);
    }
    assertEquals(json(all), json(a.merge(b)));
  }

  @Test
  void theCoderRoundTripsNegativeBinsAndEmptyHistograms() throws Exception {
    Histogram h = new Histogram(RunReport.Scale.POSITIVE).add(4e-9).add(3e7).add(-1);
    assertEquals(json(h), json(org.apache.beam.sdk.util.CoderUtils.clone(Histogram.HistogramCoder.of(), h)));
    Histogram empty = new Histogram(RunReport.Scale.PROBABILITY);
    assertEquals(json(empty), json(org.apache.beam.sdk.util.CoderUtils.clone(Histogram.HistogramCoder.of(), empty)));
  }

  @Test
  void aDecisionNeedsItsScoreRegistered() {
    Pipeline p = Pipeline.create();
    PCollection<KV<String, Double>> s = p.apply(Create.of(KV.of("a", 0.5)));
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
