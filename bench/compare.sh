#!/usr/bin/env bash
# wxb against PyTorch on the MNIST-10k MLP (784-256-128-10, relu, relu, softmax, Adam), same epochs,
# batch sizes and threads, measured back to back: training samples/s (median epoch) and test
# accuracy per batch size, inference latency (batch 1) and throughput (batch 8192), and the ratios
# wxb/PyTorch. Installs PyTorch into bench/.venv (git-ignored) when it is missing.
#
# Usage: bench/compare.sh            (THREADS=2 EPOCHS=10 BATCHES=128,32 RUNS=3 MODEL=mlp by default)
#        RUNS=5 EPOCHS=5 bench/compare.sh
#        MODEL=convnet EPOCHS=3 bench/compare.sh   (Keras' simple MNIST convnet, examples/mnist_convnet.json)
# Each run trains both libraries once per batch size (alternating which goes first); the table
# shows the median over runs. The load average is printed: other work on the machine lowers every
# figure, PyTorch's usually more (its threads spin-wait).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-10}
BATCHES=${BATCHES:-128,32}
RUNS=${RUNS:-3}
MODEL=${MODEL:-mlp}
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
    wxb() { RAYON_NUM_THREADS=$THREADS "${CARGO_TARGET_DIR:-target}/release/examples/mlp_bench" --model "$MODEL" --epochs "$EPOCHS" --batches "$BATCHES" --seed "$run" > "$OUT/wxb.$run.json"; }
    torch() { "$VENV/bin/python" bench/peers.py --model "$MODEL" --threads "$THREADS" --epochs "$EPOCHS" --batches "$BATCHES" --seed "$run" > "$OUT/torch.$run.json"; }
    if (( run % 2 )); then wxb; torch; else torch; wxb; fi
    echo "run $run/$RUNS done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

"$VENV/bin/python" - "$OUT" "$RUNS" "$THREADS" "$EPOCHS" "$MODEL" <<'PY'
import json, statistics, sys
out, runs, threads, epochs, model = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
load = lambda lib: [json.load(open(f"{out}/{lib}.{r}.json")) for r in range(1, runs + 1)]
wxb, torch = load("wxb"), load("torch")
med = statistics.median

def row(name, get, fmt, ratio):
    """One line: medians over runs, and the median (min–max) of the per-run ratios."""
    w, t = [get(r) for r in wxb], [get(r) for r in torch]
    rs = [ratio(a, b) for a, b in zip(w, t)]
    spread = f" ({min(rs):.2f}–{max(rs):.2f})" if len(rs) > 1 else ""
    print(f"| {name} | {fmt(med(w))} | {fmt(med(t))} | {med(rs):.2f}×{spread} |")

what = "MLP 784-256-128-10" if model == "mlp" else "convnet (examples/mnist_convnet.json)"
print(f"\nMNIST-10k {what}, Adam, {threads} threads, {epochs} epochs, median of {runs} runs "
      f"(wxb {wxb[0]['version']}, PyTorch {torch[0]['version']}); ratios: median (min–max) of the runs' ratios\n")
print("| measure | wxb | PyTorch | wxb/PyTorch |")
print("|---|---|---|---|")
rate = lambda x: f"{x:,.0f}"
for b in wxb[0]["train"]:
    row(f"training, batch {b} (samples/s, median epoch)", lambda r: r["train"][b]["samples_per_s"], rate, lambda a, c: a / c)
for b in wxb[0]["train"]:
    w = med(r["train"][b]["test_accuracy"] for r in wxb)
    t = med(r["train"][b]["test_accuracy"] for r in torch)
    print(f"| test accuracy after {epochs} epochs, batch {b} (median over seeds) | {100 * w:.2f} % | {100 * t:.2f} % | {100 * (w - t):+.2f} points |")
row("inference latency, 1 sample (µs; ratio PyTorch/wxb)", lambda r: r["inference"]["latency_us_batch1"], lambda x: f"{x:.1f}", lambda a, c: c / a)
row("inference, batch 8192 (samples/s)", lambda r: r["inference"]["samples_per_s_batch8192"], rate, lambda a, c: a / c)
print(f"| MNIST-10k load (ms, wxb) | {med(r['mnist_load_ms'] for r in wxb):.1f} | | |")
peaks = [r["fma_peak_gflops"] for r in wxb if "fma_peak_gflops" in r]
if peaks:
    print(f"| machine's f32 FMA peak, {threads} threads (GFLOP/s, wxb::tensor::fma_peak_gflops, best of the runs) | {max(peaks):.0f} | | |")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
