package dev.dataselect.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dataselect.transforms.StageTallies;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

class JobCountsTest {
  @Test
  void countsSumsNamesAndEmptyCollections() {
    Pipeline p = TestPipelines.create();
    PCollection<Long> many = p.apply("Many", Create.of(LongStream.rangeClosed(1, 1000).boxed().collect(Collectors.toList())));
    PCollection<Long> empty = p.apply("Empty", Create.empty(VarLongCoder.of()));
    JobCounts counts = new JobCounts(p)
        .count(many, "documents")
        .count(many, "alsoDocuments")
        .sum(p.apply("Sizes", Create.of(3L, 4L, 5L)), "bytes")
        .count(empty, "none")
        .count(empty, "repeated")
        .count(many, "repeated");
    PCollection<Long> total = counts.total(many);
    counts.name(total, "named");
    counts.count(many, "afterTotal"); // names the total already applied
    PAssert.thatSingleton(total).isEqualTo(1000L);
    PAssert.that(counts.finish().apply("ToMap", org.apache.beam.sdk.transforms.Combine.globally(new WriteSummary.ToMap())))
        .containsInAnyOrder(Map.of(
            "documents", 1000L, "alsoDocuments", 1000L, "bytes", 12L, "none", 0L,
            "repeated", 1000L, "named", 1000L, "afterTotal", 1000L));
    TestPipelines.run(p);
    // One counting branch per collection, however many names read it.
    assertEquals(3, countSteps(p));
  }

  @Test
  void stagesTickAndAreDoneWithTheExactTotal() {
    StageTallies.reset();
    Pipeline p = TestPipelines.create();
    PCollection<Long> docs = p.apply(Create.of(LongStream.range(0, 250).boxed().collect(Collectors.toList())));
    PCollection<Long> none = p.apply("None", Create.empty(VarLongCoder.of()));
    // Two stages on one collection (the limit's output is the candidates when there is no dedup).
    JobCounts counts = new JobCounts(p).track(docs, "jc-limit").track(docs, "jc-candidates").count(docs, "documents")
        .done(none, "jc-model");
    counts.finish();
    TestPipelines.run(p);
    for (String stage : List.of("jc-limit", "jc-candidates")) {
      StageTallies.Tally t = StageTallies.peek(stage);
      assertTrue(t.isDone(), stage);
      assertEquals(250, t.total(), stage);
      assertEquals(250, t.count(), stage);
    }
    StageTallies.Tally model = StageTallies.peek("jc-model");
    assertTrue(model.isDone());
    assertEquals(0, model.total());
    assertEquals(0, model.count()); // done() does not tick: the stage ticks itself
  }

  @Test
  void aStageAfterItsCollectionWasCountedFails() {
    Pipeline p = TestPipelines.create();
    PCollection<Long> docs = p.apply(Create.of(1L, 2L));
    JobCounts counts = new JobCounts(p);
    counts.total(docs);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> counts.track(docs, "late"));
    assertTrue(e.getMessage().contains("late"), e.getMessage());
    counts.finish();
    assertThrows(IllegalStateException.class, () -> counts.count(docs, "afterFinish"));
  }

  /** The counting DoFns in the graph. */
  private static int countSteps(Pipeline p) {
    List<String> steps = new ArrayList<>();
    p.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        if (node.getTransform() instanceof ParDo.MultiOutput
            && ((ParDo.MultiOutput<?, ?>) node.getTransform()).getFn().getClass().getSimpleName().equals("PartialFn")) {
          steps.add(node.getFullName());
        }
      }
    });
    return steps.size();
  }
}
