#!/usr/bin/env bash
# Launches the main job from its Flex Template with gcloud, on GPU workers, and prints the job id.
# Values come from the environment; `terraform output` prints them for the infrastructure in
# terraform/ (see runners/README.md, "Run on Dataflow with GPUs").
#
#   PROJECT=... REGION=us-central1 TEMPLATE=gs://.../templates/dataselect.json IMAGE=... \
#   SERVICE_ACCOUNT=... STAGING_BUCKET=... INPUT='gs://corpus/c4/en/*.json.gz' OUTPUT=gs://outputs/run-1 \
#   runners/dataflow/templates/launch/gcloud-run.sh [extra --parameters=NAME=VALUE ...]
set -euo pipefail
: "${PROJECT:?}" "${REGION:?}" "${TEMPLATE:?}" "${IMAGE:?}" "${SERVICE_ACCOUNT:?}" "${STAGING_BUCKET:?}" "${INPUT:?}" "${OUTPUT:?}"

gcloud dataflow flex-template run "dataselect-$(date -u +%Y%m%d-%H%M%S)" \
  --project="$PROJECT" \
  --region="$REGION" \
  --template-file-gcs-location="$TEMPLATE" \
  --service-account-email="$SERVICE_ACCOUNT" \
  --temp-location="gs://$STAGING_BUCKET/temp" \
  --staging-location="gs://$STAGING_BUCKET/staging" \
  --worker-machine-type=g2-standard-8 \
  --max-workers="${MAX_WORKERS:-8}" \
  --additional-experiments=use_runner_v2 \
  --parameters=input="$INPUT" \
  --parameters=output="$OUTPUT" \
  --parameters=rate="${RATE:-0.2}" \
  --parameters=seed="${SEED:-42}" \
  --parameters=sdkContainerImage="$IMAGE" \
  --parameters=dataflowServiceOptions="worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver" \
  --parameters=numberOfWorkerHarnessThreads=4 \
  "$@" \
  --format='value(job.id)'
