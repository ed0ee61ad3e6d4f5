#!/usr/bin/env bash
# Builds and pushes the GPU image of a Flex Template (runners/dataflow/Dockerfile): the job jar
# built with -Pgpu (onnxruntime_gpu), CUDA 12 + cuDNN 9, JDK 17, Beam's Java SDK harness and the
# Flex Template launcher. One image is both the launcher and the workers' --sdkContainerImage.
#
#   runners/dataflow/build-image.sh IMAGE [TEMPLATE]
#     IMAGE     e.g. us-central1-docker.pkg.dev/PROJECT/dataselect/dataselect:0.1.0
#               (terraform output image_repository gives the repository part)
#     TEMPLATE  a FlexTemplates name (default: dataselect); sets the image's launcher main class
#
# Needs Docker with access to the registry (gcloud auth configure-docker REGION-docker.pkg.dev).
# Without Docker: gcloud builds submit --tag IMAGE runners/dataflow/target/image-context
# after this script has prepared that folder (it stops before docker build when docker is absent).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
image="${1:?usage: build-image.sh IMAGE [TEMPLATE]}"
template="${2:-dataselect}"
case "$template" in
  dataselect) main_class=dev.dataselect.runners.dataflow.DataselectFlexTemplate ;;
  dataselect-select) main_class=dev.dataselect.runners.dataflow.ReselectFlexTemplate ;;
  *) echo "unknown template '$template'" >&2; exit 2 ;;
esac

cd "$root"
./mvnw -B -q -Pgpu -DskipTests install
context="$root/runners/dataflow/target/image-context"
rm -rf "$context" && mkdir -p "$context"
cp runners/target/dataselect-bundled.jar "$context/"
cp runners/dataflow/Dockerfile "$context/Dockerfile"
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  echo "no Docker engine here; build context ready in $context:" >&2
  echo "  gcloud builds submit --tag '$image' '$context'   (MAIN_CLASS defaults to the main job)" >&2
  exit 1
fi
docker build --build-arg MAIN_CLASS="$main_class" -t "$image" "$context"
docker push "$image"
echo "pushed $image"
