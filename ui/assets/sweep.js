// The sweep page, for a batch or any selection: parallel coordinates with brushing (numeric, log and categorical
// axes), the chosen result against each parameter, mean ± std over a parameter such as the seed, and the best N.

import { h, api, fmt, num, relTime, statusBadge } from "./app.js";

export async function sweepPage(main, q) {
  const page = h("section", { class: "sweep-page" });
  main.append(page);
  const ids = q.get("ids"), batch = q.get("batch");
  if (!ids && !batch) {
    const bs = await api("/api/batches");
    page.append(h("h1", {}, "Sweeps"), bs.length ? h("table", { class: "grid", id: "batches" },
      h("tr", {}, h("th", {}, "batch"), h("th", {}, "created"), h("th", {}, "runs"), h("th", {}, "status"), h("th", {}, "command")),
      bs.map((b) => h("tr", {}, h("td", {}, h("a", { href: "/sweep?batch=" + b.id, class: "mono" }, b.id.slice(0, 7))),
        h("td", {}, relTime(b.created)), h("td", { class: "num" }, b.runs.length),
        h("td", {}, Object.entries(b.counts).map(([s, n]) => n + " " + s).join(", ")),
        h("td", { class: "mono small" }, ["git exp", ...(b.command || []).slice(1)].join(" ")))))
      : h("p", { class: "muted" }, "no batches yet: a sweep (--param 'lr=list(...)') or --stage makes one; or select runs on the runs page"));
    return;
  }
  const u = new URLSearchParams({ limit: "5000" });
  if (ids) u.set("ids", ids); else { u.set("batch", batch); u.set("archived", "1"); }
  const res = await api("/api/experiments?" + u);
  const runs = res.items;
  const params = res.columns.params.length ? res.columns.params : res.columns.all_params;
  const rkeys = res.columns.results;
  page.append(h("h1", {}, "Sweep ", h("span", { class: "muted" }, (batch ? "batch " + batch.slice(0, 7) + ", " : "") + runs.length + " runs")));
  if (!runs.length) { page.append(h("p", { class: "muted" }, "no runs")); return; }
  if (!rkeys.length) page.append(h("p", { class: "muted" }, "no results yet"));

  const st = { result: rkeys.includes(q.get("result")) ? q.get("result") : rkeys[0], desc: q.get("order") !== "asc", n: 10 };
  const resultSel = h("select", { id: "result" }, rkeys.map((k) => h("option", { value: k, selected: k === st.result ? true : null }, k)));
  const order = h("select", { id: "order" }, h("option", { value: "desc" }, "higher is better"), h("option", { value: "asc", selected: !st.desc ? true : null }, "lower is better"));
  page.append(h("div", { class: "toolbar" }, h("label", {}, "result ", resultSel), order,
    h("span", { class: "muted small" }, "drag along an axis to brush; click an axis to clear its brush")));

  // Axes: every varying parameter, then the chosen result.
  const canvas = h("canvas", { id: "parcoords", class: "parcoords" });
  const brushed = h("span", { class: "muted small", id: "brushed" });
  page.append(h("h2", {}, "Parallel coordinates ", brushed), canvas);
  const scatters = h("div", { class: "scatters", id: "scatters" });
  const groupSel = h("select", { id: "group-over" }, params.map((k) => h("option", { value: k, selected: /seed/i.test(k) ? true : null }, k)));
  const groupBox = h("div", { id: "groups" });
  const bestBox = h("div", { id: "best" });
  page.append(h("h2", {}, "Result against each parameter"), scatters,
    h("h2", {}, "Mean ± std over ", groupSel), groupBox, h("h2", {}, "Best ", st.n), bestBox);

  const value = (r, key) => (key.startsWith("results.") ? r.results[key.slice(8)] : r.params[key]);
  let axes = [];
  const brushes = new Map(); // axis index -> [lo, hi] in pixels (y)
  function buildAxes() {
    axes = params.map((k) => axisOf(k, runs.map((r) => r.params[k])));
    if (st.result) axes.push(axisOf("results." + st.result, runs.map((r) => r.results[st.result])));
  }

  const M = { top: 30, bottom: 28, left: 40, right: 40 };
  function drawParcoords() {
    const W = Math.max(600, page.clientWidth - 10), H = 340;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = W * dpr; canvas.height = H * dpr;
    canvas.style.width = W + "px"; canvas.style.height = H + "px";
    const g = canvas.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const n = axes.length;
    const xOf = (i) => M.left + (n === 1 ? 0 : (i * (W - M.left - M.right)) / (n - 1));
    const yOf = (ax, v) => { const t = ax.pos(v); return t === null ? null : M.top + (1 - t) * (H - M.top - M.bottom); };
    const res = axes[axes.length - 1];
    const kept = runs.filter((r) => axes.every((ax, i) => {
      const b = brushes.get(i);
      if (!b) return true;
      const y = yOf(ax, value(r, ax.key));
      return y !== null && y >= b[0] && y <= b[1];
    }));
    brushed.textContent = brushes.size ? kept.length + " of " + runs.length + " runs brushed" : "";
    const keptSet = new Set(kept);
    const drawLine = (r, color, w) => {
      g.strokeStyle = color; g.lineWidth = w; g.beginPath();
      let started = false;
      axes.forEach((ax, i) => {
        const y = yOf(ax, value(r, ax.key));
        if (y === null) { started = false; return; }
        if (!started) { g.moveTo(xOf(i), y); started = true; } else g.lineTo(xOf(i), y);
      });
      g.stroke();
    };
    for (const r of runs) if (!keptSet.has(r)) drawLine(r, "rgba(160,160,160,0.25)", 1);
    for (const r of kept) {
      const t = st.result ? res.pos(r.results[st.result]) : 0.5;
      drawLine(r, t === null ? "rgba(120,120,120,0.6)" : viridis(st.desc ? t : 1 - t), 1.5);
    }
    g.font = "12px system-ui, sans-serif";
    axes.forEach((ax, i) => {
      const x = xOf(i);
      g.strokeStyle = "#444"; g.lineWidth = 1; g.beginPath(); g.moveTo(x, M.top); g.lineTo(x, H - M.bottom); g.stroke();
      g.fillStyle = "#111"; g.textAlign = "center";
      g.fillText(ax.key.replace(/^results\./, "▸ ") + (ax.kind === "log" ? " (log)" : ""), x, 14);
      g.fillStyle = "#555"; g.font = "11px system-ui, sans-serif";
      const last = i === axes.length - 1 && i > 0;
      g.textAlign = last ? "right" : "left";
      for (const [v, lab] of ax.ticks()) {
        const y = yOf(ax, v);
        if (y === null) continue;
        g.strokeStyle = "#444"; g.beginPath(); g.moveTo(x - 3, y); g.lineTo(x + 3, y); g.stroke();
        g.fillText(lab, last ? x - 6 : x + 6, y + 4);
      }
      g.font = "12px system-ui, sans-serif";
      const b = brushes.get(i);
      if (b) { g.fillStyle = "rgba(0,114,178,0.18)"; g.fillRect(x - 8, b[0], 16, b[1] - b[0]); g.strokeStyle = "#0072B2"; g.strokeRect(x - 8, b[0], 16, b[1] - b[0]); }
    });
    canvas._axisX = xOf;
    return kept;
  }

  // Brushing: press on an axis, drag vertically; a click without a drag clears that axis.
  let drag = null;
  canvas.addEventListener("mousedown", (e) => {
    const r = canvas.getBoundingClientRect();
    const x = e.clientX - r.left, y = e.clientY - r.top;
    const i = axes.findIndex((_, i) => Math.abs(canvas._axisX(i) - x) < 14);
    if (i < 0) return;
    drag = { i, y0: y, moved: false };
  });
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  function onMove(e) {
    if (!drag) return;
    const r = canvas.getBoundingClientRect();
    const y = Math.max(M.top, Math.min(e.clientY - r.top, canvas.clientHeight - M.bottom));
    if (Math.abs(y - drag.y0) > 3) drag.moved = true;
    if (drag.moved) { brushes.set(drag.i, [Math.min(drag.y0, y), Math.max(drag.y0, y)]); redraw(); }
  }
  function onUp() {
    if (!drag) return;
    if (!drag.moved) { brushes.delete(drag.i); redraw(); }
    drag = null;
  }

  function drawScatters(kept) {
    scatters.replaceChildren();
    if (!st.result) return;
    const keptSet = new Set(kept);
    for (const k of params) {
      const c = h("canvas", { class: "scatter", "data-param": k });
      scatters.append(h("div", { class: "scatter-box" }, c));
      scatter(c, axisOf(k, runs.map((r) => r.params[k])), axisOf(st.result, runs.map((r) => r.results[st.result])),
        runs.map((r) => [r.params[k], r.results[st.result], keptSet.has(r)]), k, st.result);
    }
  }

  function drawGroups() {
    const over = groupSel.value;
    if (!st.result || !over) { groupBox.replaceChildren(); return; }
    const others = params.filter((k) => k !== over);
    const groups = new Map();
    for (const r of runs) {
      const key = others.map((k) => k + "=" + fmt(r.params[k])).join(" ") || "(all)";
      const v = num(r.results[st.result]);
      if (!groups.has(key)) groups.set(key, { key, vals: [], over: new Set() });
      const gr = groups.get(key);
      gr.over.add(fmt(r.params[over]));
      if (typeof v === "number" && isFinite(v)) gr.vals.push(v);
    }
    const rows = [...groups.values()].map((gr) => {
      const n = gr.vals.length;
      const mean = n ? gr.vals.reduce((a, b) => a + b, 0) / n : NaN;
      const std = n > 1 ? Math.sqrt(gr.vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
      return { key: gr.key, n, mean, std, over: [...gr.over].join(", ") };
    }).sort((a, b) => (st.desc ? b.mean - a.mean : a.mean - b.mean));
    groupBox.replaceChildren(h("table", { class: "grid", id: "group-table" },
      h("tr", {}, h("th", {}, others.join(", ") || "group"), h("th", {}, "n"), h("th", {}, over), h("th", {}, "mean " + st.result), h("th", {}, "± std")),
      rows.map((r) => h("tr", {}, h("td", {}, r.key), h("td", { class: "num" }, r.n), h("td", { class: "small" }, r.over),
        h("td", { class: "num" }, isNaN(r.mean) ? "" : fmt(r.mean)), h("td", { class: "num" }, r.n > 1 ? fmt(r.std) : "")))));
  }

  function drawBest(kept) {
    if (!st.result) { bestBox.replaceChildren(); return; }
    const best = kept.filter((r) => typeof num(r.results[st.result]) === "number" && isFinite(num(r.results[st.result])))
      .sort((a, b) => (st.desc ? num(b.results[st.result]) - num(a.results[st.result]) : num(a.results[st.result]) - num(b.results[st.result])))
      .slice(0, st.n);
    bestBox.replaceChildren(h("table", { class: "grid", id: "best-table" },
      h("tr", {}, h("th", {}, "#"), h("th", {}, "run"), h("th", {}, "status"), params.map((k) => h("th", { class: "param" }, k)), h("th", { class: "result" }, st.result)),
      best.map((r, i) => h("tr", {}, h("td", { class: "num" }, i + 1), h("td", {}, h("a", { href: "/run/" + r.id }, r.name || r.short_id)),
        h("td", {}, statusBadge(r.status)), params.map((k) => h("td", { class: "num" }, fmt(r.params[k]))), h("td", { class: "num" }, fmt(r.results[st.result]))))),
      best.length > 1 ? h("p", {}, h("a", { href: "/compare?ids=" + best.slice(0, 8).map((r) => r.id).join(",") }, "compare the best " + Math.min(8, best.length))) : null);
  }

  function redraw() {
    const kept = drawParcoords();
    drawScatters(kept);
    drawBest(kept);
  }
  resultSel.addEventListener("change", () => { st.result = resultSel.value; brushes.clear(); buildAxes(); redraw(); drawGroups(); });
  order.addEventListener("change", () => { st.desc = order.value === "desc"; redraw(); drawGroups(); });
  groupSel.addEventListener("change", drawGroups);
  buildAxes();
  redraw();
  drawGroups();
  return () => { window.removeEventListener("mousemove", onMove); window.removeEventListener("mouseup", onUp); };
}

// axisOf makes an axis for values: numeric (log when positive over more than two decades) or categorical.
// pos(v) maps a value into [0, 1] (null when it has no place), ticks() gives labelled positions.
export function axisOf(key, values) {
  const nums = values.map(num).filter((v) => typeof v === "number" && isFinite(v));
  const numeric = nums.length > 0 && values.every((v) => v === undefined || v === null || (typeof v === "number") || v === "NaN" || v === "Infinity" || v === "-Infinity");
  if (numeric) {
    let lo = Math.min(...nums), hi = Math.max(...nums);
    const log = lo > 0 && hi / lo > 100;
    const f = log ? Math.log10 : (x) => x;
    const a = f(lo), b = f(hi);
    const span = b - a || 1;
    const pos = (v) => { const x = num(v); return typeof x === "number" && isFinite(x) ? (b === a ? 0.5 : (f(x) - a) / span) : null; };
    const distinct = [...new Set(nums)].sort((x, y) => x - y);
    const ticks = () => {
      // A grid's values, as they were swept, when few and far enough apart to be read; else five even ticks.
      const apart = distinct.every((v, i) => i === 0 || Math.abs(f(v) - f(distinct[i - 1])) >= span / 12);
      if (distinct.length <= 8 && apart) return distinct.map((v) => [v, fmt(v)]);
      if (lo === hi) return [[lo, fmt(lo)]];
      const out = [];
      for (let i = 0; i <= 4; i++) {
        const t = a + (span * i) / 4;
        const v = log ? Math.pow(10, t) : t;
        out.push([v, fmt(Number(v.toPrecision(3)))]);
      }
      return out;
    };
    return { key, kind: log ? "log" : "linear", pos, ticks };
  }
  const cats = [...new Set(values.map((v) => fmt(v)))].sort();
  const pos = (v) => { const i = cats.indexOf(fmt(v)); return i < 0 ? null : cats.length === 1 ? 0.5 : i / (cats.length - 1); };
  return { key, kind: "categorical", pos, ticks: () => cats.slice(0, 30).map((c) => [c, c]), cats };
}

// scatter draws points (x: a parameter, y: the result) on a canvas; brushed-out runs are grey.
function scatter(c, ax, ay, pts, xlabel, ylabel) {
  const W = 300, H = 220, m = { l: 50, r: 10, t: 10, b: 36 };
  const dpr = window.devicePixelRatio || 1;
  c.width = W * dpr; c.height = H * dpr; c.style.width = W + "px"; c.style.height = H + "px";
  const g = c.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.strokeStyle = "#999"; g.strokeRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
  g.font = "11px system-ui, sans-serif"; g.fillStyle = "#333";
  g.textAlign = "center"; g.fillText(xlabel + (ax.kind === "log" ? " (log)" : ""), m.l + (W - m.l - m.r) / 2, H - 4);
  for (const [v, lab] of ax.ticks()) { const p = ax.pos(v); if (p !== null) g.fillText(lab, m.l + p * (W - m.l - m.r), H - m.b + 13); }
  g.textAlign = "right";
  for (const [v, lab] of ay.ticks()) { const p = ay.pos(v); if (p !== null) g.fillText(lab, m.l - 4, m.t + (1 - p) * (H - m.t - m.b) + 4); }
  g.save(); g.translate(10, m.t + (H - m.t - m.b) / 2); g.rotate(-Math.PI / 2); g.textAlign = "center"; g.fillText(ylabel, 0, 0); g.restore();
  for (const [x, y, kept] of pts) {
    const px = ax.pos(x), py = ay.pos(y);
    if (px === null || py === null) continue;
    g.fillStyle = kept ? "rgba(0,114,178,0.75)" : "rgba(160,160,160,0.4)";
    g.beginPath(); g.arc(m.l + px * (W - m.l - m.r), m.t + (1 - py) * (H - m.t - m.b), 3, 0, 2 * Math.PI); g.fill();
  }
}

// viridis approximates matplotlib's viridis (perceptually uniform, colour-blind safe) at t in [0, 1].
function viridis(t) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  t = Math.max(0, Math.min(1, t)) * 0.8 * (stops.length - 1); // short of the yellow end, which is hard to see on white
  const i = Math.min(stops.length - 2, Math.floor(t)), f = t - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgba(${c[0]},${c[1]},${c[2]},0.85)`;
}
