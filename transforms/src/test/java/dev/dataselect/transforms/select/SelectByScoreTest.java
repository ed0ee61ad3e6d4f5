package dev.dataselect.transforms.select;

import dev.dataselect.transforms.DocumentScore;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dataselect.transforms.testing.TestPipelines;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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

/** The transform on the DirectRunner makes exactly the decisions of the radix select's arithmetic. */
class SelectByScoreTest {
  @Test
  void pipelineDecisionsEqualTheArithmeticForSeveralTargets() {
    int n = 5_000;
    Random r = new Random(11);
    String[] ids = new String[n];
    double[] scores = new double[n];
    List<DocumentScore> input = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids[i] = "d" + i;
      scores[i] = Math.round(Math.exp(r.nextGaussian()) * 100) / 100.0; // perplexity-like, with ties
      input.add(DocumentScore.of(ids[i], scores[i]));
    }
    input.add(DocumentScore.of("nan", Double.NaN));
    input.add(DocumentScore.of("inf", Double.POSITIVE_INFINITY));
    List<Target> targets = List.of(Target.rate(0.1), Target.count(377), Target.threshold(0.5));
    boolean[][] expected = RadixSelectTest.select(ids, scores, ScoreOrder.LOWEST_FIRST, targets, 2, 1, new int[1]);
    Set<String> want = new HashSet<>();
    for (int t = 0; t < targets.size(); t++) {
      for (int i = 0; i < n; i++) {
        want.add(t + (expected[t][i] ? "/kept/" : "/dropped/") + ids[i]);
      }
    }
    want.add("invalid/nan");
    want.add("invalid/inf");

    Pipeline p = TestPipelines.create();
    PCollection<DocumentScore> in =
        p.apply(Create.of(input).withCoder(DocumentScore.DocumentScoreCoder.of()));
    PCollectionTuple out = in.apply(SelectByScore.of(ScoreOrder.LOWEST_FIRST, targets).withSeed(RadixSelectTestSeed.SEED));
    PCollectionList<String> all = PCollectionList.empty(p);
    for (int t = 0; t < targets.size(); t++) {
      all = all.and(label(out.get(SelectByScore.selected(t)), t + "/kept/", "k" + t))
          .and(label(out.get(SelectByScore.rejected(t)), t + "/dropped/", "d" + t));
    }
    all = all.and(label(out.get(SelectByScore.INVALID), "invalid/", "i"));
    PAssert.that(all.apply(Flatten.pCollections())).satisfies(new SameSet(want));
    TestPipelines.run(p);
    // The threshold target keeps exactly the scores <= 0.5.
    int atMostHalf = 0;
    for (double s : scores) {
      atMostHalf += s <= 0.5 ? 1 : 0;
    }
    int keptByThreshold = 0;
    for (boolean k : expected[2]) {
      keptByThreshold += k ? 1 : 0;
    }
    assertEquals(atMostHalf, keptByThreshold);
  }

  private static PCollection<String> label(PCollection<DocumentScore> in, String prefix, String name) {
    return in.apply("Label" + name, MapElements.into(TypeDescriptors.strings()).via(kv -> prefix + kv.id()));
  }

  /** The seed RadixSelectTest uses, so both sides hash alike. */
  static final class RadixSelectTestSeed {
    static final long SEED = 7;
  }

  private static final class SameSet implements SerializableFunction<Iterable<String>, Void>, Serializable {
    private final Set<String> want;

    SameSet(Set<String> want) {
      this.want = want;
    }

    @Override
    public Void apply(Iterable<String> got) {
      Set<String> g = new HashSet<>();
      got.forEach(g::add);
      assertEquals(want.size(), g.size());
      assertEquals(want, g);
      return null;
    }
  }
}
