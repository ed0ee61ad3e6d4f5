# GCP infrastructure for dataselect on Dataflow with GPUs: APIs, buckets, the worker service
# account, the image repository, the Flex Template spec and an example GPU job.
# Usage: terraform/README.md and runners/README.md ("Run on Dataflow with GPUs").
terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
    # google_dataflow_flex_template_job is in the beta provider only.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = ">= 6.0, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
