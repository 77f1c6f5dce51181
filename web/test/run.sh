#!/usr/bin/env bash
# The browser verifier end to end (run by .ci/run after the cargo tests, which build
# target/release/zkinfer): build the page and its WebAssembly module (web/build.sh), prove the
# zoo MLP with IPA and with KZG, export each bundle (zkinfer export-web), time native
# `zkinfer verify` (median of 5), then run web/test/browser.mjs in headless Chromium.
# Artifacts (screenshots, report.json with the .wasm size and the browser and native times):
# target/web-test/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The test builds the module with parallel codegen and no LTO (profile wasm-test): the same code,
# minutes faster on CI's 2 cores than the shipped one-codegen-unit LTO build.
ZKINFER_WASM_PROFILE="${ZKINFER_WASM_PROFILE:-wasm-test}" ./web/build.sh
B=target/release/zkinfer
W=target/web-test
rm -rf "$W"
for backend in ipa kzg; do
  allow=""
  if [ "$backend" = kzg ]; then allow="--allow-insecure-srs"; fi
  "$B" prove --model models/zoo/mlp.onnx --input models/zoo/input.json --out "$W/$backend" --backend "$backend" --width 4 >/dev/null
  "$B" export-web --proof "$W/$backend/proof.json" --json > "$W/$backend/export.json"
  cat "$W/$backend/export.json"
  for i in 1 2 3 4 5; do
    "$B" verify --proof "$W/$backend/proof.json" $allow --json | sed -n 's/.*"verify_s": \([0-9.e-]*\).*/\1/p'
  done > "$W/$backend/native_verify_s.txt"
done
node web/test/browser.mjs "$W/artifacts" "$W/ipa" "$W/kzg"
