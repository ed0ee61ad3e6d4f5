locals {
  # The services the job and its launch use; they stay enabled when this configuration is destroyed.
  apis = [
    "artifactregistry.googleapis.com", # the job image
    "compute.googleapis.com",          # worker and launcher VMs, GPUs
    "dataflow.googleapis.com",         # jobs and Flex Templates
    "iam.googleapis.com",              # the worker service account
    "logging.googleapis.com",          # worker and launcher logs
    "monitoring.googleapis.com",       # job metrics
    "storage.googleapis.com",          # buckets
  ]
}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
