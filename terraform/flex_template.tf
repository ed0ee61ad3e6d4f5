locals {
  staging_bucket = google_storage_bucket.data["staging"].name
  gpu_service_options = join(";", [
    "worker_accelerator=type:${var.gpu_type}",
    "count:${var.gpu_count}",
    "install-nvidia-driver",
  ])
}

# The Flex Template spec, what `gcloud dataflow flex-template build` writes: the image plus the
# template's parameters, read from the metadata file the build checks against the job's options.
resource "google_storage_bucket_object" "dataselect_template" {
  bucket       = local.staging_bucket
  name         = "templates/dataselect.json"
  content_type = "application/json"
  content = jsonencode({
    image    = local.image
    sdkInfo  = { language = "JAVA" }
    metadata = jsondecode(file("${path.module}/../runners/dataflow/templates/dataselect-metadata.json"))
    defaultEnvironment = {
      additionalExperiments = ["use_runner_v2"]
      machineType           = var.worker_machine_type
      serviceAccountEmail   = local.worker_email
      tempLocation          = "gs://${local.staging_bucket}/temp"
      stagingLocation       = "gs://${local.staging_bucket}/staging"
    }
  })
}

# The select-only template (score once, select many): the same build, with its own launcher main
# class baked in (runners/dataflow/build-image.sh IMAGE-select dataselect-select); no model runs,
# so its workers are Dataflow's default CPU machines, without accelerators.
resource "google_storage_bucket_object" "dataselect_select_template" {
  bucket       = local.staging_bucket
  name         = "templates/dataselect-select.json"
  content_type = "application/json"
  content = jsonencode({
    image    = local.select_image
    sdkInfo  = { language = "JAVA" }
    metadata = jsondecode(file("${path.module}/../runners/dataflow/templates/dataselect-select-metadata.json"))
    defaultEnvironment = {
      additionalExperiments = ["use_runner_v2"]
      serviceAccountEmail   = local.worker_email
      tempLocation          = "gs://${local.staging_bucket}/temp"
      stagingLocation       = "gs://${local.staging_bucket}/staging"
    }
  })
}

# An example launch on GPU workers (off unless launch_example_job = true). Batch jobs end by
# themselves; terraform launches a new one when an argument changes.
resource "google_dataflow_flex_template_job" "example" {
  count    = var.launch_example_job ? 1 : 0
  provider = google-beta

  project                 = var.project_id
  region                  = var.region
  name                    = "${var.name_prefix}-example"
  container_spec_gcs_path = "gs://${local.staging_bucket}/${google_storage_bucket_object.dataselect_template.name}"
  service_account_email   = local.worker_email
  temp_location           = "gs://${local.staging_bucket}/temp"
  staging_location        = "gs://${local.staging_bucket}/staging"
  machine_type            = var.worker_machine_type
  max_workers             = var.max_workers
  additional_experiments  = ["use_runner_v2"]
  labels                  = var.labels
  on_delete               = "cancel"

  # The template's parameters (runners/dataflow/templates/dataselect-metadata.json).
  parameters = {
    input                        = var.example_input != "" ? var.example_input : "gs://${google_storage_bucket.data["corpus"].name}/*.jsonl.gz"
    output                       = "gs://${google_storage_bucket.data["outputs"].name}/example"
    rate                         = "0.2"
    seed                         = "42"
    sdkContainerImage            = local.image
    dataflowServiceOptions       = local.gpu_service_options
    numberOfWorkerHarnessThreads = tostring(var.worker_harness_threads)
  }

  depends_on = [
    google_project_iam_member.worker,
    google_project_iam_member.launch,
    google_storage_bucket_iam_member.worker,
    google_artifact_registry_repository_iam_member.worker_pulls_images,
    google_service_account_iam_member.worker_acts_as_itself,
  ]
}
