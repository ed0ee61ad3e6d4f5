package dev.dataselect.transforms;

import dev.dataselect.transforms.testing.TestPipelines;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

class RemoveDuplicatesTest {
  private static final List<Document> DOCS = List.of(
      Document.of("d3", "The  same TEXT", "f#3"),
      Document.of("d1", "the same text", "f#1"),
      Document.of("d2", " the same\ttext ", "f#2"),
      Document.of("e1", "another text", "f#4"),
      Document.of("e0", "ANOTHER text", "f#5"),
      Document.of("u", "unique text", "f#6"));

  /** Per-text combine groups and hash-sharded groups keep the same documents, in any input order. */
  @Test
  void keepsTheSmallestIdPerNormalizedTextAndCountsTheCopiesInBothForms() {
    for (RemoveDuplicates form : List.of(RemoveDuplicates.byNormalizedText(), RemoveDuplicates.byNormalizedText().withShards(2))) {
      for (List<Document> order : List.of(DOCS, com.google.common.collect.Lists.reverse(DOCS))) {
        Pipeline p = TestPipelines.create();
        PCollectionTuple out = p.apply(Create.of(order).withCoder(Document.DocumentCoder.of())).apply(form);
        PAssert.that(out.get(RemoveDuplicates.UNIQUE).apply("Ids", MapElements.into(TypeDescriptors.strings()).via(Document::id)))
            .containsInAnyOrder("d1", "e0", "u");
        PAssert.that(out.get(RemoveDuplicates.DUPLICATES)).containsInAnyOrder(2L, 1L);
        PAssert.thatSingleton(out.get(RemoveDuplicates.DUPLICATES).apply(Sum.longsGlobally())).isEqualTo(3L);
        TestPipelines.run(p);
      }
    }
  }
}
