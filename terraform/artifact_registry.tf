resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = var.name_prefix
  format        = "DOCKER"
  description   = "dataselect job images: Flex Template launcher and GPU worker (runners/dataflow/Dockerfile)"
  labels        = var.labels

  # CUDA images are large: keep the 5 newest versions of each image, drop untagged ones.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }
  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state = "UNTAGGED"
    }
  }

  depends_on = [google_project_service.apis]
}

locals {
  image_repository = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
  image            = "${local.image_repository}/${var.image_name}:${var.image_tag}"
  # The same build with the select-only launcher as its main class (build-image.sh IMAGE dataselect-select).
  select_image = "${local.image_repository}/${var.image_name}-select:${var.image_tag}"
}
