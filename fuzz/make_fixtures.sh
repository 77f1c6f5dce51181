#!/usr/bin/env bash
# Regenerates fuzz/fixtures/: a real IPA proof and verifying key of the Gemm 6->3 test model
# (tests/fixtures/ops/gemm.onnx) at 6 activation bits, width 4 (small k), once with fixed
# weights and public tensors, once with hashed weights, hashed input and private output.
# Needs the release CLI (cargo build --release). The verify target checks that they verify.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/zkinfer
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
model=tests/fixtures/ops/gemm.onnx
input=fuzz/fixtures/input.json
for kind in fixed hashed; do
  extra=()
  if [ "$kind" = hashed ]; then
    extra=(--weights hashed --input-visibility hashed --output-visibility private)
  fi
  "$bin" prove --model "$model" --input "$input" --calibration "$input" --bits 6 --width 4 \
    "${extra[@]}" --out "$scratch/$kind" >/dev/null
  mkdir -p "fuzz/fixtures/$kind"
  cp "$scratch/$kind/vk.bin" "$scratch/$kind/proof.json" "fuzz/fixtures/$kind/"
done
ls -l fuzz/fixtures/*/
