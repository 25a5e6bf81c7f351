#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (default 600) with the limits of issue 6, growing the working
# corpus fuzz/corpus-TARGET (not committed) from the committed seeds fuzz/seeds/TARGET; crashes,
# out-of-memory and timeout inputs land in fuzz/artifacts/TARGET/.
# Usage: fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")"
target=$1
seconds=${2:-600}
shift $(( $# > 1 ? 2 : 1 ))
mkdir -p "corpus-$target" "artifacts/$target"
# Built with debug assertions (overflow checks) and AddressSanitizer, on nightly or RUSTC_BOOTSTRAP=1.
cargo +nightly fuzz build -a "$target"
exec "target/x86_64-unknown-linux-gnu/release/$target" -artifact_prefix="artifacts/$target/" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=5 -print_final_stats=1 \
    "corpus-$target" "seeds/$target" "$@"
