#!/usr/bin/env bash
# Starts a standalone Flink 1.19 session cluster (one JobManager, one TaskManager) on this machine,
# bound to 127.0.0.1, from Maven-resolved jars: for tests, CI and trials before an on-prem cluster.
#
#   runners/flink/start-cluster.sh [--dir DIR] [--rest-port 8081] [--rpc-port 6123] [--slots 2]
#       [--taskmanager-memory 2g] [--jobmanager-memory 1g] [--gpu] [--offline] [--timeout 180]
#
# Idempotent: returns at once when the cluster in DIR is already up; jars are resolved once per
# DIR (again only when runners/flink/pom.xml changes). Needs Java 17 and, the first time, Maven
# Central (through ./mvnw). Stop it with runners/flink/stop-cluster.sh --dir DIR.
#   DIR (default .flink/ at the repository root) holds lib/, conf/, log/, tmp/ and the pid files.
#   --gpu puts onnxruntime_gpu on the class path instead of the CPU build.
#   --offline resolves from the local Maven repository only (by default it is tried first).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-env.sh"

cluster_dir="$repo_root/.flink"
rest_port=8081
rpc_port=6123
slots=2
tm_memory=2g
jm_memory=1g
gpu=false
mvn_flags=(-B -q)
offline=false
timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) cluster_dir="$2"; shift ;;
    --rest-port) rest_port="$2"; shift ;;
    --rpc-port) rpc_port="$2"; shift ;;
    --slots) slots="$2"; shift ;;
    --taskmanager-memory) tm_memory="$2"; shift ;;
    --jobmanager-memory) jm_memory="$2"; shift ;;
    --gpu) gpu=true ;;
    --offline) offline=true ;;
    --timeout) timeout="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "start-cluster.sh: unknown argument '$1' (--help lists them)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$cluster_dir"
cluster_dir="$(cd "$cluster_dir" && pwd)"

if jm="$(owned_pid "$cluster_dir/jobmanager.pid")" && tm="$(owned_pid "$cluster_dir/taskmanager.pid")"; then
  echo "Flink cluster already running in $cluster_dir (JobManager $jm, TaskManager $tm): http://127.0.0.1:$(conf_value rest.port)"
  exit 0
fi
# A half-started or crashed cluster: clear it before starting afresh.
"$flink_here/stop-cluster.sh" --dir "$cluster_dir" >/dev/null
if rest_get "$rest_port" / >/dev/null 2>&1; then
  echo "port $rest_port on 127.0.0.1 is taken (another cluster?): choose one with --rest-port" >&2
  exit 1
fi

# 1. The class path: Flink, log4j, ONNX Runtime, DJL, resolved by Maven into DIR/lib.
stamp="$(cat "$flink_here/pom.xml" | cksum) gpu=$gpu"
if [ "$(cat "$cluster_dir/lib/.resolved" 2>/dev/null || true)" != "$stamp" ]; then
  echo "resolving the Flink cluster's jars into $cluster_dir/lib ..."
  rm -rf "$cluster_dir/lib" "$cluster_dir/lib.partial"
  profile=()
  if [ "$gpu" = true ]; then profile=(-Pgpu); fi
  resolve=("$repo_root/mvnw" "${mvn_flags[@]}" "${profile[@]}" -f "$flink_here/pom.xml"
           dependency:copy-dependencies -Dflink.lib="$cluster_dir/lib.partial")
  # From the local Maven repository when everything is there; from Maven Central otherwise.
  if [ "$offline" = true ]; then
    "${resolve[@]}" -o
  elif ! "${resolve[@]}" -o >/dev/null 2>&1; then
    "${resolve[@]}"
  fi
  echo "$stamp" >"$cluster_dir/lib.partial/.resolved"
  mv "$cluster_dir/lib.partial" "$cluster_dir/lib"
fi

# 2. The configuration: this project's settings plus this machine's addresses, ports and folders.
mkdir -p "$cluster_dir/conf" "$cluster_dir/log" "$cluster_dir/tmp" "$cluster_dir/work"
cp "$flink_here/conf/log4j.properties" "$cluster_dir/conf/log4j.properties"
{
  cat "$flink_here/conf/config.yaml"
  cat <<CONF

# ---- written by runners/flink/start-cluster.sh ----
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.host: 127.0.0.1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $rest_port
jobmanager.memory.process.size: $jm_memory
taskmanager.memory.process.size: $tm_memory
taskmanager.numberOfTaskSlots: $slots
parallelism.default: $slots
# Beam's batch translation runs many tasks at once, each blocking result partition asking for
# sort-shuffle write buffers (512 by default): a small TaskManager runs out ("Insufficient number
# of network buffers"). Fewer buffers per partition and a larger network share fit a 2 GB one.
taskmanager.network.sort-shuffle.min-buffers: 64
taskmanager.memory.network.fraction: 0.2
io.tmp.dirs: $cluster_dir/tmp
web.tmpdir: $cluster_dir/tmp
blob.storage.directory: $cluster_dir/tmp/blobs
process.working-dir: $cluster_dir/work
CONF
} >"$cluster_dir/conf/config.yaml"

classpath="$cluster_dir/lib/*"
read -r -a java_opts <<<"$(conf_value env.java.opts.all)"
common=(-Djava.io.tmpdir="$cluster_dir/tmp" -DDJL_CACHE_DIR="$cluster_dir/tmp/djl"
        -Dlog4j.configurationFile="file:$cluster_dir/conf/log4j.properties")

# The JVM flags and dynamic properties Flink's own scripts would compute from the memory sizes
# (without them: "taskmanager.cpu.cores is not set").
resource_params() { # GET_JM_RESOURCE_PARAMS | GET_TM_RESOURCE_PARAMS -> two lines: JVM flags, -D properties
  "$java_bin" -cp "$classpath" org.apache.flink.runtime.util.bash.BashJavaUtils "$1" \
      --configDir "$cluster_dir/conf" 2>"$cluster_dir/log/bash-java-utils.err" |
    sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p'
}
start_process() { # name main-class resource-command
  local name="$1" main="$2" params jvm dyn
  params="$(resource_params "$3")" || { cat "$cluster_dir/log/bash-java-utils.err" >&2; exit 1; }
  read -r -a jvm <<<"$(sed -n 1p <<<"$params")"
  read -r -a dyn <<<"$(sed -n 2p <<<"$params")"
  : >"$cluster_dir/log/$name.log"
  # Own session (where setsid exists) and no inherited descriptors: the cluster outlives this
  # script and holds none of its pipes.
  $detach "$java_bin" "${jvm[@]}" "${java_opts[@]}" "${common[@]}" -Dlog.file="$cluster_dir/log/$name.log" \
      -cp "$classpath" "$main" --configDir "$cluster_dir/conf" "${dyn[@]}" \
      </dev/null >"$cluster_dir/log/$name.out" 2>&1 &
  echo $! >"$cluster_dir/$name.pid"
}
detach=nohup
if command -v setsid >/dev/null; then detach=setsid; fi
start_process jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint GET_JM_RESOURCE_PARAMS
start_process taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner GET_TM_RESOURCE_PARAMS

# 3. Ready when the TaskManager has registered all its slots with the JobManager.
deadline=$((SECONDS + timeout))
while :; do
  for name in jobmanager taskmanager; do
    if ! owned_pid "$cluster_dir/$name.pid" >/dev/null; then
      echo "the Flink $name exited while starting; last lines of $cluster_dir/log/$name.{out,log}:" >&2
      tail -n 30 "$cluster_dir/log/$name.out" "$cluster_dir/log/$name.log" >&2 || true
      "$flink_here/stop-cluster.sh" --dir "$cluster_dir" >&2
      exit 1
    fi
  done
  overview="$(rest_get "$rest_port" /overview || true)"
  if [[ "$overview" =~ \"slots-total\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$slots" ]; then
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "the Flink cluster did not offer $slots slots within ${timeout}s; logs in $cluster_dir/log" >&2
    "$flink_here/stop-cluster.sh" --dir "$cluster_dir" >&2
    exit 1
  fi
  sleep 1
done
echo "Flink cluster up in $cluster_dir: http://127.0.0.1:$rest_port ($slots slots)"
echo "submit with: runners/flink/submit.sh --dir $cluster_dir [job options]"
