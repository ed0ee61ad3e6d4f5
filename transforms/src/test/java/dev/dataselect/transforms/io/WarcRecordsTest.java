package dev.dataselect.transforms.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.testing.TestPipelines;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.jsoup.nodes.Entities;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcCompression;
import org.netpreserve.jwarc.WarcRequest;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcWriter;

/**
 * WARC response records: HTML turned into text by jsoup, every other response a dead letter with its
 * reason, on the real Common Crawl capture, on warcio's well-formed and malformed archives, and on an
 * archive built here from the shared C4 texts. Records always equal documents + dead letters.
 */
class WarcRecordsTest {
  private static final Path SHARED = Paths.get(System.getProperty("dataselect.sharedData", "../../shared/data"));
  @TempDir Path dir;

  private static Path shared(String name) {
    Path f = SHARED.resolve(name);
    Assumptions.assumeTrue(Files.exists(f), "Skipped: no shared file " + f + " (set -Ddataselect.sharedData)");
    return f;
  }

  private static void assertRead(ReadCorpus read, List<String> docs, List<String> deadLetters) {
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(read);
    PAssert.that(out.get(ReadCorpus.DOCUMENTS).apply("Docs", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.source().substring(d.source().lastIndexOf('/') + 1) + "|" + d.metadata().get("title") + "|"
                + d.text().substring(0, Math.min(40, d.text().length())))))
        .containsInAnyOrder(docs);
    PAssert.that(out.get(ReadCorpus.DEAD_LETTERS).apply("Dead", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.source().substring(d.source().lastIndexOf('/') + 1) + "|" + d.reason().label())))
        .containsInAnyOrder(deadLetters);
    PAssert.thatSingleton(out.get(ReadCorpus.RECORDS).apply(Sum.longsGlobally())).isEqualTo((long) docs.size() + deadLetters.size());
    TestPipelines.run(p);
  }

  @Test
  void readsTheRealCommonCrawlResponseAsText() {
    Path warc = shared("warc/whirlwind.warc.gz");
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(ReadCorpus.from(warc.toString()).withMetadataFields(List.of("url", "title", "http_status", "content_type")));
    // warcinfo, request, response and metadata records: only the response is a record of the corpus
    PAssert.that(out.get(ReadCorpus.DOCUMENTS)).satisfies(docs -> {
      List<dev.dataselect.transforms.Document> all = new ArrayList<>();
      docs.forEach(all::add);
      assertEquals(1, all.size());
      dev.dataselect.transforms.Document d = all.get(0);
      assertEquals("urn:uuid:2aabeff2-67f5-4608-8466-e87c6296e2b6", d.id());
      assertEquals("https://an.wikipedia.org/wiki/Escopete", d.metadata().get("url"));
      assertEquals("Escopete - Biquipedia, a enciclopedia libre", d.metadata().get("title"));
      assertEquals("200", d.metadata().get("http_status"));
      org.junit.jupiter.api.Assertions.assertTrue(d.metadata().get("content_type").startsWith("text/html"), d.metadata().toString());
      // the article's text, a line per block, no markup, no script or style
      org.junit.jupiter.api.Assertions.assertTrue(d.text().contains("Escopete ye un municipio"), d.text());
      org.junit.jupiter.api.Assertions.assertFalse(d.text().contains("<div") || d.text().contains("function(") || d.text().contains("{display"), d.text());
      return null;
    });
    PAssert.that(out.get(ReadCorpus.DEAD_LETTERS)).empty();
    TestPipelines.run(p);
  }

  /** warcio's test archives, well-formed and malformed: each response a document or a dead letter with its reason. */
  @Test
  void warcioArchivesGiveDocumentsAndEachBadKindItsReason() {
    Path w = shared("warc/warcio-test");
    String example = "Example Domain|Example Domain\nThis domain is establishe"; // 40 characters of text
    assertRead(
        ReadCorpus.from(w.resolve("*.warc*").toString(), w.resolve("*.arc*").toString())
            .withFormat(CorpusFormat.WARC).withMetadataFields(List.of("title")),
        List.of(
            "example.warc#0|" + example,
            "example.warc.gz#0|" + example,
            "example-bad-non-chunked.warc.gz#0|" + example,
            "example-wrong-chunks.warc.gz#0|" + example, // jwarc reads through the wrong chunk sizes
            "example-wget-bad-target-uri.warc.gz#0|" + example,
            "example-bad.warc.gz.bad#0|" + example,
            "example-iana.org-chunked.warc#0|Internet Assigned Numbers Authority|Internet Assigned Numbers Authority\nThe "),
        List.of(
            "example-bad.warc.gz.bad#1|http_status", // a 302 redirect
            "example-trunc.warc#0|malformed_http", // the response's gzip body is cut short
            "example-trunc.warc#1|corrupt_file", // ... and so is the file
            "post-test.warc.gz#0|not_html", "post-test.warc.gz#1|not_html", "post-test.warc.gz#2|not_html", // JSON
            "bad.arc#0|unreadable_file", "example.arc#0|unreadable_file", "example.arc.gz#0|unreadable_file",
            "example-space-in-url.arc#0|unreadable_file"));
  }

  /**
   * An archive built from the 30 shared C4 documents as HTML pages (title, script and style in the
   * head, a script in the body, a paragraph per line, one page gzip-encoded, one Latin-1), with a
   * request record per page and six bad responses: PDF, image, 404, 301, a body that claims gzip
   * but is not, and a chunked body cut short.
   */
  @Test
  void builtArchiveFromRealTextsGivesTheirTextsAndReasons() throws IOException {
    List<String> texts = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(shared("web/c4-en-30.jsonl.gz"))), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        texts.add(json.readTree(line).get("text").asText());
      }
    }
    Path archive = dir.resolve("built.warc.gz");
    List<String> expected = new ArrayList<>();
    try (OutputStream os = Files.newOutputStream(archive);
        WarcWriter w = new WarcWriter(java.nio.channels.Channels.newChannel(os), WarcCompression.GZIP)) {
      for (int i = 0; i < texts.size(); i++) {
        String text = texts.get(i);
        StringBuilder html = new StringBuilder("<!DOCTYPE html><html><head><title>Page ").append(i)
            .append("</title><style>p { margin: 0 }</style><script>var tracking = 1;</script></head><body>\n");
        for (String para : text.split("\n")) {
          html.append("<p>").append(Entities.escape(para)).append("</p>\n");
        }
        html.append("<script>document.write('not text')</script></body></html>");
        expected.add(Arrays.stream(text.split("\n")).map(s -> s.replaceAll("\\s+", " ").strip())
            .filter(s -> !s.isEmpty()).collect(Collectors.joining("\n")));
        byte[] body;
        String headers;
        if (i == 3) {
          ByteArrayOutputStream gz = new ByteArrayOutputStream();
          try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(html.toString().getBytes(StandardCharsets.UTF_8));
          }
          body = gz.toByteArray();
          headers = "Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n";
        } else if (i == 4) {
          body = html.toString().getBytes(StandardCharsets.ISO_8859_1);
          headers = "Content-Type: text/html; charset=ISO-8859-1\r\n";
          expected.set(4, new String(expected.get(4).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1));
        } else {
          body = html.toString().getBytes(StandardCharsets.UTF_8);
          headers = "Content-Type: text/html; charset=utf-8\r\n";
        }
        String url = "https://example.org/page/" + i;
        w.write(new WarcRequest.Builder(URI.create(url)).date(Instant.parse("2019-07-20T10:00:00Z"))
            .body(MediaType.HTTP_REQUEST, ("GET /page/" + i + " HTTP/1.1\r\nHost: example.org\r\n\r\n").getBytes(StandardCharsets.US_ASCII))
            .build());
        w.write(response(url, "200 OK", headers, body));
      }
      w.write(response("https://example.org/a.pdf", "200 OK", "Content-Type: application/pdf\r\n", "%PDF-1.4 ...".getBytes(StandardCharsets.US_ASCII)));
      w.write(response("https://example.org/a.png", "200 OK", "Content-Type: image/png\r\n", new byte[] {(byte) 0x89, 'P', 'N', 'G'}));
      w.write(response("https://example.org/gone", "404 Not Found", "Content-Type: text/html\r\n", "<p>Not found</p>".getBytes(StandardCharsets.US_ASCII)));
      w.write(response("https://example.org/moved", "301 Moved Permanently", "Location: /new\r\nContent-Type: text/html\r\n", "<p>Moved</p>".getBytes(StandardCharsets.US_ASCII)));
      w.write(response("https://example.org/notgzip", "200 OK", "Content-Type: text/html\r\nContent-Encoding: gzip\r\n", "<p>plain, not gzip</p>".getBytes(StandardCharsets.US_ASCII)));
      w.write(response("https://example.org/cut", "200 OK", "Content-Type: text/html\r\nTransfer-Encoding: chunked\r\n", "40\r\n<p>only a few bytes of sixty-four".getBytes(StandardCharsets.US_ASCII)));
    }
    Pipeline p = TestPipelines.create();
    PCollectionTuple out = p.apply(ReadCorpus.from(archive.toString()).withMetadataFields(List.of("url", "title")));
    List<String> docs = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      docs.add("https://example.org/page/" + i + "|Page " + i + "|" + expected.get(i));
    }
    PAssert.that(out.get(ReadCorpus.DOCUMENTS).apply("Docs", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.metadata().get("url") + "|" + d.metadata().get("title") + "|" + d.text())))
        .containsInAnyOrder(docs);
    PAssert.that(out.get(ReadCorpus.DEAD_LETTERS).apply("Dead", MapElements.into(TypeDescriptors.strings())
            .via(d -> d.reason().label() + "|" + d.detail().substring(d.detail().indexOf(" for ") + 5, d.detail().indexOf(':', d.detail().indexOf(" for ") + 12)))))
        .containsInAnyOrder("not_html|https://example.org/a.pdf", "not_html|https://example.org/a.png",
            "http_status|https://example.org/gone", "http_status|https://example.org/moved",
            "malformed_http|https://example.org/notgzip", "malformed_http|https://example.org/cut");
    PAssert.thatSingleton(out.get(ReadCorpus.RECORDS).apply(Sum.longsGlobally())).isEqualTo((long) texts.size() + 6);
    TestPipelines.run(p);
  }

  private static WarcResponse response(String url, String status, String headers, byte[] body) {
    byte[] head = ("HTTP/1.1 " + status + "\r\n" + headers + (headers.contains("chunked") ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] http = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, http, head.length, body.length);
    return new WarcResponse.Builder(URI.create(url)).date(Instant.parse("2019-07-20T10:00:01Z"))
        .body(MediaType.HTTP_RESPONSE, http).build();
  }

  @Test
  void detectsWarcFromTheFileName() {
    assertEquals(CorpusFormat.WARC, CorpusFormat.fromFileName("CC-MAIN-20240518-00000.warc.gz").orElseThrow());
    assertEquals(CorpusFormat.WET, CorpusFormat.fromFileName("CC-MAIN-20240518-00000.warc.wet.gz").orElseThrow());
    assertEquals(java.util.Optional.empty(), CorpusFormat.fromFileName("CC-MAIN-20240518-00000.warc.wat.gz"));
  }
}
