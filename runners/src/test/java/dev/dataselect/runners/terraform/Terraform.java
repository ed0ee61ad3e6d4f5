package dev.dataselect.runners.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A folder of .tf files in the JSON form that {@code terraform/test/parse.js} (npm's
 * {@code @cdktf/hcl2json}) gives, offline and without a terraform binary; blocks of every file
 * merged. Expressions stay unevaluated strings ({@code "${var.region}"}).
 */
final class Terraform {
  static final Path ROOT = Path.of(System.getProperty("dataselect.runnersDir", ".")).toAbsolutePath().getParent();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One block: its type ("google_storage_bucket"), its name, its attributes and nested blocks. */
  record Block(String type, String name, String file, JsonNode body) {
    String address() {
      return type + "." + name;
    }
  }

  final Map<String, JsonNode> files;

  private Terraform(Map<String, JsonNode> files) {
    this.files = files;
  }

  /** Installs the parser when needed (terraform/test/ensure-deps.sh), then parses DIR's .tf files. */
  static Terraform parse(Path dir) throws IOException, InterruptedException {
    run(List.of("bash", ROOT.resolve("terraform/test/ensure-deps.sh").toString()), "installing the HCL parser");
    String out = run(List.of("node", ROOT.resolve("terraform/test/parse.js").toString(), dir.toString()), "parsing " + dir);
    Map<String, JsonNode> files = new LinkedHashMap<>();
    JSON.readTree(out).fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue()));
    return new Terraform(files);
  }

  private static String run(List<String> command, String what) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(false).start();
    } catch (IOException e) {
      throw new IOException(what + " needs Node.js 18+ and npm on the PATH (" + e.getMessage() + ")", e);
    }
    byte[] stdout = p.getInputStream().readAllBytes();
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException(what + " failed: " + stderr);
    }
    return new String(stdout, StandardCharsets.UTF_8);
  }

  /** Every block of a kind ("resource", "data") and type, across files. */
  List<Block> blocks(String kind, String type) {
    List<Block> out = new ArrayList<>();
    files.forEach((file, doc) -> {
      JsonNode byName = doc.path(kind).path(type);
      byName.fields().forEachRemaining(e -> e.getValue().forEach(body -> out.add(new Block(type, e.getKey(), file, body))));
    });
    return out;
  }

  List<Block> resources(String type) {
    return blocks("resource", type);
  }

  /** Every resource of every type. */
  List<Block> allResources() {
    List<Block> out = new ArrayList<>();
    files.forEach((file, doc) -> doc.path("resource").fields().forEachRemaining(t ->
        t.getValue().fields().forEachRemaining(n -> n.getValue().forEach(body -> out.add(new Block(t.getKey(), n.getKey(), file, body))))));
    return out;
  }

  /** All locals, merged. */
  ObjectNode locals() {
    ObjectNode out = JSON.createObjectNode();
    files.values().forEach(doc -> doc.path("locals").forEach(block -> out.setAll((ObjectNode) block)));
    return out;
  }

  /** Variable or output blocks by name ("variable", "output"). */
  Map<String, JsonNode> named(String kind) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    files.values().forEach(doc -> {
      Iterator<Map.Entry<String, JsonNode>> it = doc.path(kind).fields();
      it.forEachRemaining(e -> out.put(e.getKey(), e.getValue().get(0)));
    });
    return out;
  }

  /** A variable's default, or null. */
  JsonNode variableDefault(String name) {
    JsonNode v = named("variable").get(name);
    return v == null ? null : v.get("default");
  }

  /** Copies this project's terraform/*.tf into DIR (to add a file to them in a test). */
  static void copyConfiguration(Path dir) throws IOException {
    try (var files = Files.list(ROOT.resolve("terraform"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".tf")).toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
  }
}
