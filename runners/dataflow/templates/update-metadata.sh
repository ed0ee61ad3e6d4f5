#!/usr/bin/env bash
# Regenerates every Flex Template's metadata file from its options interface (after an option is
# added, removed or redescribed), or with --check lists how the files disagree and exits 1.
#
#   runners/dataflow/templates/update-metadata.sh [--check]
#
# Parameters come from @Description and @Default of the options; validation regexes from the
# option's type, refined per option in TemplateMetadata.RULES (runners/src/main/java/...).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
jar="$root/runners/target/dataselect-bundled.jar"
"$root/bin/build-if-stale" "$jar" >&2
exec java -cp "$jar" dev.dataselect.runners.dataflow.TemplateMetadata "$@" "$root"
