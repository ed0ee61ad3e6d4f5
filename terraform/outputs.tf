output "buckets" {
  description = "Bucket name per purpose: corpus, outputs, staging, models."
  value       = { for purpose, bucket in google_storage_bucket.data : purpose => bucket.name }
}

output "worker_service_account" {
  description = "Email of the service account Dataflow workers and the template launcher run as (--serviceAccount, --service-account-email)."
  value       = google_service_account.worker.email
}

output "image_repository" {
  description = "Artifact Registry repository for the job images (docker push target)."
  value       = local.image_repository
}

output "image" {
  description = "The job image the template and the example job use: build and push it with runners/dataflow/build-image.sh."
  value       = local.image
}

output "template_spec" {
  description = "gs:// path of the main job's Flex Template spec (--template-file-gcs-location, containerSpecGcsPath)."
  value       = "gs://${local.staging_bucket}/${google_storage_bucket_object.dataselect_template.name}"
}

output "gpu_service_options" {
  description = "The dataflowServiceOptions value that puts GPUs on the workers."
  value       = local.gpu_service_options
}

output "example_job_id" {
  description = "Id of the example job, when launch_example_job is true."
  value       = one(google_dataflow_flex_template_job.example[*].job_id)
}

output "select_image" {
  description = "The select-only template's image: build and push it with runners/dataflow/build-image.sh IMAGE dataselect-select."
  value       = local.select_image
}
