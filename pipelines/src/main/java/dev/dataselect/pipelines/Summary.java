package dev.dataselect.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * The layout of {@code summary.json}: fixed count keys first (zero when nothing was counted), nested
 * groups for dotted names, then the checks that the counts reconcile, the options and the wall time.
 */
public final class Summary {
  /** The top-level counts every summary has, in this order. */
  public static final List<String> COUNTS =
      List.of("records", "documents", "otherLanguage", "filtered", "beyondLimit", "duplicates", "unscored", "selected", "rejected");

  /** The check that every document is accounted for by exactly one decision. */
  public static final String DOCUMENTS_RECONCILE =
      "documentsEqualOtherLanguagePlusFilteredPlusBeyondLimitPlusDuplicatesPlusUnscoredPlusSelectedPlusRejected";

  private Summary() {}

  static ObjectNode toJson(ObjectMapper mapper, Map<String, Long> counts, JsonNode options, double wallSeconds) {
    ObjectNode root = mapper.createObjectNode();
    for (String key : COUNTS) {
      root.put(key, counts.getOrDefault(key, 0L));
    }
    ObjectNode deadLetters = root.putObject("deadLetters");
    long deadLetterTotal = 0;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      String key = e.getKey();
      int dot = key.indexOf('.');
      if (dot < 0) {
        if (!COUNTS.contains(key)) {
          root.put(key, e.getValue());
        }
        continue;
      }
      String group = key.substring(0, dot);
      ObjectNode node = group.equals("deadLetters") ? deadLetters : groupNode(root, group);
      node.put(key.substring(dot + 1), e.getValue());
      if (group.equals("deadLetters")) {
        deadLetterTotal += e.getValue();
      }
    }
    long records = counts.getOrDefault("records", 0L);
    long documents = counts.getOrDefault("documents", 0L);
    long accounted = counts.getOrDefault("otherLanguage", 0L)
        + counts.getOrDefault("filtered", 0L)
        + counts.getOrDefault("beyondLimit", 0L)
        + counts.getOrDefault("duplicates", 0L)
        + counts.getOrDefault("unscored", 0L)
        + counts.getOrDefault("selected", 0L)
        + counts.getOrDefault("rejected", 0L);
    ObjectNode checks = root.putObject("reconciles");
    checks.put("recordsEqualDocumentsPlusDeadLetters", records == documents + deadLetterTotal);
    checks.put(DOCUMENTS_RECONCILE, documents == accounted);
    root.set("options", options);
    root.put("wallSeconds", Math.round(wallSeconds * 1000) / 1000.0);
    return root;
  }

  /** The reselect job's lines: one per selection, selected of scored against its target. */
  private static String briefOfSelections(JsonNode summary, double wallSeconds) {
    StringBuilder b = new StringBuilder();
    boolean reconciles = true;
    for (JsonNode check : summary.path("reconciles")) {
      reconciles &= check.asBoolean();
    }
    java.util.Iterator<Map.Entry<String, JsonNode>> it = summary.path("selections").fields();
    java.util.TreeMap<String, JsonNode> sorted = new java.util.TreeMap<>();
    it.forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
    sorted.forEach((name, s) -> {
      b.append(String.format(java.util.Locale.ROOT, "%s: selected %,d of %,d scored", name, s.path("selected").asLong(), s.path("scored").asLong()));
      if (s.has("target")) {
        b.append(String.format(java.util.Locale.ROOT, " (target %,d)", s.path("target").asLong()));
      }
      b.append('\n');
    });
    b.append(String.format(java.util.Locale.ROOT, "wall %.1f s; counts reconcile: %s%n", wallSeconds, reconciles));
    return b.toString();
  }

  /**
   * The few lines {@code bin/dataselect} prints when a run ends: selected against the target, the
   * counts that left the selection, wall time and documents/s, and whether the counts reconcile.
   */
  static String brief(JsonNode summary, double wallSeconds) {
    if (summary.has("selections")) {
      return briefOfSelections(summary, wallSeconds);
    }
    long documents = summary.path("documents").asLong();
    long selected = summary.path("selected").asLong();
    StringBuilder b = new StringBuilder();
    b.append(String.format(java.util.Locale.ROOT, "selected %,d of %,d documents", selected, documents));
    if (summary.has("target")) {
      b.append(String.format(java.util.Locale.ROOT, " (target %,d)", summary.path("target").asLong()));
    }
    b.append('\n');
    List<String> parts = new java.util.ArrayList<>();
    for (String key : List.of("otherLanguage", "filtered", "beyondLimit", "duplicates", "unscored", "rejected")) {
      long n = summary.path(key).asLong();
      if (n > 0) {
        parts.add(String.format(java.util.Locale.ROOT, "%s %,d", key, n));
      }
    }
    long dead = 0;
    for (JsonNode n : summary.path("deadLetters")) {
      dead += n.asLong();
    }
    if (dead > 0) {
      parts.add(String.format(java.util.Locale.ROOT, "deadLetters %,d", dead));
    }
    if (!parts.isEmpty()) {
      b.append("not selected: ").append(String.join(", ", parts)).append('\n');
    }
    boolean reconciles = true;
    for (JsonNode check : summary.path("reconciles")) {
      reconciles &= check.asBoolean();
    }
    b.append(String.format(java.util.Locale.ROOT, "wall %.1f s, %.1f documents/s; counts reconcile: %s%n",
        wallSeconds, summary.path("records").asLong() / Math.max(wallSeconds, 1e-9), reconciles));
    return b.toString();
  }

  private static ObjectNode groupNode(ObjectNode root, String group) {
    JsonNode existing = root.get(group);
    return existing instanceof ObjectNode ? (ObjectNode) existing : root.putObject(group);
  }
}
