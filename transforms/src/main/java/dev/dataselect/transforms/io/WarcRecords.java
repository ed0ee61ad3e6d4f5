package dev.dataselect.transforms.io;

import dev.dataselect.transforms.DeadLetter.Reason;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeFilter;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcResponse;

/**
 * WARC (and ARC) web archives, read with jwarc: each {@code response} record is a record of the
 * corpus. An HTML payload (by its HTTP {@code Content-Type}, else Common Crawl's {@code
 * WARC-Identified-Payload-Type}, else a {@code <html} near its start) is parsed by jsoup (an HTML5
 * parser, lenient with real pages; the charset comes from the HTTP header, else the page's {@code
 * <meta>}, else UTF-8) and turned into text: block elements become lines, {@code script}, {@code
 * style}, {@code noscript}, {@code template}, {@code svg} and the {@code head} are left out,
 * whitespace inside a line collapses (not inside {@code pre}).
 *
 * <p>Fields ({@code --textField}, {@code --idField}, {@code --metadataFields}): {@code text},
 * {@code id} (WARC-Record-ID), {@code url}, {@code date}, {@code title}, {@code content_type},
 * {@code http_status}, and every WARC header by its name.
 *
 * <p>Dead letters, each with its reason: {@code not_html} (a PDF, an image, JSON, ...), {@code
 * http_status} (not 2xx), {@code malformed_http} (HTTP headers or chunked/compressed body that
 * cannot be decoded), {@code record_too_large}; a record jwarc cannot frame (a truncated file, a
 * corrupt gzip member) ends the file with a {@code corrupt_file} dead letter after the records
 * before it. Other record types (warcinfo, request, metadata, revisit, resource) are not documents
 * and are passed over, as in {@link WetRecords}.
 */
final class WarcRecords implements FormatReader {
  private static final Set<String> SKIPPED = Set.of("script", "style", "noscript", "template", "svg", "head", "iframe", "object");

  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink) throws IOException {
    WarcReader reader;
    try {
      reader = new WarcReader(file.open());
    } catch (java.util.NoSuchElementException e) { // jwarc finds neither WARC nor gzip framing
      throw new IOException("not a WARC file (nor gzip of one); ARC files are not read", e);
    }
    try (reader) {
      for (WarcRecord record = reader.next().orElse(null); record != null; record = reader.next().orElse(null)) {
        if (record instanceof WarcResponse) {
          response((WarcResponse) record, settings, sink);
        }
      }
    }
  }

  private static void response(WarcResponse response, ReadCorpus.Settings settings, RecordSink sink) {
    Map<String, Object> fields = new TreeMap<>();
    response.headers().map().forEach((name, values) -> fields.put(name, String.join(",", values)));
    fields.put("id", response.id().toString());
    fields.put("url", response.target());
    fields.put("date", response.date().toString());
    String where = "response " + response.id() + " for " + response.target();
    HttpResponse http;
    byte[] body;
    try {
      http = response.http();
      try (InputStream in = http.bodyDecoded().stream()) {
        body = in.readNBytes(settings.maxRecordBytes() + 1);
      }
    } catch (IOException | RuntimeException e) {
      sink.failure(Reason.MALFORMED_HTTP,
          where + ": cannot decode the HTTP message: " + e.getClass().getSimpleName() + ": " + JsonLinesRecords.firstLine(e.getMessage()),
          where);
      return;
    }
    fields.put("http_status", (long) http.status());
    String type = http.headers().first("Content-Type").orElse("");
    fields.put("content_type", type);
    if (http.status() < 200 || http.status() > 299) {
      sink.failure(Reason.HTTP_STATUS, where + ": HTTP status " + http.status() + " " + http.reason(), head(body));
      return;
    }
    if (body.length > settings.maxRecordBytes()) {
      sink.failure(Reason.RECORD_TOO_LARGE,
          where + ": payload longer than maxRecordBytes=" + settings.maxRecordBytes(), head(body));
      return;
    }
    Optional<MediaType> identified = response.identifiedPayloadType();
    if (!isHtml(type, identified, body)) {
      sink.failure(Reason.NOT_HTML,
          where + ": payload is " + (type.isEmpty() ? "of no declared type" : type)
              + identified.map(t -> " (identified as " + t + ")").orElse("") + ", not HTML",
          head(body));
      return;
    }
    org.jsoup.nodes.Document page;
    try {
      page = Jsoup.parse(new ByteArrayInputStream(body), charset(type), response.target());
    } catch (IOException | RuntimeException e) {
      sink.failure(Reason.MALFORMED_HTTP,
          where + ": cannot parse the HTML: " + e.getClass().getSimpleName() + ": " + JsonLinesRecords.firstLine(e.getMessage()),
          head(body));
      return;
    }
    fields.put("title", page.title());
    fields.put("text", text(page));
    sink.record(Fields.of(fields), () -> head(body));
  }

  private static boolean isHtml(String contentType, Optional<MediaType> identified, byte[] body) {
    if (!contentType.isBlank()) {
      return htmlType(MediaType.parseLeniently(contentType));
    }
    if (identified.isPresent()) {
      return htmlType(identified.get());
    }
    String start = Utf8.lenient(Arrays.copyOf(body, Math.min(body.length, 1024))).toLowerCase(Locale.ROOT);
    return start.contains("<html") || start.contains("<!doctype html");
  }

  private static boolean htmlType(MediaType type) {
    String base = type.base().toString().toLowerCase(Locale.ROOT);
    return base.equals("text/html") || base.equals("application/xhtml+xml");
  }

  /** The charset the HTTP header names, when Java knows it; null lets jsoup read the page's meta (else UTF-8). */
  private static String charset(String contentType) {
    String charset = MediaType.parseLeniently(contentType).parameters().get("charset");
    if (charset == null) {
      return null;
    }
    try {
      return Charset.isSupported(charset.trim()) ? charset.trim() : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String head(byte[] body) {
    return Utf8.lenient(Arrays.copyOf(body, Math.min(body.length, 2000)));
  }

  /** The visible text of a page: a line per block element, inline whitespace collapsed (kept in {@code pre}). */
  static String text(org.jsoup.nodes.Document page) {
    Element root = page.body() != null ? page.body() : page;
    StringBuilder out = new StringBuilder();
    root.filter(new NodeFilter() {
      @Override
      public FilterResult head(Node node, int depth) {
        if (node instanceof Element) {
          Element e = (Element) node;
          if (SKIPPED.contains(e.normalName())) {
            return FilterResult.SKIP_ENTIRELY;
          }
          if (e.isBlock() || e.normalName().equals("br")) {
            newline(out);
          }
        } else if (node instanceof TextNode) {
          TextNode t = (TextNode) node;
          boolean pre = t.parent() instanceof Element && ((Element) t.parent()).normalName().equals("pre");
          String s = pre ? t.getWholeText() : t.getWholeText().replaceAll("\\s+", " ");
          if (!pre && (out.length() == 0 || out.charAt(out.length() - 1) == '\n' || out.charAt(out.length() - 1) == ' ')) {
            s = s.stripLeading();
          }
          out.append(s);
        }
        return FilterResult.CONTINUE;
      }

      @Override
      public FilterResult tail(Node node, int depth) {
        if (node instanceof Element && ((Element) node).isBlock()) {
          newline(out);
        }
        return FilterResult.CONTINUE;
      }
    });
    return out.toString().strip();
  }

  private static void newline(StringBuilder out) {
    int end = out.length();
    while (end > 0 && out.charAt(end - 1) == ' ') {
      end--;
    }
    out.setLength(end);
    if (end > 0 && out.charAt(end - 1) != '\n') {
      out.append('\n');
    }
  }
}
