package dev.dataselect.pipelines.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/** Reads and writes the report's small files through Beam's FileSystems (local paths and gs://). */
final class ReportFiles {
  private ReportFiles() {}

  static void write(String path, JsonNode json) throws IOException {
    byte[] bytes = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(json);
    write(path, bytes, MimeTypes.TEXT);
  }

  static void write(String path, byte[] bytes, String mimeType) throws IOException {
    ResourceId target = FileSystems.matchNewResource(path, false);
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(target, mimeType))) {
      out.write(bytes);
    }
  }

  static String read(String path) throws IOException {
    ResourceId id = FileSystems.matchSingleFileSpec(path).resourceId();
    try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static boolean exists(String path) throws IOException {
    MatchResult r = FileSystems.match(path, EmptyMatchTreatment.ALLOW);
    return r.status() == MatchResult.Status.OK && !r.metadata().isEmpty();
  }

  /** The files matching a glob, sorted by name. */
  static List<String> list(String glob) throws IOException {
    MatchResult r = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
    List<String> out = new ArrayList<>();
    if (r.status() == MatchResult.Status.OK) {
      r.metadata().forEach(m -> out.add(m.resourceId().toString()));
    }
    out.sort(null);
    return out;
  }
}
