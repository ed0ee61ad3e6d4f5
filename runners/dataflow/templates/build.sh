#!/usr/bin/env bash
# Writes a Flex Template's spec file to Cloud Storage: the image (built by
# runners/dataflow/build-image.sh) plus the template's parameters (its metadata file).
#
#   runners/dataflow/templates/build.sh IMAGE gs://TEMPLATES_BUCKET/templates [TEMPLATE]
#
# Terraform writes the same spec (terraform/flex_template.tf); use one or the other.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
image="${1:?usage: build.sh IMAGE gs://BUCKET/PATH [TEMPLATE]}"
location="${2:?usage: build.sh IMAGE gs://BUCKET/PATH [TEMPLATE]}"
template="${3:-dataselect}"
metadata="$root/runners/dataflow/templates/$template-metadata.json"
[ -f "$metadata" ] || { echo "no metadata file $metadata" >&2; exit 2; }

gcloud dataflow flex-template build "${location%/}/$template.json" \
  --image="$image" \
  --sdk-language=JAVA \
  --metadata-file="$metadata" \
  --additional-experiments=use_runner_v2 \
  --worker-machine-type=g2-standard-8
echo "template: ${location%/}/$template.json"
