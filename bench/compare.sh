#!/usr/bin/env bash
# wxb against PyTorch on the MNIST-10k MLP (784-256-128-10, relu, relu, softmax, Adam), same epochs,
# batch sizes and threads, measured back to back: training samples/s (median epoch) and test
# accuracy per batch size, inference latency (batch 1) and throughput (batch 8192), and the ratios
# wxb/PyTorch. Installs PyTorch into bench/.venv (git-ignored) when it is missing.
#
# Usage: bench/compare.sh            (THREADS=2 EPOCHS=10 BATCHES=128,32 RUNS=3 by default)
#        RUNS=5 EPOCHS=5 bench/compare.sh
# Each run trains both libraries once per batch size (alternating which goes first); the table
# shows the median over runs. The load average is printed: other work on the machine lowers every
# figure, PyTorch's usually more (its threads spin-wait).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-10}
BATCHES=${BATCHES:-128,32}
RUNS=${RUNS:-3}
VENV=bench/.venv

if ! "$VENV/bin/python" -c "import torch, numpy" 2>/dev/null; then
    echo "installing PyTorch into $VENV ..." >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch numpy
fi
cargo build --quiet --release -p wxb --example mlp_bench

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for run in $(seq 1 "$RUNS"); do
    # Seed = run number: accuracy varies with the seed by a few tenths of a point in both libraries.
    wxb() { RAYON_NUM_THREADS=$THREADS target/release/examples/mlp_bench --epochs "$EPOCHS" --batches "$BATCHES" --seed "$run" > "$OUT/wxb.$run.json"; }
    torch() { "$VENV/bin/python" bench/peers.py --threads "$THREADS" --epochs "$EPOCHS" --batches "$BATCHES" --seed "$run" > "$OUT/torch.$run.json"; }
    if (( run % 2 )); then wxb; torch; else torch; wxb; fi
    echo "run $run/$RUNS done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

"$VENV/bin/python" - "$OUT" "$RUNS" "$THREADS" "$EPOCHS" <<'PY'
import json, statistics, sys
out, runs, threads, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
load = lambda lib: [json.load(open(f"{out}/{lib}.{r}.json")) for r in range(1, runs + 1)]
wxb, torch = load("wxb"), load("torch")
med = lambda rs, f: statistics.median(f(r) for r in rs)
print(f"\nMNIST-10k MLP 784-256-128-10, Adam, {threads} threads, {epochs} epochs, median of {runs} runs "
      f"(wxb {wxb[0]['version']}, PyTorch {torch[0]['version']})\n")
print("| measure | wxb | PyTorch | wxb/PyTorch |")
print("|---|---|---|---|")
for b in wxb[0]["train"]:
    w = med(wxb, lambda r: r["train"][b]["samples_per_s"])
    t = med(torch, lambda r: r["train"][b]["samples_per_s"])
    print(f"| training, batch {b} (samples/s, median epoch) | {w:,.0f} | {t:,.0f} | {w / t:.2f}× |")
    wa = med(wxb, lambda r: r["train"][b]["test_accuracy"])
    ta = med(torch, lambda r: r["train"][b]["test_accuracy"])
    print(f"| test accuracy after {epochs} epochs, batch {b} | {100 * wa:.2f} % | {100 * ta:.2f} % | {100 * (wa - ta):+.2f} points |")
w = med(wxb, lambda r: r["inference"]["latency_us_batch1"])
t = med(torch, lambda r: r["inference"]["latency_us_batch1"])
print(f"| inference latency, 1 sample (µs) | {w:.1f} | {t:.1f} | {w / t:.2f}× the time (1/{t / w:.1f}) |")
w = med(wxb, lambda r: r["inference"]["samples_per_s_batch8192"])
t = med(torch, lambda r: r["inference"]["samples_per_s_batch8192"])
print(f"| inference, batch 8192 (samples/s) | {w:,.0f} | {t:,.0f} | {w / t:.2f}× |")
print(f"| MNIST-10k load (ms, wxb) | {med(wxb, lambda r: r['mnist_load_ms']):.1f} | | |")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
