package dev.dataselect.transforms.select;

import dev.dataselect.transforms.DocumentScore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.density.SampleByDensity;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

/** Each knob of the combined sampler moves the selection the way its documentation says. */
class QualityCoverageTest {
  private static final int N = 3_000;
  private static final double RATE = 0.2;

  @Test
  void knobsMoveTheSelectionAsDocumented() {
    Random r = new Random(21);
    List<DocumentScore> density = new ArrayList<>();
    List<DocumentScore> quality = new ArrayList<>();
    HashMap<String, double[]> scores = new HashMap<>();
    for (int i = 0; i < N; i++) {
      String id = "d" + i;
      double d = Math.exp(r.nextGaussian());
      double q = 0.01 + 0.99 * r.nextDouble();
      density.add(DocumentScore.of(id, d));
      quality.add(DocumentScore.of(id, q));
      scores.put(id, new double[] {q, d});
    }
    quality.add(DocumentScore.of("quality-only", 0.5)); // no density: unscored
    density.add(DocumentScore.of("zero-quality", 1.0));
    quality.add(DocumentScore.of("zero-quality", 0.0)); // q = 0 cannot be weighed: unscored

    Map<String, double[]> knobs = new LinkedHashMap<>(); // name -> {alpha, beta}
    knobs.put("a0b1", new double[] {0, 1});
    knobs.put("a1b1", new double[] {1, 1});
    knobs.put("a4b1", new double[] {4, 1});
    knobs.put("a1b0", new double[] {1, 0});
    knobs.put("a1b2", new double[] {1, 2});
    knobs.put("a0b0", new double[] {0, 0});

    Pipeline p = TestPipelines.create();
    DocumentScore.DocumentScoreCoder coder = DocumentScore.DocumentScoreCoder.of();
    PCollection<DocumentScore> d = p.apply("Densities", Create.of(density).withCoder(coder));
    PCollection<DocumentScore> q = p.apply("Quality", Create.of(quality).withCoder(coder));
    PCollectionList<String> all = PCollectionList.empty(p);
    for (Map.Entry<String, double[]> k : knobs.entrySet()) {
      String name = k.getKey();
      PCollectionTuple out = d.apply(name, QualityCoverage.with(q)
          .withQualityExponent(k.getValue()[0]).withDensityExponent(k.getValue()[1])
          .withRate(RATE).withSeed(9).withShards(4));
      all = all.and(out.get(QualityCoverage.SELECTED).apply(name + "Kept", label(name + "/kept/")))
          .and(out.get(QualityCoverage.UNSCORED).apply(name + "Unscored", label(name + "/unscored/")));
    }
    // The same densities as the combined sampler can weigh (zero-quality has no usable quality).
    PCollectionTuple ips = p.apply("IpsDensities", Create.of(density.subList(0, N)).withCoder(coder)).apply("Ips", SampleByDensity.inversePropensity(RATE).withSeed(9));
    all = all.and(ips.get(SampleByDensity.SELECTED).apply("IpsKept", label("ips/kept/")));
    PAssert.that(all.apply(Flatten.pCollections())).satisfies(new Check(scores));
    TestPipelines.run(p);
  }

  private static MapElements<String, String> label(String prefix) {
    return MapElements.into(TypeDescriptors.strings()).via(id -> prefix + id);
  }

  private static final class Check implements SerializableFunction<Iterable<String>, Void>, Serializable {
    private final HashMap<String, double[]> scores;

    Check(HashMap<String, double[]> scores) {
      this.scores = scores;
    }

    @Override
    public Void apply(Iterable<String> labelled) {
      Map<String, Set<String>> kept = new HashMap<>();
      Map<String, Set<String>> unscored = new HashMap<>();
      for (String s : labelled) {
        String[] parts = s.split("/", 3);
        (parts[1].equals("kept") ? kept : unscored).computeIfAbsent(parts[0], x -> new HashSet<>()).add(parts[2]);
      }
      // alpha = 0, beta = 1 is the paper's DENSITY sampler: the very same documents.
      assertEquals(kept.get("ips"), kept.get("a0b1"));
      for (String name : List.of("a0b1", "a1b1", "a4b1", "a1b0", "a1b2", "a0b0")) {
        assertEquals(Set.of("quality-only", "zero-quality"), unscored.get(name), name);
        double size = kept.get(name).size();
        assertTrue(Math.abs(size - RATE * N) < 5 * Math.sqrt(RATE * N), name + " kept " + size);
      }
      // Raising alpha raises the kept set's quality.
      assertTrue(mean(kept.get("a0b1"), 0) < mean(kept.get("a1b1"), 0), "alpha 0 -> 1 raises quality");
      assertTrue(mean(kept.get("a1b1"), 0) < mean(kept.get("a4b1"), 0), "alpha 1 -> 4 raises quality");
      // Raising beta lowers the kept set's density (more of the sparse regions: coverage).
      assertTrue(mean(kept.get("a1b0"), 1) > mean(kept.get("a1b1"), 1), "beta 0 -> 1 lowers density");
      assertTrue(mean(kept.get("a1b1"), 1) > mean(kept.get("a1b2"), 1), "beta 1 -> 2 lowers density");
      // Both zero: neither score matters, the kept set looks like the whole.
      double allQ = scores.values().stream().mapToDouble(v -> v[0]).average().orElseThrow();
      assertTrue(Math.abs(mean(kept.get("a0b0"), 0) - allQ) < 0.03, "alpha = beta = 0 is uniform");
      return null;
    }

    private double mean(Set<String> ids, int which) {
      return ids.stream().mapToDouble(id -> scores.get(id)[which]).average().orElseThrow();
    }
  }
}
