# The job's own identity: Dataflow workers and the Flex Template launcher VM run as it. Every role
# is a predefined role named here literally (the policy test checks that none is primitive).

resource "google_service_account" "worker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-worker"
  display_name = "dataselect Dataflow workers and launcher"
  depends_on   = [google_project_service.apis]
}

locals {
  worker_email  = google_service_account.worker.email
  worker_member = "serviceAccount:${google_service_account.worker.email}"

  # Project-wide: run as a Dataflow worker, write logs and metrics.
  worker_project_roles = [
    "roles/dataflow.worker",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
  ]
  # The launcher VM creates the job from the template.
  launch_project_roles = [
    "roles/dataflow.developer",
  ]
  # Per bucket: read the corpus and the models; write outputs and staging. legacyBucketReader
  # gives storage.buckets.get, which Beam's temp-location check calls.
  worker_bucket_roles = {
    "corpus/objectViewer"        = { bucket = "corpus", role = "roles/storage.objectViewer" }
    "models/objectViewer"        = { bucket = "models", role = "roles/storage.objectViewer" }
    "outputs/objectAdmin"        = { bucket = "outputs", role = "roles/storage.objectAdmin" }
    "outputs/legacyBucketReader" = { bucket = "outputs", role = "roles/storage.legacyBucketReader" }
    "staging/objectAdmin"        = { bucket = "staging", role = "roles/storage.objectAdmin" }
    "staging/legacyBucketReader" = { bucket = "staging", role = "roles/storage.legacyBucketReader" }
  }
}

resource "google_project_iam_member" "worker" {
  for_each = toset(local.worker_project_roles)
  project  = var.project_id
  role     = each.value
  member   = local.worker_member
}

resource "google_project_iam_member" "launch" {
  for_each = var.grant_launch_role ? toset(local.launch_project_roles) : toset([])
  project  = var.project_id
  role     = each.value
  member   = local.worker_member
}

# Launching a job that runs as this account requires acting as it, also for the account itself.
resource "google_service_account_iam_member" "worker_acts_as_itself" {
  service_account_id = google_service_account.worker.name
  role               = "roles/iam.serviceAccountUser"
  member             = local.worker_member
}

resource "google_storage_bucket_iam_member" "worker" {
  for_each = local.worker_bucket_roles
  bucket   = google_storage_bucket.data[each.value.bucket].name
  role     = each.value.role
  member   = local.worker_member
}

resource "google_artifact_registry_repository_iam_member" "worker_pulls_images" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = local.worker_member
}
