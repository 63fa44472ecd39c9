#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh machine (the README's second command).
# Installs: a virtualenv with the project and its dev extras; Debian's chromium for the
# browser tests of the album pages (when apt is available and we may use it).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
    && [ "$(id -u)" = "0" ]; then
    apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]'
exec .venv/bin/pytest -q -p no:cacheprovider "$@"
