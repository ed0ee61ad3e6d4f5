package dev.dataselect.transforms.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dataselect.transforms.testing.TestPipelines;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcCompression;
import org.netpreserve.jwarc.WarcConversion;
import org.netpreserve.jwarc.WarcWriter;

/** Common Crawl WET: conversion records as documents, their headers as fields, bad records as dead letters. */
class WetRecordsTest {
  @TempDir Path dir;

  @Test
  void readsARealCommonCrawlWetFile() {
    Path wet = Paths.get(System.getProperty("dataselect.sharedData", "../../shared/data"), "warc", "whirlwind.warc.wet.gz");
    Assumptions.assumeTrue(Files.exists(wet), "Skipped: no shared WET file at " + wet + " (set -Ddataselect.sharedData)");
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(ReadCorpus.from(wet.toString()).withMetadataFields(List.of("url", "date", "language")));
    // One conversion record (the warcinfo record is not a document).
    PAssert.that(out.get(ReadCorpus.DOCUMENTS).apply(MapElements.into(TypeDescriptors.strings()).via(d -> String.join("|",
            d.id(), d.metadata().get("url"), d.metadata().get("date"), d.metadata().get("language"),
            d.text().substring(0, d.text().indexOf('\n'))))))
        .containsInAnyOrder("urn:uuid:ba729a40-ff84-4085-8d48-0a5b2ee0c42d|https://an.wikipedia.org/wiki/Escopete"
            + "|2024-05-18T01:58:10Z|spa|Escopete - Biquipedia, a enciclopedia libre");
    PAssert.that(out.get(ReadCorpus.DEAD_LETTERS)).empty();
    TestPipelines.run(p);
  }

  @Test
  void conversionRecordsAreDocumentsAndOversizedOnesAreDeadLetters() throws IOException {
    Path wet = dir.resolve("built.warc.wet.gz");
    write(wet, List.of("First page, about gardens.", "Second page, about rivers.", "x".repeat(5000)));
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(ReadCorpus.from(wet.toString()).withMaxRecordBytes(4096).withMetadataFields(List.of("url")));
    PAssert.that(out.get(ReadCorpus.DOCUMENTS).apply(MapElements.into(TypeDescriptors.strings())
            .via(d -> d.metadata().get("url") + "|" + d.text())))
        .containsInAnyOrder("https://example.org/0|First page, about gardens.", "https://example.org/1|Second page, about rivers.");
    PAssert.that(out.get(ReadCorpus.DEAD_LETTERS).apply("Reasons", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.reason().label())))
        .containsInAnyOrder("record_too_large");
    PAssert.thatSingleton(out.get(ReadCorpus.RECORDS).apply(Sum.longsGlobally())).isEqualTo(3L);
    TestPipelines.run(p);
  }

  @Test
  void aTruncatedFileKeepsItsWholeRecordsAndSaysWhereItBroke() throws IOException {
    Path whole = dir.resolve("whole.warc.wet");
    write(whole, List.of("Page one is complete.", "Page two is complete.", "Page three is cut in the middle of its text."));
    byte[] bytes = Files.readAllBytes(whole);
    Path cut = dir.resolve("cut.warc.wet");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 30));
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(ReadCorpus.from(cut.toString()));
    PAssert.that(out.get(ReadCorpus.DOCUMENTS).apply(MapElements.into(TypeDescriptors.strings()).via(d -> d.text())))
        .containsInAnyOrder("Page one is complete.", "Page two is complete.");
    PAssert.that(out.get(ReadCorpus.DEAD_LETTERS).apply("Reasons", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.reason().label())))
        .containsInAnyOrder("corrupt_file");
    TestPipelines.run(p);
  }

  @Test
  void detectsWetFromTheFileName() {
    assertEquals(CorpusFormat.WET, CorpusFormat.fromFileName("CC-MAIN-20240518-00000.warc.wet.gz").orElseThrow());
    assertEquals(CorpusFormat.WET, CorpusFormat.fromFileName("x.warc.wet").orElseThrow());
  }

  /** A WET file: a warcinfo record, then one conversion record per text, gzip members when the name ends in .gz. */
  private static void write(Path file, List<String> texts) throws IOException {
    try (OutputStream os = Files.newOutputStream(file);
        WarcWriter w = new WarcWriter(java.nio.channels.Channels.newChannel(os),
            file.toString().endsWith(".gz") ? WarcCompression.GZIP : WarcCompression.NONE)) {
      w.write(new org.netpreserve.jwarc.Warcinfo.Builder().fields(java.util.Map.of("software", List.of("test"))).build());
      for (int i = 0; i < texts.size(); i++) {
        w.write(new WarcConversion.Builder()
            .addHeader("WARC-Target-URI", "https://example.org/" + i)
            .date(Instant.parse("2024-05-18T01:58:10Z"))
            .addHeader("WARC-Identified-Content-Language", "eng")
            .body(MediaType.parse("text/plain"), texts.get(i).getBytes(StandardCharsets.UTF_8))
            .build());
      }
    }
  }
}
