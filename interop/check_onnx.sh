#!/usr/bin/env bash
# Runs wxb's exported ONNX files in onnxruntime, checks them with onnx.checker (full_check=True),
# and runs PyTorch's ONNX files in wxb; prints the comparison (recorded in docs/interop.md).
#
#   interop/check_onnx.sh                      # makes interop/.venv-onnx (onnx, onnxruntime, numpy)
#   VENV=/path/to/venv interop/check_onnx.sh   # uses an existing venv with those packages
#
# 1. `cargo run --example onnx_interop` writes wxb models as ONNX (a standardized MLP, a convnet on
#    byte images, global pooling, a Conv1D/LayerNormalization sequence model, a table with missing
#    cells, a table with text and categorical columns), each with raw inputs and wxb's own
#    predictions (`TrainedModel::predict`, what `wxb predict` computes); onnxruntime runs each
#    file on the same raw inputs (a table: its raw CSV columns, one input each).
# 2. The fixtures of crates/wxb/tests/fixtures/onnx (torch.onnx.export, and onnxruntime's outputs
#    recorded by make.py) are checked by `cargo test -p wxb --test it onnx_import::`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if [ -z "${VENV:-}" ]; then
  VENV="$ROOT/interop/.venv-onnx"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet onnx onnxruntime numpy
  fi
fi
PY="$VENV/bin/python"

cargo run -q --example onnx_interop --manifest-path "$ROOT/Cargo.toml" -p wxb -- "$WORK"

"$PY" - "$WORK" <<'PYEOF'
import glob, json, os, sys
import numpy as np, onnx, onnxruntime as ort
print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
worst = 0.0
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx"))):
    name = os.path.basename(path)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    ref = json.load(open(path[:-5] + ".json"))
    if "columns" in ref:
        # A table: one [batch, 1] input per raw column (FLOAT, NaN where missing; STRING, "" where missing).
        feed = {c["name"]: (np.array([np.nan if v is None else v for v in c["values"]], dtype=np.float32)
                            if c["type"] == "float" else np.array(c["values"], dtype=object)).reshape(-1, 1)
                for c in ref["columns"]}
    else:
        feed = {"input": np.array([np.nan if v is None else v for v in ref["input"]],
                                  dtype=np.float32).reshape(ref["input_shape"])}
    x = next(iter(feed.values()))
    want = np.array(ref["output"], dtype=np.float32).reshape(ref["output_shape"])
    batch = model.graph.input[0].type.tensor_type.shape.dim[0].dim_param
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, feed)
    diff = float(np.abs(got - want).max())
    worst = max(worst, diff)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{name}: checker(full_check=True) ok; batch axis {batch!r}; {len(model.graph.node)} nodes "
          f"({', '.join(ops)}); {len(feed)} input(s); max |onnxruntime - wxb| = {diff:.2e} on {x.shape[0]} raw rows")
print(f"worst difference: {worst:.2e} ({'within' if worst <= 1e-5 else 'OVER'} 1e-5)")
sys.exit(0 if worst <= 1e-5 else 1)
PYEOF
