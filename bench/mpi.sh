#!/usr/bin/env bash
# Data-parallel training over MPI (docs/distributed.md), measured on this machine: the bundled MNIST
# MLP (784-256-128-10, Adam) at a large global batch, one process of one thread against two
# processes of one thread each (`mpirun -np 2`), back to back in the same run.
#
# Each configuration trains 1 epoch and EPOCHS+1 epochs; the difference over EPOCHS epochs is the
# time of an epoch without the fixed costs (start, reading MNIST, the test evaluation, saving).
# Prints samples/s per configuration, the speed-up, and the load average (other work on the
# machine lowers both figures).
#
# Usage: bench/mpi.sh                 (BATCH=1024 EPOCHS=20 RUNS=3 by default: an epoch of the
#                                      8,000 digits is a tenth of a second, so many are timed)
# Needs OpenMPI (`apt-get install libopenmpi-dev openmpi-bin libclang-dev`).
set -euo pipefail
cd "$(dirname "$0")/.."
BATCH=${BATCH:-1024}
EPOCHS=${EPOCHS:-20}
RUNS=${RUNS:-3}
cargo build --quiet --release -p wxb-cli --features mpi
WXB="${CARGO_TARGET_DIR:-target}/release/wxb"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --bind-to none)
export OMPI_MCA_btl_vader_single_copy_mechanism=none
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# seconds NP EPOCHS: wall time of one training run on NP processes of one thread.
seconds() {
    local np=$1 epochs=$2 start end
    rm -rf "$OUT/m"
    start=$(date +%s.%N)
    if [[ $np == 1 ]]; then
        "$WXB" --threads 1 train --epochs "$epochs" --batch-size "$BATCH" --seed 1 --verbose 0 --out "$OUT/m" \
            > /dev/null 2>&1
    else
        "${MPIRUN[@]}" -np "$np" "$WXB" --threads 1 train --epochs "$epochs" --batch-size "$BATCH" --seed 1 \
            --verbose 0 --out "$OUT/m" > /dev/null 2>&1
    fi
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

# The bundled MNIST's training digits, all trained on (no validation split).
SAMPLES=8000
declare -A EPOCH
for run in $(seq 1 "$RUNS"); do
    order=(1 2)
    (( run % 2 )) || order=(2 1)
    for np in "${order[@]}"; do
        short=$(seconds "$np" 1)
        long=$(seconds "$np" $((EPOCHS + 1)))
        per=$(echo "($long - $short) / $EPOCHS" | bc -l)
        EPOCH[$np]="${EPOCH[$np]:-} $per"
        printf 'run %d, %d process(es) x 1 thread: %.2f s per epoch (%s samples), load %s\n' \
            "$run" "$np" "$per" "$SAMPLES" "$(cut -d' ' -f1-3 /proc/loadavg)"
    done
done
best() { tr ' ' '\n' <<< "$1" | grep . | sort -g | head -1; }
one=$(best "${EPOCH[1]}")
two=$(best "${EPOCH[2]}")
printf '\nbatch %d, best of %d runs: 1 process %.0f samples/s, 2 processes %.0f samples/s, speed-up %.2fx\n' \
    "$BATCH" "$RUNS" "$(echo "$SAMPLES / $one" | bc -l)" "$(echo "$SAMPLES / $two" | bc -l)" "$(echo "$one / $two" | bc -l)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
