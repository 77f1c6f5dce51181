#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (default 600) on its corpus (fuzz/corpus/TARGET, grown
# here, not committed) and seeds (fuzz/seeds/TARGET), with the build flags README's
# "Fuzzing" uses; libFuzzer's final statistics (executions, time) end the log.
#   fuzz/run.sh TARGET [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
t=$1
secs=${2:-600}
mkdir -p "corpus/$t" logs
cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -a --codegen-units 16 -- \
  -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tee "logs/$t.log" | tail -25
