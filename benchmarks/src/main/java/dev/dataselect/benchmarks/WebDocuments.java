package dev.dataselect.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dataselect.transforms.Document;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Real web documents from the shared data folder, in a fixed order: the JSONL.gz files (text field
 * {@code text} or CCNet's {@code raw_content}), then the HPLT v2 TSV files ({@code text_show}).
 * Blank texts are skipped. About 1,550 distinct documents in all.
 */
final class WebDocuments {
  private WebDocuments() {}

  static List<Document> load(Path sharedData, int limit) throws IOException {
    Path web = sharedData.resolve("web");
    if (!Files.isDirectory(web)) {
      throw new IOException(
          "No shared web documents at " + web + " (set -Ddataselect.sharedData=DIR)");
    }
    List<Document> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String name :
        new String[] {
          "cc-2019-30-raw-697.jsonl.gz", "c4-en-30.jsonl.gz", "ccnet-head-20.jsonl.gz",
          "guardian-10.jsonl.gz", "redpajama-20.jsonl.gz"
        }) {
      Path file = web.resolve(name);
      if (!Files.isRegularFile(file)) {
        continue;
      }
      try (BufferedReader r =
          new BufferedReader(
              new InputStreamReader(
                  new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
        String line;
        int index = 0;
        while ((line = r.readLine()) != null && out.size() < limit) {
          JsonNode node = json.readTree(line);
          JsonNode text = node.has("text") ? node.get("text") : node.get("raw_content");
          add(out, name, index++, text == null ? null : text.asText());
        }
      }
    }
    Path hplt = web.resolve("hplt-v2-en");
    if (Files.isDirectory(hplt) && out.size() < limit) {
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(hplt, "*.tsv")) {
        s.forEach(files::add);
      }
      files.sort(null);
      CSVFormat tsv = CSVFormat.TDF.builder().setHeader().setSkipHeaderRecord(true).get();
      for (Path file : files) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
            CSVParser parser = CSVParser.parse(reader, tsv)) {
          int index = 0;
          for (CSVRecord record : parser) {
            if (out.size() >= limit) {
              break;
            }
            add(out, file.getFileName().toString(), index++,
                record.isMapped("text_show") ? record.get("text_show") : null);
          }
        }
      }
    }
    return out;
  }

  private static void add(List<Document> out, String file, int index, String text) {
    if (text != null && !text.isBlank()) {
      out.add(Document.of(file + "#" + index, text, file + "#" + index));
    }
  }
}
