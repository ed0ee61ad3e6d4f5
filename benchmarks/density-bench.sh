#!/usr/bin/env bash
# Runs a DENSITY benchmark (never part of mvn verify) against this checkout's classes.
#
#   benchmarks/density-bench.sh kde-accuracy --synthetic            # or --embeddings=PATH
#   benchmarks/density-bench.sh coverage --synthetic [--rates=10,20,40,60,80 --seeds=5]
#   benchmarks/density-bench.sh synthetic --out=PATH [--n=6000 --dim=64 --clusters=20]
#
# Embeddings files: see dev.dataselect.benchmarks.EmbeddingsFile (DSEMBF32, little-endian).
# Output: "name: value" lines, the headline last. MAVEN_ARGS="" to allow network access.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  kde-accuracy) main=KdeAccuracy ;;
  coverage) main=Coverage ;;
  synthetic) main=SyntheticEmbeddings ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
shift
mvn -B ${MAVEN_ARGS--o} -q -pl benchmarks -am compile dependency:build-classpath \
  -Dmdep.outputFile="$PWD/benchmarks/target/classpath.txt" >&2
exec java -Xmx${BENCH_HEAP:-6g} -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  "dev.dataselect.benchmarks.$main" "$@"
