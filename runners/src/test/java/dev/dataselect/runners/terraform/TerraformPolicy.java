package dev.dataselect.runners.terraform;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The security policies every configuration under terraform/ must keep, checked on the parsed
 * form: no primitive roles (owner, editor, viewer) and every granted role statically known; no
 * authoritative project IAM; no public members; buckets with uniform bucket-level access and
 * public access prevention enforced, and no ACL resources.
 */
final class TerraformPolicy {
  static final Set<String> PRIMITIVE_ROLES = Set.of("roles/owner", "roles/editor", "roles/viewer");
  private static final Pattern PRIMITIVE = Pattern.compile("roles/(owner|editor|viewer)\\b");
  private static final Pattern PUBLIC = Pattern.compile("\\b(allUsers|allAuthenticatedUsers)\\b");
  private static final Pattern LOCAL_REF = Pattern.compile("local\\.([A-Za-z0-9_]+)");
  private static final Pattern EACH = Pattern.compile("^\\$\\{each\\.(key|value)(?:\\.([A-Za-z0-9_]+))?}$");
  private static final Set<String> ACL_RESOURCES = Set.of(
      "google_storage_bucket_acl", "google_storage_default_object_acl", "google_storage_object_acl",
      "google_storage_bucket_access_control", "google_storage_default_object_access_control",
      "google_storage_object_access_control");
  private static final Set<String> AUTHORITATIVE_IAM = Set.of(
      "google_project_iam_policy", "google_project_iam_binding", "google_organization_iam_policy",
      "google_organization_iam_binding", "google_folder_iam_policy", "google_folder_iam_binding");

  private TerraformPolicy() {}

  static List<String> violations(Terraform tf) {
    List<String> out = new ArrayList<>();
    for (Terraform.Block r : tf.allResources()) {
      if (AUTHORITATIVE_IAM.contains(r.type())) {
        out.add(r.address() + ": authoritative IAM replaces everyone else's grants; use *_iam_member");
      }
      if (ACL_RESOURCES.contains(r.type())) {
        out.add(r.address() + ": ACLs are off (uniform bucket-level access); grant IAM roles instead");
      }
      if (r.body().has("role") || r.body().has("roles")) {
        for (String role : roles(tf, r)) {
          if (PRIMITIVE_ROLES.contains(role)) {
            out.add(r.address() + ": primitive role " + role);
          } else if (role.contains("${") || !(role.startsWith("roles/") || role.startsWith("projects/") || role.startsWith("organizations/"))) {
            out.add(r.address() + ": role '" + role + "' is not a literal role name or a for_each over a literal local list or map");
          }
        }
      }
      if (r.type().equals("google_storage_bucket")) {
        if (!r.body().path("uniform_bucket_level_access").isBoolean() || !r.body().path("uniform_bucket_level_access").asBoolean()) {
          out.add(r.address() + ": uniform_bucket_level_access must be true");
        }
        if (!"enforced".equals(r.body().path("public_access_prevention").asText())) {
          out.add(r.address() + ": public_access_prevention must be \"enforced\", is " + r.body().path("public_access_prevention"));
        }
      }
      scan(r.body(), r.address(), out);
    }
    tf.files.forEach((file, doc) -> scan(doc.path("locals"), file + " locals", out));
    return out;
  }

  /** Primitive role names or public members anywhere in a block, expressions included. */
  private static void scan(JsonNode node, String where, List<String> out) {
    if (node.isTextual()) {
      Matcher primitive = PRIMITIVE.matcher(node.asText());
      if (primitive.find()) {
        out.add(where + ": mentions primitive role " + primitive.group());
      }
      Matcher pub = PUBLIC.matcher(node.asText());
      if (pub.find()) {
        out.add(where + ": grants to the public (" + pub.group() + ")");
      }
    }
    node.forEach(child -> scan(child, where, out));
  }

  /**
   * The roles a resource grants: a literal, or {@code each.value[.field]} / {@code each.key} over a
   * for_each whose collection is a literal local. Anything else is returned as its expression.
   */
  static List<String> roles(Terraform tf, Terraform.Block r) {
    List<String> out = new ArrayList<>();
    List<JsonNode> values = new ArrayList<>();
    if (r.body().has("role")) {
      values.add(r.body().get("role"));
    }
    r.body().path("roles").forEach(values::add);
    for (JsonNode v : values) {
      String text = v.asText();
      Matcher each = EACH.matcher(text);
      if (!text.contains("${")) {
        out.add(text);
      } else if (each.matches()) {
        List<String> resolved = resolveEach(tf, r.body().path("for_each").asText(), each.group(1), each.group(2));
        out.addAll(resolved.isEmpty() ? List.of(text) : resolved);
      } else {
        out.add(text);
      }
    }
    return out;
  }

  private static List<String> resolveEach(Terraform tf, String forEach, String keyOrValue, String field) {
    List<String> out = new ArrayList<>();
    Matcher ref = LOCAL_REF.matcher(forEach);
    while (ref.find()) {
      JsonNode collection = tf.locals().get(ref.group(1));
      if (collection == null) {
        continue;
      }
      if (collection.isArray()) {
        collection.forEach(e -> out.add(e.asText()));
      } else if (collection.isObject()) {
        collection.fields().forEachRemaining(e -> {
          if (keyOrValue.equals("key")) {
            out.add(e.getKey());
          } else {
            out.add(field == null ? e.getValue().asText() : e.getValue().path(field).asText());
          }
        });
      }
    }
    return out;
  }
}
