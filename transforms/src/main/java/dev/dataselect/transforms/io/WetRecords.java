package dev.dataselect.transforms.io;

import dev.dataselect.transforms.DeadLetter.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileIO;
import org.netpreserve.jwarc.WarcConversion;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;

/**
 * Common Crawl WET files, read with jwarc (org.netpreserve:jwarc, the web-archiving community's
 * maintained pure-Java WARC parser; it reads gzip members itself). Each {@code conversion} record
 * is a document; the fields a job can name ({@code --textField}, {@code --idField}, {@code
 * --metadataFields}) are:
 *
 * <ul>
 *   <li>{@code text}: the extracted text (the record's body, UTF-8);
 *   <li>{@code id}: the record's {@code WARC-Record-ID} without its angle brackets ({@code urn:uuid:...});
 *   <li>{@code url}: {@code WARC-Target-URI};
 *   <li>{@code date}: {@code WARC-Date} (ISO 8601);
 *   <li>{@code language}: {@code WARC-Identified-Content-Language} (Common Crawl's CLD2 labels,
 *       ISO 639-3, comma-separated when several; the language stage normalises the first);
 *   <li>any other WARC header by its name ({@code WARC-Refers-To}, {@code Content-Type}, ...).
 * </ul>
 *
 * <p>Other record types ({@code warcinfo}, the file's header) are not documents and are passed over;
 * a body over {@code maxRecordBytes} is a {@code record_too_large} dead letter; a file jwarc cannot
 * parse ends with a {@code corrupt_file} dead letter after the records before the damage.
 */
final class WetRecords implements FormatReader {
  @Override
  public void read(FileIO.ReadableFile file, ReadCorpus.Settings settings, RecordSink sink) throws IOException {
    try (WarcReader reader = new WarcReader(file.open())) {
      for (WarcRecord record = reader.next().orElse(null); record != null; record = reader.next().orElse(null)) {
        if (!(record instanceof WarcConversion)) {
          continue;
        }
        WarcConversion conversion = (WarcConversion) record;
        byte[] body;
        try (InputStream in = conversion.body().stream()) {
          body = in.readNBytes(settings.maxRecordBytes() + 1);
        }
        if (body.length > settings.maxRecordBytes()) {
          sink.failure(Reason.RECORD_TOO_LARGE,
              "WET record " + conversion.id() + " is longer than maxRecordBytes=" + settings.maxRecordBytes(),
              Utf8.lenient(java.util.Arrays.copyOf(body, Math.min(body.length, 1000))));
          continue;
        }
        Map<String, Object> fields = new TreeMap<>();
        conversion.headers().map().forEach((name, values) -> fields.put(name, String.join(",", values)));
        fields.put("text", body);
        fields.put("id", conversion.id().toString());
        fields.put("url", conversion.target());
        fields.put("date", conversion.date().toString());
        conversion.headers().first("WARC-Identified-Content-Language").ifPresent(l -> fields.put("language", l));
        byte[] text = body;
        sink.record(Fields.of(fields), () -> Utf8.lenient(text));
      }
    }
  }
}
