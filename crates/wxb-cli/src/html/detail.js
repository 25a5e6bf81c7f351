// wxb explain --html: the chosen neuron's calculation, the first layer as images, training curves.

function dl(box, rows) {
  const d = el("dl", { class: "calc" }, box);
  for (const [label, key, value, strong] of rows) {
    el("dt", { text: label }, d);
    el("dd", { "data-k": key, class: strong ? "key" : "", text: fmt(value) }, d);
  }
  return d;
}

// The terms xᵢ·wᵢ (sorted by size in the data), then the rest summed.
function termsTable(box, item, xName, wName) {
  const tb = el("table", { class: "terms" }, box);
  const head = el("tr", {}, el("thead", {}, tb));
  for (const h of ["input", xName, wName, `${xName}·${wName}`, ""]) el("th", { text: h }, head);
  const body = el("tbody", {}, tb);
  const pmax = Math.max(1e-12, ...item.terms.map((t) => Math.abs(t.product)));
  for (const t of item.terms) {
    const r = el("tr", { "data-input": t.input }, body);
    el("td", { class: "name", text: t.name, title: t.name }, r);
    el("td", { "data-k": "x", text: fmt(t.x) }, r);
    el("td", { "data-k": "w", text: fmt(t.w) }, r);
    el("td", { "data-k": "product", text: fmt(t.product) }, r);
    const bar = el("span", {}, el("td", { class: "barcell" }, r));
    bar.style.width = `${Math.max(1, 60 * Math.abs(t.product) / pmax)}px`;
    bar.style.background = diverging(Math.sign(t.product) * 0.9);
  }
  if (item.others) {
    const r = el("tr", { class: "rest" }, body);
    el("td", { colspan: 3, text: `${item.others.count} other terms, summed` }, r);
    el("td", { "data-k": "others_sum", text: fmt(item.others.sum) }, r);
    el("td", {}, r);
  }
}

function valueGrid(box, values, rows, cols, caption) {
  const fig = el("figure", {}, box);
  const tb = el("table", { class: "grid-values" }, fig);
  const vmax = Math.max(1e-12, ...values.map(Math.abs));
  for (let r = 0; r < rows; r++) {
    const tr = el("tr", {}, tb);
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c], t = v / vmax;
      const td = el("td", { text: short(v), title: fmt(v) }, tr);
      td.style.background = diverging(t);
      td.style.color = ink(t);
    }
  }
  el("figcaption", { text: caption }, fig);
}

function canvasImage(box, values, h, w, caption, signed, mark) {
  const fig = el("figure", {}, box);
  const scale = Math.max(1, Math.floor(168 / Math.max(h, w)));
  const cv = el("canvas", { class: "pic", width: w * scale, height: h * scale, role: "img", "aria-label": caption }, fig);
  cv.style.height = `${Math.round(168 * h / Math.max(h, w))}px`;
  const ctx = cv.getContext("2d");
  let lo = Infinity, hi = -Infinity, amax = 1e-12;
  for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); amax = Math.max(amax, Math.abs(v)); }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = values[y * w + x];
    if (signed) ctx.fillStyle = diverging(v / amax);
    else { const g = Math.round(255 * (1 - (v - lo) / Math.max(1e-12, hi - lo))); ctx.fillStyle = `rgb(${g},${g},${g})`; }
    ctx.fillRect(x * scale, y * scale, scale, scale);
  }
  if (mark) {
    ctx.strokeStyle = "#7a3cff"; ctx.lineWidth = 2;
    ctx.strokeRect(mark[1] * scale, mark[0] * scale, (mark[3] || 1) * scale, (mark[2] || 1) * scale);
  }
  el("figcaption", { text: caption }, fig);
}

function denseDetail(box, step, it) {
  el("p", { class: "sub", text: `z = x·w + b = Σ xᵢ·wᵢ + b, then a = ${step.activation}(z): ${step.inputs} inputs` }, box);
  if (it.class) el("p", { class: "sub", text: `This neuron stands for the class ${it.class}.` }, box);
  termsTable(box, it, "x", "w");
  const s = it.similarity;
  dl(box, [
    ["x·w = Σ xᵢ·wᵢ", "dot", it.dot],
    ["b (bias)", "bias", it.bias],
    ["z = x·w + b", "z", it.z, true],
    [`a = ${it.activation}(z)`, "output", it.output, true],
    ["|x|", "x_norm", s.x_norm],
    ["|w|", "w_norm", s.w_norm],
    ["cos(x, w) = x·w / (|x|·|w|)", "cosine", s.cosine],
  ]);
  el("p", { class: "note", text: "x·w grows with |x| and |w|; only cos(x, w) is a similarity in [−1, 1]." }, box);
}

function convDetail(box, step, it, layer) {
  const [kh, kw] = step.kernel_size.length === 2 ? step.kernel_size : [1, step.kernel_size[0]];
  const ch = it.kernel.length / (kh * kw);
  el("p", { class: "sub", text: `z = Σ patch ⊙ kernel + b at position [${it.position.join(", ")}], filter ${it.filter}; a = ${step.activation}(z)` }, box);
  const pics = el("div", { class: "pics" }, box);
  for (let c = 0; c < Math.min(ch, 3); c++) {
    const pick = (v) => Array.from({ length: kh * kw }, (_, i) => v[i * ch + c]);
    valueGrid(pics, pick(it.patch), kh, kw, `patch, channel ${c}`);
    valueGrid(pics, pick(it.kernel), kh, kw, `kernel, channel ${c}`);
  }
  if (ch > 3) el("p", { class: "note", text: `${ch - 3} more input channels are in the sums below.` }, box);
  termsTable(box, it, "patch", "k");
  dl(box, [
    ["Σ patch ⊙ kernel", "dot", it.dot],
    ["b (bias)", "bias", it.bias],
    ["z", "z", it.z, true],
    [`a = ${step.activation}(z)`, "output", it.output, true],
  ]);
  const map = D.samples[state.sample].maps.find((m) => m.layer === layer && m.filter === it.filter);
  if (map) {
    const mp = el("div", { class: "pics" }, box);
    const pos = it.position.length === 2 ? it.position : [0, it.position[0]];
    canvasImage(mp, f32(map.values), map.height, map.width, `feature map of filter ${it.filter} (${map.height}×${map.width}), this position framed`, true, pos);
  }
}

function poolDetail(box, step, it) {
  el("p", { class: "sub", text: `${step.operation} of the window (${step.pool_size.join("×")})` }, box);
  const tb = el("table", {}, box);
  const h = el("tr", {}, tb);
  el("th", { text: "input" }, h); el("th", { text: "x" }, h);
  it.inputs.forEach((p, i) => {
    const r = el("tr", {}, tb);
    el("td", { text: p.name + (it.argmax === i ? "  ← max" : "") }, r);
    el("td", { "data-k": "x", text: fmt(p.x) }, r);
  });
  dl(box, [[step.operation === "max" ? "max" : "mean", "output", it.output, true]]);
}

function valueDetail(box, step, it) {
  const f = {
    normalization: "y = γ·(x − μ)/√(σ² + ε) + β",
    activation: `y = ${step.activation}(x)`,
    dropout: `y = x (dropout, rate ${step.rate}, drops only in training)`,
    rescaling: `y = x·${fmt(step.scale)} + ${fmt(step.offset)}`,
  }[step.kind] || step.kind;
  el("p", { class: "sub", text: f }, box);
  const rows = [["x", "x", it.x]];
  if (step.kind === "normalization") {
    rows.push(["μ", "mean", it.mean], ["σ²", "variance", it.variance], ["(x − μ)/√(σ² + ε)", "normalized", it.normalized]);
    if (it.gamma !== null) rows.push(["γ", "gamma", it.gamma]);
    if (it.beta !== null) rows.push(["β", "beta", it.beta]);
  }
  rows.push(["y", "output", it.output, true]);
  dl(box, rows);
}

function renderDetail() {
  const box = document.getElementById("detail");
  box.replaceChildren();
  const sel = state.selected;
  if (!sel) {
    el("p", { class: "empty", text: "Click a neuron (or Tab to it and press Enter) to see its calculation." }, box);
    return;
  }
  const tr = traces(state.sample).get(sel.layer), it = tr.items.get(sel.index), meta = D.layers[sel.layer];
  box.dataset.layer = sel.layer;
  box.dataset.index = sel.index;
  el("h2", { text: it.name }, box);
  el("p", { class: "sub", text: `layer ${sel.layer} (${meta.name}, ${meta.class_name}) · row ${D.samples[state.sample].row}` }, box);
  if (tr.step.kind === "dense") denseDetail(box, tr.step, it);
  else if (tr.step.kind === "conv") convDetail(box, tr.step, it, sel.layer);
  else if (tr.step.kind === "pooling") poolDetail(box, tr.step, it);
  else valueDetail(box, tr.step, it);
}

// The first Dense layer reading the image directly: its weights and the sample's contributions.
function renderImages() {
  const box = document.getElementById("images");
  if (!D.input.image) return;
  box.hidden = false;
  box.replaceChildren();
  const [h, w] = D.input.image, x = sampleX(state.sample);
  el("h2", { text: "The sample and the first layer, as images" }, box);
  const pics = el("div", { class: "pics" }, box);
  canvasImage(pics, x, h, w, `row ${D.samples[state.sample].row}, as the model sees it`, false);
  const first = D.layers.find((l) => l.dense);
  if (!first || first.dense.inputs !== D.input.count) return;
  const sel = state.selected;
  let j = sel && sel.layer === first.index ? sel.index : null;
  if (j === null) {
    const tr = traces(state.sample).get(first.index);
    j = tr && tr.items.size ? tr.items.keys().next().value : 0;
  }
  const d = first.dense, wj = d.cols.get(j), cj = new Float32Array(d.inputs);
  if (!wj) return;
  for (let i = 0; i < d.inputs; i++) cj[i] = x[i] * wj[i];
  canvasImage(pics, wj, h, w, `${first.name}[${j}]'s weights w (orange > 0, blue < 0)`, true);
  canvasImage(pics, cj, h, w, `contributions x·w to ${first.name}[${j}] for this sample`, true);
}

function lineChart(box, title, series, xLabel, marker) {
  const div = el("div", { class: "chart" }, box);
  el("h3", { text: title }, div);
  const W = 440, H = 220, m = { l: 58, r: 12, t: 10, b: 34 };
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, div);
  const pts = series.flatMap((s) => s.points).filter((p) => p[1] !== null && isFinite(p[1]));
  if (!pts.length) return div;
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const X = (v) => m.l + (v - x0) / (x1 - x0) * (W - m.l - m.r), Y = (v) => H - m.b - (v - y0) / (y1 - y0) * (H - m.t - m.b);
  svgEl("line", { x1: m.l, y1: H - m.b, x2: W - m.r, y2: H - m.b, class: "axis" }, svg);
  svgEl("line", { x1: m.l, y1: m.t, x2: m.l, y2: H - m.b, class: "axis" }, svg);
  const tick = (v) => Number(v.toPrecision(Math.max(3, Math.ceil(Math.log10(Math.abs(v) / (y1 - y0) + 1)) + 2))).toString();
  for (const v of [y0, (y0 + y1) / 2, y1]) svgEl("text", { x: m.l - 4, y: Y(v) + 4, "text-anchor": "end", text: tick(v) }, svg);
  for (const v of [x0, x1]) svgEl("text", { x: X(v), y: H - m.b + 14, "text-anchor": "middle", text: fmt(v) }, svg);
  svgEl("text", { x: (W + m.l) / 2, y: H - 4, "text-anchor": "middle", text: xLabel }, svg);
  const legend = el("div", { class: "legend" }, div);
  series.forEach((s) => {
    const p = s.points.filter((q) => q[1] !== null && isFinite(q[1])).map((q) => `${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`);
    svgEl("polyline", { points: p.join(" "), fill: "none", stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dash ? "5 4" : "none" }, svg);
    const few = s.points.filter((q) => q[1] !== null && isFinite(q[1]));
    if (few.length <= 40) for (const q of few) svgEl("circle", { r: 3, cx: X(q[0]), cy: Y(q[1]), fill: s.color }, svg);
    const key = el("span", { text: s.name }, legend);
    key.style.borderBottom = `3px ${s.dash ? "dashed" : "solid"} ${s.color}`;
  });
  if (marker) svgEl("circle", { r: 5, cx: X(marker[0]), cy: Y(marker[1]), fill: "#7a3cff" }, svg);
  return div;
}

const PALETTE = ["#2166ac", "#e66101", "#5e3c99", "#1b7837", "#b35806", "#4393c3"];
function renderTraining() {
  const h = D.history, t = D.trace;
  if (!h && !t) return;
  const box = document.getElementById("training");
  box.hidden = false;
  el("h2", { text: "Training" }, box);
  if (h && h.rows.length) {
    const charts = el("div", { class: "charts" }, box);
    const ep = h.columns.indexOf("epoch");
    const keys = h.columns.filter((c) => c !== "epoch" && !/^(lr|learning_rate)$/.test(c));
    const base = [...new Set(keys.map((k) => k.replace(/^val_/, "")))];
    const groups = [base.filter((b) => /loss/.test(b)), base.filter((b) => !/loss/.test(b))];
    for (const g of groups) {
      if (!g.length) continue;
      const series = [];
      g.forEach((b, i) => {
        for (const k of [b, "val_" + b]) {
          const c = h.columns.indexOf(k);
          if (c < 0) continue;
          series.push({ name: k, color: PALETTE[(2 * i + (k === b ? 0 : 1)) % PALETTE.length], dash: k !== b,
            points: h.rows.map((r, n) => [(ep >= 0 ? r[ep] : n) + 1, r[c]]) });
        }
      });
      lineChart(charts, g.some((b) => /loss/.test(b)) ? "Loss per epoch" : "Metrics per epoch", series, "epoch");
    }
  }
  if (t && t.steps.length) {
    const wrap = el("div", { class: "trace" }, box);
    el("h3", { text: `The traced weight ${t.weight} (${t.rule}), ${t.count} steps` }, wrap);
    const chartBox = el("div", { class: "charts" }, wrap);
    const steps = el("div", { class: "steps" }, wrap);
    const label = el("label", { for: "trace-step", text: "Step: " }, steps);
    const range = el("input", { id: "trace-step", type: "range", min: 0, max: t.steps.length - 1, value: t.steps.length - 1 }, steps);
    const pre = el("pre", { class: "formula", "aria-live": "polite" }, steps);
    const draw = () => {
      const s = t.steps[Number(range.value)];
      chartBox.replaceChildren();
      lineChart(chartBox, "w after each step", [{ name: "w", color: PALETTE[0], points: t.path }], "step", [s.step, s.w_after]);
      label.textContent = `Step ${s.step} (epoch ${s.epoch + 1}, batch ${s.batch + 1}): `;
      const lines = [`lr = ${fmt(s.lr)}`, `w = ${fmt(s.w_before)} before the step`, `g = ∂L/∂w = ${fmt(s.g)}`];
      for (const e of s.rule.equations) lines.push(`${e.formula} = ${e.numbers} = ${fmt(e.value)}`);
      lines.push(`w = ${fmt(s.w_after)} after the step (Δw = ${fmt(s.w_after - s.w_before)})`);
      pre.textContent = lines.join("\n");
    };
    range.addEventListener("input", draw);
    draw();
  }
}

setup();
