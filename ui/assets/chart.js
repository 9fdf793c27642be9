// Line charts over uPlot: several series on one x axis (step, relative time or wall time), optional smoothing and
// log scale, a cursor shared by every chart of a page, drag to zoom (double-click resets).

import { num } from "./app.js";

// charts lists the uPlot instances on the page (the browser tests count their series).
window.__charts = window.__charts || [];

// smooth is an exponential moving average with TensorBoard's debiasing; NaN and nulls stay gaps.
export function smooth(ys, w) {
  if (!w) return ys;
  const out = new Array(ys.length);
  let last = 0, n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (y === null || !isFinite(y)) { out[i] = y; continue; }
    last = last * w + (1 - w) * y;
    n++;
    out[i] = last / (1 - Math.pow(w, n));
  }
  return out;
}

// xsOf picks the x values of a series answer: steps, seconds since its first point, or wall time (seconds).
export function xsOf(sr, mode) {
  if (mode === "step") return sr.step.map(Number);
  const ts = sr.time.map((t) => (t === null ? null : num(t)));
  if (mode === "wall") return ts;
  const t0 = ts.find((t) => t !== null);
  return ts.map((t) => (t === null || t0 === undefined ? null : t - t0));
}

// align puts series with their own xs on one shared, sorted x array (uPlot's data shape), nulls where a series has
// no point.
export function align(list) {
  const set = new Set();
  for (const s of list) for (const x of s.x) if (x !== null && isFinite(x)) set.add(x);
  const xs = [...set].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const data = [xs];
  for (const s of list) {
    const ys = new Array(xs.length).fill(null);
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i];
      if (x === null || !isFinite(x)) continue;
      const y = s.y[i];
      ys[index.get(x)] = y === null || !isFinite(y) ? null : y;
    }
    data.push(ys);
  }
  return data;
}

// lineChart draws one chart in el and returns its controller: {u, update(list)}.
export function lineChart(el, opts) {
  const { title, mode, logY, syncKey, onZoom } = opts;
  const width = Math.max(320, (opts.width || el.clientWidth || 600));
  const height = opts.height || 260;
  const prep = (list) => {
    const l = list.map((s) => ({ x: s.x, y: smooth(s.y, opts.smoothing).map((y) => (logY && y !== null && y <= 0 ? null : y)) }));
    return align(l);
  };
  const series = [{ label: mode === "step" ? "step" : mode === "wall" ? "time" : "seconds" }];
  for (const s of opts.series) {
    series.push({ label: s.label, stroke: s.color, width: 1.6, spanGaps: true, points: { show: false },
      value: (u, v) => (v === null || v === undefined ? "—" : Number(v.toPrecision(6)).toString()) });
  }
  const u = new uPlot({
    title, width, height, series,
    scales: { x: { time: mode === "wall" }, y: { distr: logY ? 3 : 1 } },
    cursor: { sync: { key: syncKey || "git-exp" }, drag: { x: true, y: false } },
    legend: { live: true },
    axes: [mode === "step" ? { label: "step", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7] }
      : { label: mode === "wall" ? "" : "seconds" }, {}],
    hooks: onZoom ? { setSelect: [(u) => {
      if (u.select.width < 3) return;
      onZoom(u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x"));
    }] } : {},
  }, prep(opts.series), el);
  window.__charts.push(u);
  el.addEventListener("dblclick", () => { if (opts.onReset) opts.onReset(); });
  return {
    u,
    update(list) { u.setData(prep(list)); },
    destroy() {
      const i = window.__charts.indexOf(u);
      if (i >= 0) window.__charts.splice(i, 1);
      u.destroy();
    },
  };
}

// resetCharts forgets the charts of the page being left.
export function resetCharts() {
  for (const u of window.__charts.splice(0)) u.destroy();
}
