# Shared by start-cluster.sh and stop-cluster.sh (sourced, not run).
flink_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$flink_here/../.." && pwd)"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# The processes of a cluster are the ones whose pid files are in DIR and whose command line names
# DIR/conf: a pid reused by an unrelated process after a crash is never signalled.
owned_pid() { # pidfile -> prints the pid when that process is alive and ours
  local pidfile="$1" pid cmd
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
  else
    cmd="$(ps -p "$pid" -o command= 2>/dev/null || true)"
  fi
  case "$cmd" in *"$cluster_dir/conf"*) echo "$pid" ;; *) return 1 ;; esac
}

# GET http://127.0.0.1:PORT/PATH with bash alone (no curl on a bare machine); prints the body.
rest_get() { # port path
  local response
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
  response="$(cat <&3)"
  exec 3<&-
  printf '%s' "${response#*$'\r\n\r\n'}"
}

conf_value() { # key -> value in DIR/conf/config.yaml (flat keys)
  sed -n "s/^$1: *//p" "$cluster_dir/conf/config.yaml" 2>/dev/null | tail -n1
}
