#!/usr/bin/env bash
# Runs the main job on Dataflow GPU workers straight from this checkout (no template): the
# options in runners/dataflow/gpu-job.args, with ${NAME} taken from the environment, then
# whatever job options follow. bin/dataselect then waits for the job and prints its final state;
# Ctrl-C stops the waiting, not the job (gcloud dataflow jobs cancel does that).
#
#   PROJECT=... REGION=us-central1 SERVICE_ACCOUNT=... STAGING_BUCKET=... IMAGE=... MAX_WORKERS=8 \
#   runners/dataflow/submit.sh --input='gs://corpus/c4/en/*.json.gz' --output=gs://outputs/run-1 --rate=0.2
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args=()
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  while [[ "$line" =~ \$\{([A-Z_]+)\} ]]; do
    name="${BASH_REMATCH[1]}"
    [ -n "${!name:-}" ] || { echo "submit.sh: set $name (used in gpu-job.args)" >&2; exit 2; }
    line="${line//\$\{$name\}/${!name}}"
  done
  args+=("$line")
done <"$here/gpu-job.args"
exec "$here/../../bin/dataselect" "${args[@]}" "$@"
