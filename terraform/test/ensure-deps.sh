#!/usr/bin/env bash
# Installs the HCL parser the terraform policy test uses (package-lock.json) into
# terraform/test/node_modules, unless that install is already current. Idempotent; needs Node.js
# 18+ with npm, and the npm registry the first time. Run by .ci/run and by TerraformPolicyTest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -f node_modules/@cdktf/hcl2json/package.json ] && [ -f node_modules/.package-lock.json ] \
   && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
