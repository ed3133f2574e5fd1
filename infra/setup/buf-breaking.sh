#!/usr/bin/env bash
# `buf breaking`: the proto contracts must stay wire- and source-compatible with what has landed on main
# (rules: FILE, see buf.yaml). Compares the working tree with the main branch of this clone (origin/main
# when there is no local main); says so and passes when neither exists (e.g. an export without git).
set -euo pipefail
cd "$(dirname "$0")/../.."
for ref in main origin/main; do
  if git rev-parse --verify -q "$ref^{commit}" >/dev/null 2>&1; then
    npx --no-install buf breaking --against ".git#ref=$(git rev-parse "$ref")"
    echo "buf breaking: compatible with $ref"
    exit 0
  fi
done
echo "buf breaking: no main branch in this clone; skipped"
