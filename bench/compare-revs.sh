#!/usr/bin/env bash
# wxb against wxb: the MNIST-10k MLP benchmark (`examples/mlp_bench.rs`, the wxb side of
# compare.sh) of two commits, measured back to back in the same run, alternating which goes
# first. For checking that a change (a restructure, a new abstraction) costs no speed: the table
# gives each figure's median over runs for both commits and the median (min–max) of the per-run
# ratios NEW/OLD (for latency OLD/NEW, so above 1 is always "NEW is faster").
#
# Usage: bench/compare-revs.sh OLD [NEW]     (NEW defaults to the working tree)
#        RUNS=5 EPOCHS=5 THREADS=2 BATCHES=128,32 bench/compare-revs.sh 98bd242
# Each commit is built once into target/compare-revs/<commit> (a git worktree, removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/compare-revs.sh OLD [NEW]}
NEW=${2:-}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-5}
BATCHES=${BATCHES:-128,32}
RUNS=${RUNS:-5}
ROOT=$PWD

build() { # $1 = commit or "" for the working tree; prints the binary's path
    if [[ -z $1 ]]; then
        cargo build --quiet --release -p wxb --example mlp_bench
        echo "$ROOT/target/release/examples/mlp_bench"
        return
    fi
    local rev dir
    rev=$(git rev-parse --short "$1")
    dir="$ROOT/target/compare-revs/$rev"
    if [[ ! -x $dir/bin/mlp_bench ]]; then
        rm -rf "$dir/src"
        git worktree add --quiet --detach "$dir/src" "$rev"
        (cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" cargo build --quiet --release -p wxb --example mlp_bench)
        mkdir -p "$dir/bin"
        cp "$dir/target/release/examples/mlp_bench" "$dir/bin/"
        git worktree remove --force "$dir/src"
    fi
    echo "$dir/bin/mlp_bench"
}

OLD_BIN=$(build "$OLD")
NEW_BIN=$(build "$NEW")
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for run in $(seq 1 "$RUNS"); do
    old() { RAYON_NUM_THREADS=$THREADS "$OLD_BIN" --epochs "$EPOCHS" --batches "$BATCHES" --seed "$run" > "$OUT/old.$run.json"; }
    new() { RAYON_NUM_THREADS=$THREADS "$NEW_BIN" --epochs "$EPOCHS" --batches "$BATCHES" --seed "$run" > "$OUT/new.$run.json"; }
    if (( run % 2 )); then old; new; else new; old; fi
    echo "run $run/$RUNS done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

python3 - "$OUT" "$RUNS" "$THREADS" "$EPOCHS" "$OLD" "${NEW:-working tree}" <<'PY'
import json, statistics, sys
out, runs, threads, epochs, old_name, new_name = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
load = lambda lib: [json.load(open(f"{out}/{lib}.{r}.json")) for r in range(1, runs + 1)]
old, new = load("old"), load("new")
med = statistics.median

def row(name, get, fmt, ratio):
    o, n = [get(r) for r in old], [get(r) for r in new]
    rs = [ratio(a, b) for a, b in zip(n, o)]
    spread = f" ({min(rs):.3f}–{max(rs):.3f})" if len(rs) > 1 else ""
    print(f"| {name} | {fmt(med(o))} | {fmt(med(n))} | {med(rs):.3f}{spread} |")

print(f"\nMNIST-10k MLP 784-256-128-10, Adam, {threads} threads, {epochs} epochs, median of {runs} alternated runs\n")
print(f"| measure | OLD {old_name} | NEW {new_name} | NEW vs OLD (>1: NEW faster) |")
print("|---|---|---|---|")
rate = lambda x: f"{x:,.0f}"
for b in old[0]["train"]:
    row(f"training, batch {b} (samples/s)", lambda r: r["train"][b]["samples_per_s"], rate, lambda n, o: n / o)
for b in old[0]["train"]:
    o = med(r["train"][b]["test_accuracy"] for r in old)
    n = med(r["train"][b]["test_accuracy"] for r in new)
    print(f"| test accuracy, batch {b} | {100 * o:.2f} % | {100 * n:.2f} % | {100 * (n - o):+.2f} points |")
row("inference latency, 1 sample (µs)", lambda r: r["inference"]["latency_us_batch1"], lambda x: f"{x:.1f}", lambda n, o: o / n)
row("inference, batch 8192 (samples/s)", lambda r: r["inference"]["samples_per_s_batch8192"], rate, lambda n, o: n / o)
peaks = [r["fma_peak_gflops"] for r in new if "fma_peak_gflops" in r]
if peaks:
    print(f"\nthe machine's f32 FMA peak on {threads} threads, measured in the same runs: "
          f"{med(peaks):.0f} GFLOP/s (median; {min(peaks):.0f}–{max(peaks):.0f})")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
