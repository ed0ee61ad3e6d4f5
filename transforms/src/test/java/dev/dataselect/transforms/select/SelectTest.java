package dev.dataselect.transforms.select;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.DeadLetter;
import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.io.ReadCorpus;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.errorhandling.ErrorHandler;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one selection API: documents in, kept / dropped / unscored documents out, the scores as arguments. */
class SelectTest {
  private static final int N = 200;

  /** Documents doc-0 .. doc-(N-1); doc-i scores i (so the top 20 % are doc-160 .. doc-199). */
  private static List<Document> docs() {
    List<Document> out = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      out.add(Document.of("doc-" + i, "text " + i, "test#" + i, Map.of()));
    }
    return out;
  }

  private static List<DocumentScore> scores(int from) {
    List<DocumentScore> out = new ArrayList<>();
    for (int i = from; i < N; i++) {
      out.add(DocumentScore.of("doc-" + i, i));
    }
    return out;
  }

  private static Set<String> ids(int from, int to) {
    Set<String> out = new TreeSet<>();
    for (int i = from; i < to; i++) {
      out.add("doc-" + i);
    }
    return out;
  }

  private static PCollection<String> idsOf(PCollection<Document> docs, String name) {
    return docs.apply(name, MapElements.into(TypeDescriptors.strings()).via(Document::id));
  }

  @Test
  void topKeepsTheBestAndRoutesDocumentsWithoutAScoreToUnscored() {
    Pipeline p = TestPipelines.create();
    PCollection<Document> docs = p.apply("Docs", Create.of(docs()));
    // doc-0 .. doc-9 have no score (as if a model stage dead-lettered them).
    PCollection<DocumentScore> quality = p.apply("Quality", Create.of(scores(10)));
    Select.Result top = docs.apply("Top", Select.top(quality).withRate(0.2).withShards(4));
    PAssert.that(idsOf(top.selected(), "TopIds")).containsInAnyOrder(ids(162, 200));
    PAssert.that(idsOf(top.rejected(), "RejectedIds")).containsInAnyOrder(ids(10, 162));
    PAssert.that(idsOf(top.unscored(), "UnscoredIds")).containsInAnyOrder(ids(0, 10));
    PAssert.that(top.selectedScores().apply("KeptCount", Count.globally())).containsInAnyOrder(38L);

    Select.Result lowest = docs.apply("Lowest", Select.top(quality).withOrder(ScoreOrder.LOWEST_FIRST).withCount(5).withShards(4));
    PAssert.that(idsOf(lowest.selected(), "LowestIds")).containsInAnyOrder(ids(10, 15));

    Select.Result threshold = docs.apply("Threshold", Select.threshold(quality, 190).withShards(4));
    PAssert.that(idsOf(threshold.selected(), "ThresholdIds")).containsInAnyOrder(ids(190, 200));
    TestPipelines.run(p);
  }

  /** Scores given twice for an id (ids must be unique) whose decisions disagree: that id is unscored, whatever their order. */
  @Test
  void anIdWhoseDecisionsDisagreeIsUnscored() {
    Pipeline p = TestPipelines.create();
    PCollection<Document> docs = p.apply("Docs", Create.of(docs().subList(0, 10)));
    List<DocumentScore> scores = new ArrayList<>(scores(0).subList(0, 10));
    scores.add(DocumentScore.of("doc-0", 1000)); // doc-0 scores 0 and 1000: top-1 keeps one, drops the other
    Select.Result top = docs.apply("Top", Select.top(p.apply("Scores", Create.of(scores))).withCount(1).withShards(2));
    PAssert.that(idsOf(top.unscored(), "Unscored")).containsInAnyOrder("doc-0");
    PAssert.that(idsOf(top.selected(), "Selected")).empty();
    PAssert.that(idsOf(top.rejected(), "Rejected")).containsInAnyOrder(ids(1, 10));
    TestPipelines.run(p);
  }

  @Test
  void randomKeepsByHashAloneAndDensitySamplersAccountForEveryDocument() {
    Pipeline p = TestPipelines.create();
    PCollection<Document> docs = p.apply("Docs", Create.of(docs()));
    Select.Result random = docs.apply("Random", Select.random().withRate(0.3).withSeed(7));
    Set<String> expected = docs().stream().map(Document::id).filter(id -> Hashes.keep(id, 7, 0.3)).collect(Collectors.toSet());
    PAssert.that(idsOf(random.selected(), "RandomIds")).containsInAnyOrder(expected);
    PAssert.that(random.unscored().apply("NoUnscored", Count.globally())).containsInAnyOrder(0L);

    // Densities: the lower half dense, the upper half sparse; every document is kept or dropped.
    List<DocumentScore> density = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      density.add(DocumentScore.of("doc-" + i, i < N / 2 ? 1.0 : 0.01));
    }
    PCollection<DocumentScore> d = p.apply("Density", Create.of(density));
    Select.Result ips = docs.apply("Ips", Select.inverseDensity(d).withCount(40).withSeed(3).withShards(4));
    PAssert.that(ips.selected().apply("IpsKept", Count.globally())).satisfies(n -> {
      long kept = n.iterator().next();
      assertTrue(kept > 20 && kept < 60, "kept " + kept + " of a target of 40");
      return null;
    });
    PAssert.that(idsOf(ips.selected(), "IpsIds")).satisfies(kept -> {
      long sparse = 0;
      long all = 0;
      for (String id : kept) {
        all++;
        sparse += Integer.parseInt(id.substring(4)) >= N / 2 ? 1 : 0;
      }
      assertTrue(sparse > 0.8 * all, sparse + " of " + all + " kept are from the sparse half");
      return null;
    });
    Select.Result qc = docs.apply("Qc", Select.qualityAndCoverage(p.apply("Quality", Create.of(scores(0))), d).withRate(0.2).withShards(4));
    PAssert.that(PCollectionListOf(qc).apply("QcAll", Count.globally())).containsInAnyOrder((long) N);
    TestPipelines.run(p);
  }

  private static PCollection<Document> PCollectionListOf(Select.Result r) {
    return org.apache.beam.sdk.values.PCollectionList.of(r.selected()).and(r.rejected()).and(r.unscored())
        .apply("Flatten" + r.selected().getName().hashCode(), org.apache.beam.sdk.transforms.Flatten.pCollections());
  }

  /** Every pair of settings, set in both orders, gives the same selection (its display data names every setting). */
  @Test
  void settingsAreOrderIndependent() {
    Pipeline p = TestPipelines.create();
    PCollection<DocumentScore> s = p.apply(Create.of(scores(0)));
    Map<String, UnaryOperator<Select>> settings = new LinkedHashMap<>();
    settings.put("rate", x -> x.withRate(0.3));
    settings.put("count", x -> x.withCount(17));
    settings.put("seed", x -> x.withSeed(9));
    settings.put("order", x -> x.withOrder(ScoreOrder.LOWEST_FIRST));
    settings.put("alpha", x -> x.withQualityExponent(2));
    settings.put("beta", x -> x.withDensityExponent(0.5));
    settings.put("shards", x -> x.withShards(8));
    for (Select base : List.of(Select.top(s), Select.qualityAndCoverage(s, s), Select.inverseDensity(s), Select.random())) {
      for (Map.Entry<String, UnaryOperator<Select>> a : settings.entrySet()) {
        for (Map.Entry<String, UnaryOperator<Select>> b : settings.entrySet()) {
          Select ab = b.getValue().apply(a.getValue().apply(base));
          Select ba = a.getValue().apply(b.getValue().apply(base));
          assertEquals(describe(ab), describe(ba), a.getKey() + " then " + b.getKey() + " vs the other order");
          if (Set.of("rate", "count").contains(a.getKey()) || Set.of("rate", "count").contains(b.getKey())) {
            assertEquals(ab.target(), ba.target());
          }
        }
      }
    }
    // A count wins over a rate whichever comes first.
    assertEquals(Target.count(17), Select.random().withCount(17).withRate(0.5).target());
    assertEquals(Target.count(17), Select.random().withRate(0.5).withCount(17).target());
    assertThrows(IllegalStateException.class, () -> Select.random().target(), "no rate and no count");
    assertThrows(IllegalArgumentException.class, () -> Select.threshold(s, 0.5).withRate(0.1));
  }

  private static Set<String> describe(Select s) {
    Set<String> out = new HashSet<>();
    for (DisplayData.Item i : DisplayData.from(s).items()) {
      out.add(i.getKey() + "=" + i.getValue());
    }
    return out;
  }

  /** Dead letters also reach Beam's own error handler, as BadRecords, for teams that collect errors that way. */
  @Test
  void deadLettersAlsoReachABadRecordErrorHandler(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("c.jsonl"), "{\"id\": \"a\", \"text\": \"fine\"}\nnot json\n{\"id\": \"b\"}\n");
    Pipeline p = TestPipelines.create();
    ErrorHandler.BadRecordErrorHandler<PCollection<Long>> handler = p.registerBadRecordErrorHandler(new CountErrors());
    var read = p.apply(ReadCorpus.from(dir.resolve("c.jsonl").toString()).withBadRecordErrorHandler(handler));
    handler.close();
    PAssert.that(read.get(ReadCorpus.DEAD_LETTERS).apply("Letters", Count.globally())).containsInAnyOrder(2L);
    PAssert.that(handler.getOutput()).containsInAnyOrder(2L);
    TestPipelines.run(p);
    assertTrue(DeadLetter.of(DeadLetter.Reason.MALFORMED_JSON, "f#1", "bad", "x\"y").toBadRecord()
        .getRecord().getHumanReadableJsonRecord().contains("\"x\\\"y\""));
  }

  private static final class CountErrors
      extends org.apache.beam.sdk.transforms.PTransform<PCollection<org.apache.beam.sdk.transforms.errorhandling.BadRecord>, PCollection<Long>>
      implements Serializable {
    @Override
    public PCollection<Long> expand(PCollection<org.apache.beam.sdk.transforms.errorhandling.BadRecord> in) {
      return in.apply(Count.globally());
    }
  }
}
