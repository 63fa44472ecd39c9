#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh machine (the README's second command).
# Installs: a virtualenv with the project and its dev extras; Debian's chromium for the
# browser tests of the album pages and Debian's nginx for the X-Accel-Redirect test (when apt
# is available and we may use it); s3rver (npm) under build/ when npm is there, a second S3
# server for the blob-store contract.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing="$missing nginx"
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    # shellcheck disable=SC2086  # one word per package
    apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]'
# s3rver under build/: the blob-store contract runs on it too (tests/README.md, "S3 beyond moto").
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    .venv/bin/python -m tests.integration.s3rver >/dev/null \
        || echo "s3rver not installed: its contract case will skip" >&2
fi
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
