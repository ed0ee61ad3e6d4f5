package dev.dataselect.transforms.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.DocumentScore;
import dev.dataselect.transforms.Embedding;
import dev.dataselect.transforms.Hashes;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/** SemDeDup against brute force, with and without blocks, and with quality deciding which copy stays. */
class SemDeDupTest {
  private static final int D = 16;
  private static final long SEED = 7;

  /**
   * Three planted clusters of 30 points; in each, 8 points get a near-copy (cosine above 0.999) and
   * 2 a moderately close one (about 0.98). Copies are named {@code <original>~copy}.
   */
  static List<Embedding> withNearDuplicates() {
    List<Embedding> base = KMeansTest.planted(3, 30, D, 21);
    SplittableRandom r = new SplittableRandom(5);
    List<Embedding> out = new ArrayList<>(base);
    for (int i = 0; i < base.size(); i++) {
      int slot = i % 30;
      if (slot < 10) {
        float noise = slot < 8 ? 0.001f : 0.05f;
        float[] v = base.get(i).vector();
        for (int k = 0; k < D; k++) {
          v[k] += noise * (float) KMeansTest.gaussian(r);
        }
        out.add(Embedding.of(base.get(i).id() + "~copy", v));
      }
    }
    return out;
  }

  /** The brute-force answer: for each document, the most similar preceding document of its cluster. */
  static Map<String, NearestPreceding> bruteForce(List<Embedding> docs, Map<String, Integer> cluster, Map<String, Double> quality) {
    List<SemDeDup.Member> members = new ArrayList<>();
    for (Embedding e : docs) {
      float[] u = new float[D];
      KMeans.unitRow(e, u, 0);
      double q = quality.isEmpty() ? 0.0 : quality.getOrDefault(e.id(), Double.NEGATIVE_INFINITY);
      members.add(new SemDeDup.Member(e.id(), cluster.get(e.id()), q, Hashes.unit(e.id(), SEED), u, 0));
    }
    Map<String, NearestPreceding> out = new HashMap<>();
    for (SemDeDup.Member x : members) {
      NearestPreceding best = NearestPreceding.none(x.id);
      for (SemDeDup.Member y : members) {
        if (y == x || y.cluster != x.cluster || !y.precedes(x)) {
          continue;
        }
        double s = 0;
        for (int k = 0; k < D; k++) {
          s += (double) x.unit[k] * y.unit[k];
        }
        best = NearestPreceding.max(best, NearestPreceding.of(x.id, s, y.id));
      }
      out.put(x.id, best);
    }
    return out;
  }

  private static void assertEqualsBruteForce(int blockSize, boolean withQuality) {
    List<Embedding> docs = withNearDuplicates();
    Map<String, Double> quality = new HashMap<>();
    if (withQuality) {
      // Copies score higher than their originals, so the copy is the one kept.
      for (Embedding e : docs) {
        quality.put(e.id(), e.id().endsWith("~copy") ? 0.9 : 0.5 - Hashes.unit(e.id(), 3) * 0.1);
      }
    }
    Pipeline p = TestPipelines.create();
    PCollection<Embedding> in = p.apply(Create.of(docs));
    KMeans.Result clusters = in.apply(KMeans.of(3).withSeed(1).withMaxIterations(4));
    SemDeDup dedup = SemDeDup.within(clusters.centroidsView()).withSeed(SEED).withBlockSize(blockSize).withShards(4);
    if (withQuality) {
      List<DocumentScore> scores = new ArrayList<>();
      quality.forEach((id, q) -> scores.add(DocumentScore.of(id, q)));
      dedup = dedup.withQuality(p.apply("Quality", Create.of(scores)));
    }
    PCollection<NearestPreceding> nearest = in.apply(dedup);
    // Brute force over the clusters KMeans found (SemDeDup assigns with the same centroids and kernel).
    PCollectionView<List<ClusterAssignment>> assigned = clusters.assignments().apply("AssignedView", View.asList());
    PCollectionView<List<NearestPreceding>> found = nearest.apply("FoundView", View.asList());
    PCollection<String> verdict = p.apply("Check", Create.of("check"))
        .apply("CompareWithBruteForce", ParDo.of(new CompareFn(docs, quality, withQuality, assigned, found)).withSideInputs(assigned, found));
    PAssert.that(verdict).containsInAnyOrder("ok");
    TestPipelines.run(p);
  }

  /** Compares SemDeDup's output with {@link #bruteForce} over the same clusters; fails the pipeline on a difference. */
  private static final class CompareFn extends DoFn<String, String> {
    private final List<Embedding> docs;
    private final Map<String, Double> quality;
    private final boolean withQuality;
    private final PCollectionView<List<ClusterAssignment>> assigned;
    private final PCollectionView<List<NearestPreceding>> found;

    CompareFn(List<Embedding> docs, Map<String, Double> quality, boolean withQuality,
        PCollectionView<List<ClusterAssignment>> assigned, PCollectionView<List<NearestPreceding>> found) {
      this.docs = docs;
      this.quality = new HashMap<>(quality);
      this.withQuality = withQuality;
      this.assigned = assigned;
      this.found = found;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      Map<String, Integer> cluster = new HashMap<>();
      for (ClusterAssignment a : c.sideInput(assigned)) {
        cluster.put(a.id(), a.cluster());
      }
      assertEquals(docs.size(), cluster.size());
      Map<String, NearestPreceding> want = bruteForce(docs, cluster, quality);
      int n = 0;
      int planted = 0;
      for (NearestPreceding g : c.sideInput(found)) {
        n++;
        NearestPreceding w = want.get(g.id());
        assertEquals(w.duplicateOf(), g.duplicateOf(), g.id());
        assertEquals(w.similarity(), g.similarity(), 1e-5, g.id());
        if (g.id().endsWith("~copy") && w.similarity() > 0.999) {
          planted++;
        }
        if (withQuality && g.id().matches("c\\d-[0-7]")) {
          // The copy scores higher, so it precedes its original: the original is the one dropped.
          assertEquals(g.id() + "~copy", g.duplicateOf(), g.toString());
          assertTrue(g.similarity() > 0.999, g.toString());
        }
      }
      assertEquals(docs.size(), n);
      if (!withQuality) {
        assertTrue(planted > 0, "no planted pair seen");
      }
      c.output("ok");
    }
  }

  @Test
  void equalsBruteForceOnOneBlockPerCluster() {
    assertEqualsBruteForce(SemDeDup.DEFAULT_BLOCK_SIZE, false);
  }

  @Test
  void clustersSplitIntoBlocksStillEqualBruteForce() {
    // 40 documents per cluster in blocks of 6: 7 blocks, 28 groups per cluster.
    assertEqualsBruteForce(6, false);
  }

  @Test
  void higherQualityPrecedesAndIsKept() {
    assertEqualsBruteForce(9, true);
  }

  @Test
  void plantedNearDuplicatesAreExactlyTheDocumentsAThresholdDrops() {
    List<Embedding> docs = withNearDuplicates();
    Map<String, Integer> cluster = new HashMap<>();
    for (Embedding e : docs) {
      cluster.put(e.id(), Integer.parseInt(e.id().substring(1, e.id().indexOf('-'))));
    }
    Map<String, NearestPreceding> nearest = bruteForce(docs, cluster, Map.of());
    double epsilon = 0.001;
    int dropped = 0;
    for (NearestPreceding n : nearest.values()) {
      if (n.similarity() > 1 - epsilon) {
        dropped++;
        // The dropped one of a planted pair duplicates the other one.
        String a = n.id().replace("~copy", "");
        String b = n.duplicateOf().replace("~copy", "");
        assertEquals(a, b, n.toString());
      }
    }
    assertEquals(24, dropped, "8 near-copies in each of 3 clusters");
    assertNull(NearestPreceding.none("x").duplicateOf());
  }
}
