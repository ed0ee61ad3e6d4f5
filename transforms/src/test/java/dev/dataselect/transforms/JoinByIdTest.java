package dev.dataselect.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dataselect.transforms.JoinById.Joined;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.List;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

class JoinByIdTest {
  private static final List<Document> DOCS = List.of(
      Document.of("d1", "one", "f#1"), Document.of("d2", "two", "f#2"), Document.of("d3", "three", "f#3"),
      Document.of("d1", "one again", "g#1"));
  private static final List<KV<String, String>> RIGHT = List.of(
      KV.of("d1", "a"), KV.of("d2", "c"), KV.of("d1", "b"), KV.of("x", "z"));

  /** "id|left text or -|sorted right values" */
  private static String describe(Joined<Document, String> j) {
    return j.id() + "|" + (j.left() == null ? "-" : j.left().text()) + "|" + new TreeSet<>(j.rights());
  }

  @Test
  void eachLeftElementGetsItsIdsRightValuesAndRightOnlyIdsComeOnceWithNoLeft() {
    for (int shards : new int[] {1, 3, JoinById.DEFAULT_SHARDS}) {
      Pipeline p = TestPipelines.create();
      PCollection<Document> docs = p.apply("Docs", Create.of(DOCS).withCoder(Document.DocumentCoder.of()));
      PCollection<KV<String, String>> right = p.apply("Right", Create.of(RIGHT).withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
      PCollection<Joined<Document, String>> all = docs.apply("All", JoinById.of(Document::id, right).withShards(shards));
      PAssert.that(all.apply("DescribeAll", MapElements.into(TypeDescriptors.strings()).via(JoinByIdTest::describe)))
          .containsInAnyOrder("d1|one|[a, b]", "d1|one again|[a, b]", "d2|two|[c]", "d3|three|[]", "x|-|[z]");
      PCollection<Joined<Document, String>> one = docs.apply("One", JoinById.of(Document::id, right).withShards(shards).withOneLeftPerId());
      PAssert.thatSingleton(one.apply("CountOne", Count.globally())).isEqualTo(4L);
      PAssert.that(one.apply("Ids", MapElements.into(TypeDescriptors.strings()).via(Joined::id))).containsInAnyOrder("d1", "d2", "d3", "x");
      TestPipelines.run(p);
    }
  }

  @Test
  void theCoderRoundTripsAndIsDeterministicWhenItsPartsAre() throws Exception {
    JoinById.JoinedCoder<Document, Boolean> coder = JoinById.JoinedCoder.of(Document.DocumentCoder.of(), BooleanCoder.of());
    for (Joined<Document, Boolean> j : List.of(
        new Joined<>("a", Document.of("a", "t", "s"), List.of(true, false)), new Joined<Document, Boolean>("b", null, List.of()))) {
      assertEquals(j, CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, j)));
    }
    coder.verifyDeterministic();
    Pipeline p = TestPipelines.create();
    PCollection<KV<String, String>> right = p.apply(Create.of(RIGHT).withCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
    assertThrows(IllegalArgumentException.class, () -> JoinById.of(Document::id, right).withShards(0));
  }
}
