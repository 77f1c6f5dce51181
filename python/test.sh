#!/usr/bin/env bash
# The Python bindings' test command (.ci/run runs it after the cargo tests): a fresh virtualenv
# (target/py-venv), maturin + pytest + numpy from PyPI, the wheel built in release mode into
# target/wheels (reusing the workspace's target/, so the crates `cargo test --release
# --workspace` built are not rebuilt), installed with pip, then pytest on python/tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys, venv; assert sys.version_info >= (3, 9)' 2>/dev/null; then
  echo "python/test.sh needs CPython >= 3.9 with the venv module (set PYTHON=...)" >&2
  exit 1
fi
VENV="$PWD/target/py-venv"
rm -rf "$VENV" target/wheels
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.9,<2" pytest numpy
start=$(date +%s)
"$VENV/bin/maturin" build --release --strip --manifest-path python/Cargo.toml --out target/wheels \
  --interpreter "$VENV/bin/python"
echo "wheel built in $(( $(date +%s) - start )) s: $(ls -l target/wheels/*.whl | awk '{print $5, $9}')"
"$VENV/bin/pip" install --quiet --disable-pip-version-check target/wheels/zkinfer-*.whl
export ZKINFER_CACHE="${ZKINFER_CACHE:-$PWD/target/ci-params}"
# From python/tests, so that the installed wheel (not the source tree) is what is imported.
cd python/tests && "$VENV/bin/python" -m pytest -q -p no:cacheprovider .
