// The compare page: one chart per metric with one line per run, the parameters that differ, results with deltas
// against a baseline, and the code diff when two runs are chosen.

import { h, api, fmt, num, statusBadge, palette, on } from "./app.js";
import { lineChart, xsOf } from "./chart.js";
import { renderDiff } from "./run.js";

export async function comparePage(main, q) {
  const ids = (q.get("ids") || "").split(",").filter(Boolean);
  const page = h("section", { class: "compare-page" });
  main.append(page);
  if (!ids.length) {
    page.append(h("h1", {}, "Compare"), h("p", {}, "Select runs on the ", h("a", { href: "/" }, "runs page"), " and press Compare."));
    return;
  }
  const res = await api("/api/experiments?ids=" + encodeURIComponent(ids.join(",")));
  const runs = res.items;
  const differ = res.columns.params;
  // A run is named by what differs: "lr=0.1 seed=2"; by its name when nothing does.
  const label = (r) => {
    if (runs.length > 1 && differ.length) return differ.map((k) => k + "=" + fmt(r.params[k])).join(" ") || r.short_id;
    return (r.name || r.short_id);
  };
  const color = (i) => palette[i % palette.length];
  const st = { mode: q.get("x") || "step", smoothing: Number(q.get("smooth") || 0), log: q.get("log") === "1", baseline: runs[0].id, zoom: null };

  // --- controls
  const mode = h("select", { id: "x-mode" }, [["step", "step"], ["relative", "relative time"], ["wall", "wall time"]].map(([v, t]) => h("option", { value: v, selected: v === st.mode ? true : null }, t)));
  const smoothing = h("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: st.smoothing, id: "smoothing" });
  const smoothOut = h("span", { class: "mono" }, st.smoothing.toFixed(2));
  const log = h("input", { type: "checkbox", checked: st.log, id: "log-y" });
  const reset = h("button", { onclick: () => { st.zoom = null; draw(); } }, "Reset zoom");
  page.append(h("h1", {}, "Compare ", h("span", { class: "muted" }, runs.length + " runs")),
    h("div", { class: "toolbar" }, h("label", {}, "x: ", mode), h("label", {}, "smoothing ", smoothing, " ", smoothOut),
      h("label", {}, log, " log y"), reset, h("span", { class: "muted small" }, "drag on a chart to zoom; double-click to reset")));
  mode.addEventListener("change", () => { st.mode = mode.value; st.zoom = null; draw(); });
  smoothing.addEventListener("input", () => { st.smoothing = Number(smoothing.value); smoothOut.textContent = st.smoothing.toFixed(2); draw(); });
  log.addEventListener("change", () => { st.log = log.checked; draw(); });

  // --- legend
  page.append(h("div", { class: "legend", id: "legend" }, runs.map((r, i) => h("span", { class: "lg" },
    h("span", { class: "sw", style: "background:" + color(i) }), h("a", { href: "/run/" + r.id, title: r.name }, label(r)), " ", statusBadge(r.status)))));

  // --- charts
  const chartsBox = h("div", { class: "charts", id: "compare-charts" });
  page.append(chartsBox);
  let metrics = []; // per run: the metrics answer
  let charts = [];
  async function fetchMetrics() {
    const width = Math.max(400, Math.floor((chartsBox.clientWidth || 900) / 2) - 20);
    const zoom = st.zoom && st.mode === "step" ? `&from=${Math.floor(st.zoom[0])}&to=${Math.ceil(st.zoom[1])}` : "";
    metrics = await Promise.all(runs.map((r) => api(`/api/experiments/${r.id}/metrics?points=${width}${zoom}`)));
  }
  function draw() {
    for (const c of charts) c.destroy();
    charts = [];
    chartsBox.replaceChildren();
    const names = [...new Set(metrics.flatMap((m) => m.names))].sort();
    if (!names.length) { chartsBox.append(h("p", { class: "muted" }, "no metrics logged")); return; }
    const width = Math.max(400, Math.floor((chartsBox.clientWidth || 900) / 2) - 20);
    for (const name of names) {
      const list = runs.map((r, i) => {
        const sr = metrics[i].series[name];
        if (!sr) return { label: label(r), color: color(i), x: [], y: [] };
        return { label: label(r), color: color(i), x: xsOf(sr, st.mode), y: sr.value.map((v) => { const n = num(v); return n === null || !isFinite(n) ? null : n; }) };
      });
      const box = h("div", { class: "chart", "data-metric": name });
      chartsBox.append(box);
      const c = lineChart(box, {
        title: name, mode: st.mode, logY: st.log, smoothing: st.smoothing, series: list, width, syncKey: "compare",
        onZoom: (a, b) => { st.zoom = [a, b]; if (st.mode === "step") fetchMetrics().then(draw); else for (const c of charts) c.u.setScale("x", { min: a, max: b }); },
        onReset: () => { st.zoom = null; fetchMetrics().then(draw); },
      });
      if (st.zoom && st.mode !== "step") c.u.setScale("x", { min: st.zoom[0], max: st.zoom[1] });
      charts.push(c);
    }
  }
  reset.addEventListener("click", () => fetchMetrics().then(draw));
  await fetchMetrics();
  draw();
  let pending = false;
  on("metrics", (d) => {
    if (pending || !runs.some((r) => r.id === d.id)) return;
    pending = true;
    setTimeout(async () => { pending = false; await fetchMetrics(); draw(); }, 150);
  });

  // --- parameters and results against a baseline
  const base = h("select", { id: "baseline" }, runs.map((r) => h("option", { value: r.id }, label(r) + " (" + r.short_id + ")")));
  const tableBox = h("div", { class: "scroll-x" });
  base.addEventListener("change", () => { st.baseline = base.value; table(); });
  page.append(h("h2", {}, "Parameters and results ", h("label", { class: "small" }, "baseline ", base)), tableBox);
  function table() {
    const b = runs.find((r) => r.id === st.baseline);
    const rkeys = res.columns.results;
    tableBox.replaceChildren(h("table", { class: "grid", id: "compare-table" },
      h("tr", {}, h("th", {}, ""), h("th", {}, "run"), differ.map((k) => h("th", { class: "param" }, k)), rkeys.map((k) => h("th", { class: "result" }, k))),
      runs.map((r, i) => h("tr", { class: r.id === b.id ? "baseline" : "" },
        h("td", {}, h("span", { class: "sw", style: "background:" + color(i) })),
        h("td", {}, h("a", { href: "/run/" + r.id }, r.name || r.short_id)),
        differ.map((k) => h("td", { class: "num" }, fmt(r.params[k]))),
        rkeys.map((k) => {
          const v = r.results[k];
          const x = num(v), y = num(b.results[k]);
          let delta = null;
          if (r.id !== b.id && typeof x === "number" && typeof y === "number" && isFinite(x) && isFinite(y)) delta = x - y;
          return h("td", { class: "num" }, fmt(v), delta !== null ? h("span", { class: "delta " + (delta > 0 ? "up" : delta < 0 ? "down" : "") }, " " + (delta > 0 ? "+" : "") + fmt(delta)) : null);
        })))));
  }
  table();

  if (runs.length === 2) {
    const d = await api(`/api/diff?a=${runs[0].id}&b=${runs[1].id}`);
    page.append(h("h2", {}, "Code: ", runs[0].short_id, " → ", runs[1].short_id), h("div", { class: "diff", id: "diff" }, renderDiff(Object.assign({}, d, { params: null }))));
  }
  return () => { for (const c of charts) c.destroy(); };
}
