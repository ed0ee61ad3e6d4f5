package dev.dataselect.runners.terraform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * terraform/ parses (offline, with npm's @cdktf/hcl2json) and keeps its policies: least-privilege
 * predefined roles for a dedicated service account, private uniform buckets for the four
 * purposes, the APIs, the image repository, the Flex Template spec and an example GPU job. The
 * last tests add a primitive role or a public bucket to a copy and show the policy check fail.
 */
class TerraformPolicyTest {
  private static Terraform tf;
  @TempDir Path dir;

  @BeforeAll
  static void parse() throws Exception {
    tf = Terraform.parse(Terraform.ROOT.resolve("terraform"));
  }

  @Test
  void everyTerraformFileParses() throws IOException {
    Set<String> onDisk = new TreeSet<>();
    try (var files = Files.list(Terraform.ROOT.resolve("terraform"))) {
      files.filter(f -> f.toString().endsWith(".tf")).forEach(f -> onDisk.add(f.getFileName().toString()));
    }
    assertEquals(onDisk, new TreeSet<>(tf.files.keySet()));
    assertTrue(onDisk.size() >= 6, onDisk.toString());
  }

  @Test
  void theConfigurationKeepsThePolicies() {
    assertEquals(List.of(), TerraformPolicy.violations(tf));
  }

  @Test
  void theWorkerHasItsOwnAccountWithPredefinedRolesOnly() {
    assertEquals(1, tf.resources("google_service_account").size());
    Set<String> granted = new TreeSet<>();
    for (String type : List.of("google_project_iam_member", "google_storage_bucket_iam_member",
        "google_service_account_iam_member", "google_artifact_registry_repository_iam_member")) {
      for (Terraform.Block b : tf.resources(type)) {
        assertTrue(b.body().path("member").asText().contains("worker_member"), b.address() + " grants to the worker account");
        granted.addAll(TerraformPolicy.roles(tf, b));
      }
    }
    assertEquals(new TreeSet<>(List.of(
        "roles/artifactregistry.reader", "roles/dataflow.developer", "roles/dataflow.worker",
        "roles/iam.serviceAccountUser", "roles/logging.logWriter", "roles/monitoring.metricWriter",
        "roles/storage.legacyBucketReader", "roles/storage.objectAdmin", "roles/storage.objectViewer")), granted);
    assertTrue(tf.locals().path("worker_member").asText().startsWith("serviceAccount:${google_service_account.worker.email}"));
  }

  @Test
  void fourPrivateBucketsByPurpose() {
    List<Terraform.Block> buckets = tf.resources("google_storage_bucket");
    assertEquals(1, buckets.size(), "one bucket resource, one instance per purpose");
    assertEquals("${local.buckets}", buckets.get(0).body().path("for_each").asText());
    Set<String> purposes = new TreeSet<>();
    tf.locals().path("buckets").fieldNames().forEachRemaining(purposes::add);
    assertEquals(Set.of("corpus", "outputs", "staging", "models"), purposes);
    // Readers only where the job only reads.
    JsonNode bucketRoles = tf.locals().path("worker_bucket_roles");
    bucketRoles.forEach(grant -> {
      if (Set.of("corpus", "models").contains(grant.path("bucket").asText())) {
        assertEquals("roles/storage.objectViewer", grant.path("role").asText(), grant.toString());
      }
    });
  }

  @Test
  void theApisAndTheImageRepository() {
    Set<String> apis = new TreeSet<>();
    tf.locals().path("apis").forEach(a -> apis.add(a.asText()));
    assertTrue(apis.containsAll(Set.of("dataflow.googleapis.com", "compute.googleapis.com", "storage.googleapis.com",
        "artifactregistry.googleapis.com", "iam.googleapis.com")), apis.toString());
    assertEquals("${toset(local.apis)}", tf.resources("google_project_service").get(0).body().path("for_each").asText());
    Terraform.Block repo = tf.resources("google_artifact_registry_repository").get(0);
    assertEquals("DOCKER", repo.body().path("format").asText());
  }

  @Test
  void theTemplateSpecCarriesTheCheckedMetadataFile() {
    Terraform.Block spec = tf.resources("google_storage_bucket_object").stream()
        .filter(b -> b.name().equals("dataselect_template")).findFirst().orElseThrow();
    String content = spec.body().path("content").asText();
    assertTrue(content.contains("runners/dataflow/templates/dataselect-metadata.json"), content);
    assertTrue(content.contains("sdkInfo") && content.contains("JAVA") && content.contains("local.image"), content);
    assertTrue(spec.body().path("name").asText().endsWith(".json"));
  }

  @Test
  void theExampleJobRunsOnL4GpusWithTheTemplatesParameters() throws IOException {
    Terraform.Block job = tf.resources("google_dataflow_flex_template_job").get(0);
    JsonNode body = job.body();
    assertEquals("${google-beta}", body.path("provider").asText());
    assertEquals("${var.worker_machine_type}", body.path("machine_type").asText());
    assertTrue(tf.variableDefault("worker_machine_type").asText().startsWith("g2-"));
    assertEquals("nvidia-l4", tf.variableDefault("gpu_type").asText());
    assertEquals("use_runner_v2", body.path("additional_experiments").get(0).asText());
    assertEquals("${local.worker_email}", body.path("service_account_email").asText());
    String gpu = tf.locals().path("gpu_service_options").asText();
    assertTrue(gpu.contains("worker_accelerator=type:${var.gpu_type}") && gpu.contains("install-nvidia-driver"), gpu);

    JsonNode parameters = body.path("parameters");
    assertEquals("${local.gpu_service_options}", parameters.path("dataflowServiceOptions").asText());
    assertEquals("${local.image}", parameters.path("sdkContainerImage").asText());
    Set<String> declared = new TreeSet<>();
    new ObjectMapper().readTree(Terraform.ROOT.resolve("runners/dataflow/templates/dataselect-metadata.json").toFile())
        .path("parameters").forEach(p -> declared.add(p.path("name").asText()));
    parameters.fieldNames().forEachRemaining(name -> assertTrue(declared.contains(name), name + " is a template parameter"));
  }

  @Test
  void variablesAndOutputsAreDocumented() {
    Map<String, JsonNode> variables = tf.named("variable");
    Map<String, JsonNode> outputs = tf.named("output");
    assertTrue(variables.containsKey("project_id") && variables.containsKey("region"), variables.keySet().toString());
    assertTrue(outputs.keySet().containsAll(Set.of("buckets", "worker_service_account", "image", "template_spec")), outputs.keySet().toString());
    variables.forEach((name, v) -> {
      assertFalse(v.path("description").asText().isBlank(), "variable " + name + " has a description");
      assertTrue(v.has("type"), "variable " + name + " has a type");
    });
    outputs.forEach((name, o) -> assertFalse(o.path("description").asText().isBlank(), "output " + name + " has a description"));
  }

  // ---- The policy check fails when the configuration breaks a policy. ----

  private List<String> violationsWith(String extraTf) throws Exception {
    Terraform.copyConfiguration(dir);
    Files.writeString(dir.resolve("zz_change.tf"), extraTf);
    return TerraformPolicy.violations(Terraform.parse(dir));
  }

  @Test
  void failsWhenAPrimitiveRoleIsGranted() throws Exception {
    List<String> violations = violationsWith("""
        resource "google_project_iam_member" "convenient" {
          project = var.project_id
          role    = "roles/editor"
          member  = local.worker_member
        }
        """);
    assertTrue(violations.contains("google_project_iam_member.convenient: primitive role roles/editor"), violations.toString());
  }

  @Test
  void failsWhenAPrimitiveRoleHidesInALocalList() throws Exception {
    List<String> violations = violationsWith("""
        locals {
          more_roles = ["roles/bigquery.dataViewer", "roles/owner"]
        }
        resource "google_project_iam_member" "more" {
          for_each = toset(local.more_roles)
          project  = var.project_id
          role     = each.value
          member   = local.worker_member
        }
        """);
    assertTrue(violations.contains("google_project_iam_member.more: primitive role roles/owner"), violations.toString());
  }

  @Test
  void failsWhenARoleCannotBeCheckedStatically() throws Exception {
    List<String> violations = violationsWith("""
        variable "extra_role" {
          type        = string
          description = "a role chosen at apply time"
        }
        resource "google_project_iam_member" "extra" {
          project = var.project_id
          role    = var.extra_role
          member  = local.worker_member
        }
        """);
    assertTrue(violations.stream().anyMatch(v -> v.startsWith("google_project_iam_member.extra: role '${var.extra_role}'")), violations.toString());
  }

  @Test
  void failsWhenABucketCanBePublic() throws Exception {
    List<String> violations = violationsWith("""
        resource "google_storage_bucket" "share" {
          name                        = "${var.project_id}-share"
          location                    = "US"
          uniform_bucket_level_access = true
          public_access_prevention    = "inherited"
        }
        resource "google_storage_bucket_iam_member" "everyone" {
          bucket = google_storage_bucket.share.name
          role   = "roles/storage.objectViewer"
          member = "allUsers"
        }
        """);
    assertTrue(violations.stream().anyMatch(v -> v.startsWith("google_storage_bucket.share: public_access_prevention must be")), violations.toString());
    assertTrue(violations.contains("google_storage_bucket_iam_member.everyone: grants to the public (allUsers)"), violations.toString());
  }

  @Test
  void failsWhenABucketUsesAcls() throws Exception {
    List<String> violations = violationsWith("""
        resource "google_storage_bucket" "legacy" {
          name                     = "${var.project_id}-legacy"
          location                 = "US"
          public_access_prevention = "enforced"
        }
        resource "google_storage_bucket_acl" "legacy" {
          bucket         = google_storage_bucket.legacy.name
          predefined_acl = "publicRead"
        }
        """);
    assertTrue(violations.contains("google_storage_bucket.legacy: uniform_bucket_level_access must be true"), violations.toString());
    assertTrue(violations.stream().anyMatch(v -> v.startsWith("google_storage_bucket_acl.legacy: ACLs are off")), violations.toString());
  }

  @Test
  void aSyntaxErrorFailsTheParse() throws Exception {
    Terraform.copyConfiguration(dir);
    Files.writeString(dir.resolve("broken.tf"), "resource \"google_storage_bucket\" \"x\" {\n  name = \n");
    IOException e = assertThrows(IOException.class, () -> Terraform.parse(dir));
    assertTrue(e.getMessage().contains("broken.tf:2") && e.getMessage().contains("Invalid expression"), e.getMessage());
  }

  /** Not vacuous: the unmodified copy has no violations, so the ones above come from the change. */
  @Test
  void anUnchangedCopyHasNoViolations() throws Exception {
    assertEquals(new ArrayList<String>(), violationsWith("# no change\n"));
  }
}
