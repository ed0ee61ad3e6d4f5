variable "project_id" {
  type        = string
  description = "The GCP project that holds everything (buckets, service account, image repository, jobs)."
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6 to 30 lower-case letters, digits or hyphens."
  }
}

variable "region" {
  type        = string
  description = "Region of the buckets' data, the image repository and the Dataflow jobs. Pick one with L4 GPUs (G2 machines), e.g. us-central1, us-east4, europe-west4, asia-southeast1."
  default     = "us-central1"
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name. Bucket names are global: the project id is added to them."
  default     = "dataselect"
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{2,19}$", var.name_prefix))
    error_message = "name_prefix must be 3 to 20 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every bucket, the repository and the example job."
  default     = {}
}

variable "force_destroy_buckets" {
  type        = bool
  description = "Let terraform destroy delete buckets that still hold objects. Keep false for real data."
  default     = false
}

variable "staging_retention_days" {
  type        = number
  description = "Days after which objects in the staging bucket's temp/ and staging/ folders are deleted (jar uploads, temporary files)."
  default     = 14
  validation {
    condition     = var.staging_retention_days >= 1
    error_message = "staging_retention_days must be at least 1."
  }
}

variable "image_name" {
  type        = string
  description = "Name of the job image in the repository (runners/dataflow/build-image.sh pushes it)."
  default     = "dataselect"
}

variable "image_tag" {
  type        = string
  description = "Tag of the job image the Flex Template and the example job use."
  default     = "0.1.0"
}

variable "worker_machine_type" {
  type        = string
  description = "Worker machine type. L4 GPUs come with G2 machines: g2-standard-4 (1 L4, 4 vCPUs, 16 GB), g2-standard-8 (1 L4, 8 vCPUs, 32 GB), g2-standard-12/16/32 (1 L4), g2-standard-24 (2 L4s), g2-standard-48 (4 L4s)."
  default     = "g2-standard-8"
  validation {
    condition     = can(regex("^g2-(standard|custom)-", var.worker_machine_type))
    error_message = "worker_machine_type must be a G2 machine type: they are the ones that carry L4 GPUs."
  }
}

variable "gpu_type" {
  type        = string
  description = "GPU model per worker (Dataflow's worker_accelerator type)."
  default     = "nvidia-l4"
}

variable "gpu_count" {
  type        = number
  description = "GPUs per worker; must match the machine type (1 for g2-standard-4 to -32)."
  default     = 1
  validation {
    condition     = contains([1, 2, 4, 8], var.gpu_count)
    error_message = "gpu_count must be 1, 2, 4 or 8."
  }
}

variable "worker_harness_threads" {
  type        = number
  description = "DoFn threads per worker JVM (numberOfWorkerHarnessThreads). They share the worker's model session and GPU: about 4 per L4 keeps it busy without running out of its memory."
  default     = 4
  validation {
    condition     = var.worker_harness_threads >= 1 && var.worker_harness_threads <= 64
    error_message = "worker_harness_threads must be in [1, 64]."
  }
}

variable "max_workers" {
  type        = number
  description = "Upper bound of autoscaling for the example job (each worker holds gpu_count GPUs: mind the regional GPU quota)."
  default     = 8
}

variable "grant_launch_role" {
  type        = bool
  description = "Grant the worker service account roles/dataflow.developer on the project: the Flex Template launcher VM runs as it and creates the job. Turn off when jobs are launched only by callers that hold the role themselves (direct runs with bin/dataselect)."
  default     = true
}

variable "launch_example_job" {
  type        = bool
  description = "Also launch the example GPU job (google_dataflow_flex_template_job.example) over example_input. Needs the image pushed first."
  default     = false
}

variable "example_input" {
  type        = string
  description = "Corpus of the example job: gs:// paths or globs, comma-separated. Empty: every .jsonl.gz file at the top of the corpus bucket."
  default     = ""
}
