package dev.dataselect.transforms;

import dev.dataselect.transforms.testing.TestPipelines;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

class RejectDuplicateIdsTest {
  @Test
  void keepsTheSmallestSourcePerIdAndDeadLettersTheRestWhateverTheOrder() {
    List<Document> docs = List.of(
        Document.of("a", "third copy of a", "f2#0"),
        Document.of("b", "only b", "f1#1"),
        Document.of("a", "first a", "f1#0"),
        Document.of("a", "second a", "f1#5"),
        Document.of("c", "exact copy", "f3#0"),
        Document.of("c", "exact copy", "f3#0"));
    for (List<Document> order : List.of(docs, com.google.common.collect.Lists.reverse(docs))) {
      Pipeline p = TestPipelines.create();
      PCollectionTuple out = p.apply(Create.of(order).withCoder(Document.DocumentCoder.of())).apply(RejectDuplicateIds.create().withShards(3));
      PAssert.that(out.get(RejectDuplicateIds.UNIQUE).apply("Kept", MapElements.into(TypeDescriptors.strings()).via(d -> d.id() + "@" + d.source())))
          .containsInAnyOrder("a@f1#0", "b@f1#1", "c@f3#0");
      PAssert.that(out.get(RejectDuplicateIds.DEAD_LETTERS).apply("Dead", MapElements.into(TypeDescriptors.strings())
              .via(d -> d.reason().label() + "@" + d.source() + ":" + d.detail())))
          .containsInAnyOrder(
              "duplicate_id@f2#0:another record has the id 'a'; the one with the smallest source is kept",
              "duplicate_id@f1#5:another record has the id 'a'; the one with the smallest source is kept",
              "duplicate_id@f3#0:another record has the id 'c'; the one with the smallest source is kept");
      TestPipelines.run(p);
    }
  }
}
