#!/usr/bin/env bash
# The installed layout, pichr/<folder>, as links under build/ns: for the tools that read the code
# without importing it (mypy, import-linter), which cannot follow setuptools' package-dir mapping.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/ns/pichr
for folder in domain application projections api workers scripts; do
    ln -sfn "../../../$folder" "build/ns/pichr/$folder"
done
