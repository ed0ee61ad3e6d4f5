package dev.dataselect.transforms.signals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.dataselect.transforms.Document;
import dev.dataselect.transforms.testing.TestPipelines;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;

/** Each rule keeps and drops what its definition says; the transform splits without losing a document. */
class FilterByRulesTest {
  /** Three plain sentences of prose on their own lines: 60 words, every rule passes. */
  static final String PROSE = String.join("\n",
      "The committee met on Tuesday to discuss the budget and the schedule for the new library building in the town centre.",
      "Members agreed that the plans should be published with a summary of the costs, so that residents can comment before the vote.",
      "A second meeting will take place next month, and the chair said she would invite the architects to present their revised drawings.");

  @Test
  void proseOfSixtyWordsPassesEverySet() {
    TextSignals s = TextSignals.of(PROSE);
    for (RuleSet set : RuleSet.values()) {
      assertNull(set.firstFailure(s), set.label());
    }
  }

  @Test
  void gopherRules() {
    assertEquals("gopher.min_words", RuleSet.GOPHER.firstFailure(TextSignals.of("Too short to be a document of its own.")));
    String bullets = IntStream.range(0, 12).mapToObj(i -> "- item number " + i + " with the and to")
        .collect(Collectors.joining("\n"));
    assertEquals("gopher.bullet_lines", RuleSet.GOPHER.firstFailure(TextSignals.of(bullets)));
    String hashes = PROSE + "\n" + "#tag ".repeat(10);
    assertEquals("gopher.hash_to_word_ratio", RuleSet.GOPHER.firstFailure(TextSignals.of(hashes)));
    String numbers = PROSE + "\n" + IntStream.range(0, 40).mapToObj(i -> "12" + i).collect(Collectors.joining(" "));
    assertEquals("gopher.alphabetic_words", RuleSet.GOPHER.firstFailure(TextSignals.of(numbers)));
    String noStopWords = IntStream.range(0, 60).mapToObj(i -> "word" + i).collect(Collectors.joining(" "));
    assertEquals("gopher.stop_words", RuleSet.GOPHER.firstFailure(TextSignals.of(noStopWords)));
    String repeated = PROSE + "\n" + PROSE.lines().findFirst().get() + "\n" + PROSE.lines().findFirst().get();
    assertEquals("gopher.duplicate_lines", RuleSet.GOPHER.firstFailure(TextSignals.of(repeated)));
  }

  @Test
  void c4Rules() {
    assertEquals("c4.lorem_ipsum", RuleSet.C4.firstFailure(TextSignals.of(PROSE + "\nLorem ipsum dolor sit amet.")));
    assertEquals("c4.curly_bracket", RuleSet.C4.firstFailure(TextSignals.of(PROSE + "\nvar x = {a: 1};")));
    // Two kept lines of one sentence each; the third line has no terminal punctuation.
    String twoSentences = PROSE.lines().limit(2).collect(Collectors.joining("\n")) + "\nRead more about the library here";
    assertEquals("c4.min_sentences", RuleSet.C4.firstFailure(TextSignals.of(twoSentences)));
    // Three sentences on one line count as three.
    assertNull(RuleSet.C4.firstFailure(TextSignals.of("One short sentence here. Another short sentence here. And a third one here.")));
    // A line that mentions javascript is not kept, so its sentence does not count.
    String javascript = PROSE.lines().limit(2).collect(Collectors.joining("\n"))
        + "\nPlease enable JavaScript in your browser to see the map.";
    assertEquals("c4.min_sentences", RuleSet.C4.firstFailure(TextSignals.of(javascript)));
  }

  @Test
  void fineWebRules() {
    String noPunctuation = "Home\nAbout us and the team\nContact the office\nNews from the town and the region\nEvents this week";
    assertEquals("fineweb.terminal_punctuation_lines", RuleSet.FINEWEB.firstFailure(TextSignals.of(noPunctuation)));
    String duplicated = PROSE + "\n" + PROSE.lines().findFirst().get();
    assertEquals("fineweb.duplicate_line_chars", RuleSet.FINEWEB.firstFailure(TextSignals.of(duplicated)));
    String shortLines = PROSE + "\nYes.\nNo.\nMaybe.\nWhy?\nSure.\nOk.\nRight.";
    assertEquals("fineweb.short_lines", RuleSet.FINEWEB.firstFailure(TextSignals.of(shortLines)));
  }

  @Test
  void rulesAtTheirThresholds() {
    RuleSet.Rule minWords = RuleSet.GOPHER.rules().get(0);
    assertEquals(false, minWords.drops(50));
    assertEquals(true, minWords.drops(49));
    RuleSet.Rule punctuation = RuleSet.FINEWEB.rules().get(0);
    assertEquals(true, punctuation.drops(0.12)); // "at most 12 %" goes
    assertEquals(false, punctuation.drops(0.13));
    assertEquals("gopher.min_words: drop when words < 50", minWords.toString());
  }

  @Test
  void parsesSetsAndRejectsUnknownOnes() {
    assertEquals(List.of(RuleSet.GOPHER, RuleSet.FINEWEB), FilterByRules.parse(" Gopher, ,fineweb"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FilterByRules.parse("gopher,dolma"));
    assertEquals("unknown filter 'dolma'; known: gopher, c4, fineweb", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FilterByRules.of(List.of()));
  }

  @Test
  void splitsDocumentsAndNamesTheFirstRuleThatDropped() {
    Pipeline p = TestPipelines.create();
    List<Document> docs = List.of(
        Document.of("prose", PROSE, "a"),
        Document.of("short", "Too short.", "a"),
        Document.of("lorem", PROSE + "\nLorem ipsum dolor sit amet.", "a"));
    PCollectionTuple out = p.apply(Create.of(docs))
        .apply(FilterByRules.of(List.of(RuleSet.C4, RuleSet.GOPHER, RuleSet.C4)));
    PAssert.that(out.get(FilterByRules.KEPT)).containsInAnyOrder(docs.get(0));
    PAssert.that(out.get(FilterByRules.FILTERED).apply(MapElements.into(TypeDescriptors.strings())
            .via(d -> d.id() + "=" + d.metadata().get(FilterByRules.FILTER_FIELD))))
        // C4 is checked first: the short text has no sentence C4 keeps.
        .containsInAnyOrder("short=c4.min_sentences", "lorem=c4.lorem_ipsum");
    TestPipelines.run(p);
  }
}
