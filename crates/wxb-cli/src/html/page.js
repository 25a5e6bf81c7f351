// wxb explain --html: the network of one sample, drawn from the embedded data (no network access).
// The calculation shown is the library's Explanation, as `wxb explain --json` prints it.
"use strict";
const D = JSON.parse(document.getElementById("wxb-data").textContent);
const SVG = "http://www.w3.org/2000/svg";
const R = 13; // node radius
const state = { sample: D.first, selected: null };

// ---- numbers and colors ----
function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number" || !isFinite(v)) return String(v);
  if (v === 0) return "0";
  let s = v.toPrecision(6);
  if (s.includes("e")) {
    const [m, e] = s.split("e");
    return (m.includes(".") ? m.replace(/\.?0+$/, "") : m) + "e" + e.replace("+", "");
  }
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}
function short(v) { return Math.abs(v) >= 100 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(1) : v.toFixed(2); }
const STOPS = [[33, 102, 172], [146, 197, 222], [247, 247, 247], [253, 184, 99], [230, 97, 1]];
// A value in [-1, 1] on the diverging blue–orange scale (color-blind safe: no red–green).
function diverging(t) {
  t = Math.max(-1, Math.min(1, t || 0));
  const p = (t + 1) * 2, i = Math.min(3, Math.floor(p)), f = p - i;
  const c = STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
function ink(t) { return Math.abs(t) > 0.6 ? "#fff" : "#1d232b"; }
function f32(b64) {
  if (!b64) return null;
  const bin = atob(b64), bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
function el(tag, attrs, parent, ns) {
  const e = ns ? document.createElementNS(SVG, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  if (parent) parent.appendChild(e);
  return e;
}
const svgEl = (tag, attrs, parent) => el(tag, attrs, parent, true);

// ---- the data, decoded once ----
for (const l of D.layers) {
  if (l.dense) {
    l.dense.cols = new Map(Object.entries(l.dense.columns).map(([j, b]) => [Number(j), f32(b)]));
    l.dense.B = f32(l.dense.bias);
  }
}
const xCache = new Map();
function sampleX(s) {
  if (!xCache.has(s)) xCache.set(s, f32(D.samples[s].x));
  return xCache.get(s);
}

// The items a step traces (neurons, conv outputs, values), keyed by output index.
function stepItems(step) {
  const list = step.neurons || step.outputs || step.features || step.values || [];
  return list.map((it) => [it.neuron !== undefined ? it.neuron : it.index, it]);
}
// Per layer: its step and a map index → traced item, the explanation and its extras merged.
function traces(s) {
  const smp = D.samples[s];
  const byLayer = new Map();
  for (const t of smp.explanation.layers) byLayer.set(t.index, { step: t.step, items: new Map(stepItems(t.step)) });
  for (const t of smp.extra) {
    const e = byLayer.get(t.index);
    for (const [k, it] of stepItems(t.step)) if (!e.items.has(k)) e.items.set(k, it);
  }
  for (const e of byLayer.values()) e.items = new Map([...e.items].sort((a, b) => a[0] - b[0]));
  return byLayer;
}

// ---- the columns: the input, then each layer ----
const FOLD = 8; // inputs shown when the next Dense layer's terms choose them
function columns(s) {
  const t = traces(s), x = sampleX(s);
  const cols = [];
  const inputNames = D.input.names;
  cols.push({ kind: "input", title: "input", sub: `${D.input.count} values`, width: D.input.count, nodes: [] });
  for (const l of D.layers) {
    const tr = t.get(l.index);
    const nodes = [];
    if (tr) for (const [k, it] of tr.items) nodes.push({ index: k, value: it.output, name: it.name, item: it, layer: l.index, step: tr.step });
    const act = tr && tr.step.activation ? ` · ${tr.step.activation}` : "";
    cols.push({ kind: tr ? tr.step.kind : "none", layer: l, step: tr && tr.step, title: l.name,
      sub: `${l.class_name} · ${l.width}${act}`, width: l.width, nodes });
  }
  // A column without traced values (the input, Flatten) shows what the Dense layer after it reads most.
  for (let c = 0; c + 1 < cols.length; c++) {
    const next = cols[c + 1];
    if (cols[c].nodes.length || next.kind !== "dense") continue;
    if (c === 0 && D.input.count <= 16 && !D.input.image) {
      for (let i = 0; i < D.input.count; i++) cols[0].nodes.push({ index: i, value: x[i], name: inputNames[i] || `x[${i}]`, input: true });
      continue;
    }
    const score = new Map(), seen = new Map();
    for (const n of next.nodes) for (const term of n.item.terms) {
      score.set(term.input, (score.get(term.input) || 0) + Math.abs(term.product));
      seen.set(term.input, term);
    }
    const top = [...score].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, FOLD).map((e) => e[0]).sort((a, b) => a - b);
    cols[c].nodes = top.map((i) => ({ index: i, value: seen.get(i).x, name: seen.get(i).name, input: true }));
  }
  return cols;
}

// ---- drawing the network ----
function weightOf(col, prevIndex, node) {
  const d = col.layer.dense, w = d && d.cols.get(node.index);
  if (w) return w[prevIndex];
  const term = node.item.terms.find((tm) => tm.input === prevIndex);
  return term ? term.w : null;
}

function drawNetwork() {
  const svg = document.getElementById("net");
  svg.replaceChildren();
  const cols = columns(state.sample);
  const colW = 150, top = 58, gap = 40;
  const maxNodes = Math.max(1, ...cols.map((c) => c.nodes.length));
  const height = top + maxNodes * gap + 40;
  const width = cols.length * colW + 90;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const pos = (c, k, n) => [45 + c * colW + colW / 2 - 20, top + (maxNodes - n) * gap / 2 + k * gap + gap / 2];
  const edges = svgEl("g", {}, svg);
  const info = document.getElementById("edge-info");
  cols.forEach((col, c) => {
    const [cx] = pos(c, 0, 1);
    svgEl("text", { x: cx, y: 18, "text-anchor": "middle", class: "col-title", text: col.title }, svg);
    svgEl("text", { x: cx, y: 34, "text-anchor": "middle", class: "col-sub", text: col.sub }, svg);
    if (!col.nodes.length) {
      svgEl("rect", { x: cx - 6, y: top, width: 12, height: maxNodes * gap, rx: 6, class: "bar" }, svg);
      if (col.kind === "input" && D.input.image) {
        svgEl("text", { x: cx, y: top + maxNodes * gap + 18, "text-anchor": "middle", class: "more", text: "image below" }, svg);
      }
      return;
    }
    // Edges from the column before.
    const prev = cols[c - 1];
    if (prev && prev.nodes.length) {
      const pairs = [];
      for (const [k, n] of col.nodes.entries()) for (const [i, p] of prev.nodes.entries()) {
        let w = null;
        if (col.kind === "dense") w = weightOf(col, p.index, n);
        else if (["activation", "dropout", "normalization", "rescaling"].includes(col.kind) && p.index === n.index) w = 0;
        else if (col.kind === "pooling" && n.item.inputs.some((q) => q.index === p.index)) w = 0;
        if (w !== null && w !== undefined) pairs.push({ k, i, w, from: p, to: n });
      }
      const wmax = Math.max(1e-12, ...pairs.map((e) => Math.abs(e.w)));
      for (const e of pairs) {
        const [x1, y1] = pos(c - 1, e.i, prev.nodes.length), [x2, y2] = pos(c, e.k, col.nodes.length);
        const t = e.w / wmax, a = Math.abs(t);
        const path = svgEl("path", {
          d: `M${x1 + R},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2 - R},${y2}`,
          class: "edge", stroke: col.kind === "dense" ? diverging(t) : "#9aa5b1",
          "stroke-width": col.kind === "dense" ? (0.6 + 4.4 * a).toFixed(2) : 1.2,
          "stroke-opacity": col.kind === "dense" ? (0.35 + 0.6 * a).toFixed(2) : 0.7,
        }, edges);
        if (col.kind === "dense") {
          const text = `w = ${fmt(e.w)}: ${e.from.name} → ${e.to.name}`;
          svgEl("title", { text }, path);
          path.addEventListener("mouseenter", () => { info.textContent = `Weight ${text}, x·w = ${fmt(e.from.value * e.w)}`; });
        }
      }
    }
    const vmax = Math.max(1e-12, ...col.nodes.map((n) => Math.abs(n.value)));
    const predicted = D.samples[state.sample].explanation.output.prediction;
    col.nodes.forEach((n, k) => {
      const [x, y] = pos(c, k, col.nodes.length);
      const t = n.value / vmax;
      const g = svgEl("g", { class: "node", transform: `translate(${x},${y})` }, svg);
      svgEl("circle", { r: R, fill: diverging(t) }, g);
      const isOut = c === cols.length - 1;
      const label = isOut && n.item && n.item.class ? `${n.item.class}` : n.name;
      svgEl("text", { x: R + 5, y: -2, class: "col-sub", text: label.length > 16 ? label.slice(0, 15) + "…" : label }, g);
      svgEl("text", { x: R + 5, y: 11, class: "num", text: short(n.value) }, g);
      if (n.item) {
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "button");
        g.dataset.layer = n.layer;
        g.dataset.index = n.index;
        g.setAttribute("aria-label", `${n.name}: ${fmt(n.value)}. Open its calculation`);
        if (isOut && predicted.kind === "class" && n.index === predicted.index && D.layers[n.layer].width > 1) g.classList.add("predicted");
        const open = () => select(n.layer, n.index);
        g.addEventListener("click", open);
        g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); } });
        if (state.selected && state.selected.layer === n.layer && state.selected.index === n.index) g.classList.add("selected");
      } else {
        svgEl("title", { text: `${n.name} = ${fmt(n.value)}` }, g);
      }
    });
    const hidden = col.width - col.nodes.length;
    if (hidden > 0) {
      const [x, y] = pos(c, col.nodes.length - 1, col.nodes.length);
      svgEl("text", { x, y: y + 30, "text-anchor": "middle", class: "more", text: `⋮ ${hidden} more` }, svg);
    }
  });
}

function drawVerdict() {
  const smp = D.samples[state.sample], p = smp.explanation.output.prediction, v = document.getElementById("verdict");
  v.replaceChildren();
  if (p.kind === "class") {
    el("span", { text: "Prediction " }, v);
    el("b", { text: p.name }, v);
    el("span", { text: ` (${(100 * p.probability).toFixed(1)} %)` }, v);
  } else {
    el("span", { text: "Prediction " }, v);
    el("b", { text: p.values.map(fmt).join(", ") }, v);
  }
  if (smp.label !== null) {
    el("span", { text: p.kind === "class" ? " · true label " : " · true value " }, v);
    el("b", { text: smp.label }, v);
    if (p.kind === "class") el("span", { class: "pill " + (p.name === smp.label ? "ok" : "bad"), text: p.name === smp.label ? "right" : "wrong" }, v).style.marginLeft = "8px";
  }
}

// ---- choosing ----
function select(layer, index) {
  state.selected = { layer, index };
  for (const g of document.querySelectorAll("#net .node.selected")) g.classList.remove("selected");
  const g = document.querySelector(`#net .node[data-layer="${layer}"][data-index="${index}"]`);
  if (g) g.classList.add("selected");
  renderDetail();
  renderImages();
}

function defaultSelection() {
  const cols = columns(state.sample);
  if (state.selected) {
    const keep = cols.some((c) => c.nodes.some((n) => n.item && n.layer === state.selected.layer && n.index === state.selected.index));
    if (keep) return;
  }
  const first = cols.find((c) => c.nodes.some((n) => n.item) && (c.kind === "dense" || c.kind === "conv"));
  const n = first && first.nodes.find((m) => m.item);
  state.selected = n ? { layer: n.layer, index: n.index } : null;
}

function show(s) {
  state.sample = Math.max(0, Math.min(D.samples.length - 1, s));
  document.getElementById("sample").value = String(state.sample);
  defaultSelection();
  drawVerdict();
  drawNetwork();
  renderDetail();
  renderImages();
}

function setup() {
  document.getElementById("source").textContent = `model ${D.model} · data ${D.data} · ${D.samples.length} samples`;
  const sel = document.getElementById("sample");
  D.samples.forEach((smp, i) => {
    const p = smp.explanation.output.prediction;
    const what = p.kind === "class" ? `predicted ${p.name}` : `predicted ${p.values.map(short).join(", ")}`;
    const truth = smp.label !== null ? ` · true ${smp.label}` : "";
    el("option", { value: String(i), text: `row ${smp.row}: ${what}${truth}` }, sel);
  });
  sel.addEventListener("change", () => show(Number(sel.value)));
  document.getElementById("prev").addEventListener("click", () => show(state.sample - 1));
  document.getElementById("next").addEventListener("click", () => show(state.sample + 1));
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "SELECT" || ev.target.tagName === "INPUT") return;
    if (ev.key === "[" ) show(state.sample - 1);
    if (ev.key === "]") show(state.sample + 1);
  });
  renderTraining();
  show(state.sample);
}
