#!/usr/bin/env bash
# zkinfer and EZKL side by side (see benches/ezkl_compare.py). Installs EZKL 23.0.5 from PyPI
# into a virtualenv (default target/ezkl-venv), builds the zkinfer release binary, then runs
# both pipelines on every models/zoo/*.onnx and on a generated 64-512-512-10 MLP.
# Not part of CI: it takes about half an hour on 2 cores. Extra arguments go to the script,
# e.g. `benches/ezkl_compare.sh --runs 5 --mlp 64-256-256-10,64-512-512-10`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${EZKL_VENV:-target/ezkl-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import ezkl, numpy, onnx' 2>/dev/null || "$VENV/bin/pip" install -q "ezkl==23.0.5" numpy onnx
cargo build --release --bin zkinfer
# zkinfer's IPA parameters are generated once per k and cached (not timed: a one-off, like
# EZKL's SRS, which the script generates with ezkl.gen_srs and reports apart).
exec "$VENV/bin/python" benches/ezkl_compare.py --zkinfer target/release/zkinfer "$@"
