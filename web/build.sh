#!/usr/bin/env bash
# Builds the browser verifier into target/web/: the page (web/index.html, web/verifier.js) and
# the WebAssembly module of verifier/wasm (zkinfer_verifier.wasm).
#
# rustup cannot fetch the wasm32 target here, so this uses Debian's Rust (packages rustc-web,
# cargo-web, rust-web-src, lld; .ci/run installs them): it rebuilds std for wasm32 from
# Debian's sources (-Zbuild-std, allowed on a stable compiler by RUSTC_BOOTSTRAP=1) and links
# with wasm-ld. Debian's tools go first on PATH, before rustup's proxies. A separate target
# directory (target/wasm) keeps the native build untouched. `--ignore-rust-version`: bookworm's
# rustc-web is 1.85.0 on some machines while halo2-axiom 0.5.3 declares rust-version 1.85.1
# (it builds with 1.85.0; the native build uses rustup's stable).
#
# ZKINFER_WASM_PROFILE picks the cargo profile: `wasm` (default, one codegen unit and LTO: the
# module to ship) or `wasm-test` (parallel codegen, no LTO: what the browser test builds in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${ZKINFER_WASM_PROFILE:-wasm}"
case "$PROFILE" in
  wasm|wasm-test) ;;
  *) echo "web/build.sh: ZKINFER_WASM_PROFILE must be wasm or wasm-test, not '$PROFILE'" >&2; exit 2 ;;
esac
export PATH="/usr/bin:$PATH"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/wasm-ld
/usr/bin/cargo build -p zkinfer-verifier-wasm --profile "$PROFILE" --target wasm32-unknown-unknown \
  --target-dir target/wasm --ignore-rust-version -Zbuild-std=std,panic_abort -Zbuild-std-features= "$@"
mkdir -p target/web
cp web/index.html web/page.js web/worker.js web/verifier.js web/page.css target/web/
cp "target/wasm/wasm32-unknown-unknown/$PROFILE/zkinfer_verifier_wasm.wasm" target/web/zkinfer_verifier.wasm
echo "target/web/zkinfer_verifier.wasm: $(stat -c %s target/web/zkinfer_verifier.wasm) bytes"
