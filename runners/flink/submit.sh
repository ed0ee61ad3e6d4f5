#!/usr/bin/env bash
# Runs the main job on a Flink session cluster: the one start-cluster.sh started in DIR, or any
# cluster with --master HOST:PORT (its REST address). Other options go to the job (bin/dataselect).
#
#   runners/flink/submit.sh [--dir DIR | --master HOST:PORT] --input=... --output=... [job options]
#
# The bundled jar is shipped to the cluster (--filesToStage); input and output paths must be
# readable and writable by every TaskManager (a shared file system, gs://, ...). Parallelism
# defaults to the cluster's free slots.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

cluster_dir="$repo_root/.flink"
master=""
job_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) cluster_dir="$2"; shift ;;
    --master) master="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) job_args+=("$1") ;;
  esac
  shift
done
if [ -z "$master" ]; then
  cluster_dir="$(cd "$cluster_dir" && pwd)"
  port="$(conf_value rest.port)"
  [ -n "$port" ] || { echo "no cluster configured in $cluster_dir: start one with runners/flink/start-cluster.sh" >&2; exit 1; }
  master="localhost:$port"
fi
parallelism=()
if ! printf '%s\n' "${job_args[@]}" | grep -q '^--parallelism='; then
  overview="$(rest_get "${master##*:}" /overview 2>/dev/null || true)"
  if [[ "$master" == localhost:* || "$master" == 127.0.0.1:* ]] && [[ "$overview" =~ \"slots-available\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    parallelism=(--parallelism="${BASH_REMATCH[1]}")
  fi
fi
jar="$repo_root/runners/target/dataselect-bundled.jar"
"$repo_root/bin/build-if-stale" "$jar" >&2
exec "$repo_root/bin/dataselect" --runner=FlinkRunner --flinkMaster="$master" --filesToStage="$jar" \
  "${parallelism[@]}" "${job_args[@]}"
