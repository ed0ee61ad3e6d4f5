locals {
  # One bucket per purpose; the worker's access to each is in iam.tf.
  buckets = {
    corpus  = "the corpus to select from (read-only for the job)"
    outputs = "selected documents, ids, dead letters, summary.json"
    staging = "Flex Template specs, staged jars, temporary files"
    models  = "ONNX models and tokenizers (read-only for the job)"
  }
}

resource "google_storage_bucket" "data" {
  for_each = local.buckets

  project  = var.project_id
  name     = "${var.project_id}-${var.name_prefix}-${each.key}"
  location = upper(var.region)

  # Access by IAM only (no object ACLs), and never public, whatever an object or policy says.
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  force_destroy = var.force_destroy_buckets
  labels        = merge(var.labels, { purpose = each.key })

  versioning {
    enabled = each.key == "models"
  }

  dynamic "lifecycle_rule" {
    for_each = each.key == "staging" ? ["temp/", "staging/"] : []
    content {
      condition {
        age            = var.staging_retention_days
        matches_prefix = [lifecycle_rule.value]
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [google_project_service.apis]
}
