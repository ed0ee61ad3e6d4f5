#!/usr/bin/env bash
# Stops the Flink cluster that start-cluster.sh started in DIR (default .flink/ at the repository
# root): TaskManager first, then JobManager; SIGTERM, then SIGKILL after 30 s. Idempotent.
#
#   runners/flink/stop-cluster.sh [--dir DIR]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

cluster_dir="$repo_root/.flink"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) cluster_dir="$2"; shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "stop-cluster.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -d "$cluster_dir" ] || { echo "no Flink cluster in $cluster_dir"; exit 0; }
cluster_dir="$(cd "$cluster_dir" && pwd)"

for name in taskmanager jobmanager; do
  pidfile="$cluster_dir/$name.pid"
  if pid="$(owned_pid "$pidfile")"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      owned_pid "$pidfile" >/dev/null || break
      sleep 0.5
    done
    if owned_pid "$pidfile" >/dev/null; then
      echo "the Flink $name ($pid) ignored SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped the Flink $name ($pid)"
  fi
  rm -f "$pidfile"
done
