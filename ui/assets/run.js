// The run page: status, timing, git state, parent and attempts; parameters with their sources; results; metric
// charts and output that follow a running experiment; the artifact tree with previews; the code diff.

import { h, api, edit, fmt, relTime, duration, statusBadge, config, on, palette } from "./app.js";
import { lineChart, xsOf } from "./chart.js";

export async function runPage(main, id, q) {
  const x = await api("/api/experiments/" + encodeURIComponent(id));
  id = x.id;
  const page = h("section", { class: "run-page" });
  main.append(page);
  let timers = [];

  // --- header and edits
  const title = h("h1", { id: "run-name" }, x.name || "(unnamed)");
  const tags = h("span", { class: "tags", id: "run-tags" }, x.tags.map((t) => h("span", { class: "tag" }, t,
    config.read_only ? null : h("button", { class: "x", title: "remove tag " + t, onclick: () => change("untag", { tags: [t] }) }, "×"))));
  // Edits open a small form in place: rename, describe, add a tag.
  const form = h("span", { class: "edit-form", id: "edit-form" });
  const ask = (label, initial, op, wrap) => {
    const input = h("input", { type: "text", id: "edit-input", value: initial, size: 30, "aria-label": label });
    const save = () => { const v = input.value.trim(); if (v || op === "describe") change(op, wrap(v)); };
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") save(); if (e.key === "Escape") form.replaceChildren(); });
    form.replaceChildren(label + " ", input, h("button", { id: "edit-save", onclick: save }, "Save"), h("button", { onclick: () => form.replaceChildren() }, "Cancel"));
    input.focus();
  };
  const editBar = config.read_only ? h("span", { class: "muted" }, "read-only") : h("span", { class: "edits" },
    h("button", { id: "rename-btn", onclick: () => ask("name", x.name, "rename", (v) => ({ value: v })) }, "Rename"),
    h("button", { id: "describe-btn", onclick: () => ask("description", x.description, "describe", (v) => ({ value: v })) }, "Describe"),
    h("button", { id: "tag-btn", onclick: () => ask("tag", "", "tag", (v) => ({ tags: [v] })) }, "+ tag"),
    h("button", { id: "archive-btn", onclick: () => change(x.archived ? "unarchive" : "archive") }, x.archived ? "Unarchive" : "Archive"));
  async function change(op, extra) {
    try { await edit([id], op, extra); main.replaceChildren(); await runPage(main, id, q); }
    catch (e) { form.replaceChildren(h("span", { class: "error" }, e.message)); }
  }
  page.append(h("div", { class: "run-head" }, title, h("span", { class: "mono muted" }, x.short_id), statusBadge(x.status),
    x.archived ? h("span", { class: "tag" }, "archived") : null, tags, editBar), form);
  if (x.description) page.append(h("p", { class: "desc" }, x.description));
  if (x.runner_alive === false) page.append(h("div", { class: "error" }, "its git-exp process is gone: the next git exp command records it as crashed"));

  // --- facts
  const g = x.git || {};
  const facts = [
    ["status", [statusBadge(x.status), x.exit_code !== null && x.exit_code !== undefined ? " exit " + x.exit_code : ""]],
    ["error", x.error],
    ["command", (x.argv || []).join(" ")],
    ["script", x.script],
    ["created", x.created ? x.created + " (" + relTime(x.created) + ")" : ""],
    ["started", x.started], ["ended", x.ended],
    ["duration", duration(x.duration_s, x.status)],
    ["by", [x.user, x.host].filter(Boolean).join(" on ")],
    ["executor", x.executor + (x.extra && x.extra.slurm_job_id ? " (job " + x.extra.slurm_job_id + ")" : "")],
    ["git", [g.branch, g.head ? "@ " + g.head.slice(0, 10) : "", g.dirty ? "(with uncommitted changes)" : ""].filter(Boolean).join(" ")],
    ["snapshot", g.snapshot], ["left out", (g.skipped || []).join(", ")],
    ["batch", x.batch ? h("a", { href: "/sweep?batch=" + x.batch }, x.batch.slice(0, 7) + " (sweep view)") : ""],
    ["parent", x.parent ? h("a", { href: "/run/" + x.parent }, x.parent_summary ? x.parent_summary.name + " " + x.parent.slice(0, 7) : x.parent.slice(0, 7)) : ""],
    ["attempts", x.attempts.length ? x.attempts.join(", ") + " (current: " + (x.attempt || 1) + ")" : (x.attempt > 1 ? String(x.attempt) : "")],
    ["reruns", x.children.length ? x.children.map((c) => h("a", { href: "/run/" + c.id, class: "sp" }, c.short_id + " " + c.name)) : ""],
  ];
  page.append(h("dl", { class: "facts" }, facts.filter(([, v]) => v && (!Array.isArray(v) || v.length)).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));

  // --- params and results
  const sources = {};
  for (const s of x.param_sources || []) for (const k of s.keys || []) sources[k] = s.kind + (s.path ? " " + s.path : "");
  const pkeys = Object.keys(x.params_flat).sort();
  const hasSources = Object.keys(sources).length > 0;
  const rkeys = Object.keys(x.results_flat).sort();
  page.append(h("div", { class: "two" },
    h("div", {}, h("h2", {}, "Parameters"), pkeys.length ? h("table", { class: "kv", id: "params" },
      h("tr", {}, h("th", {}, "key"), h("th", {}, "value"), hasSources ? h("th", {}, "from") : null),
      pkeys.map((k) => h("tr", {}, h("td", {}, k), h("td", { class: "num" }, fmt(x.params_flat[k])), hasSources ? h("td", { class: "muted" }, sourceOf(sources, k)) : null))) : h("p", { class: "muted" }, "none"),
      (x.param_sources || []).length ? h("p", { class: "muted small" }, "sources: ", x.param_sources.map((s) => s.kind + (s.path ? " " + s.path : "")).join(", ")) : null),
    h("div", {}, h("h2", {}, "Results"), rkeys.length ? h("table", { class: "kv", id: "results" },
      rkeys.map((k) => h("tr", {}, h("td", {}, k), h("td", { class: "num" }, fmt(x.results_flat[k]))))) : h("p", { class: "muted" }, "none yet"))));

  // --- metrics
  const chartsBox = h("div", { class: "charts", id: "run-charts" });
  page.append(h("h2", {}, "Metrics"), chartsBox);
  const charts = new Map();
  async function loadMetrics() {
    const width = Math.max(400, Math.floor((chartsBox.clientWidth || 900) / 2) - 20);
    const m = await api(`/api/experiments/${id}/metrics?points=${width}`);
    if (!m.names.length && !charts.size) { chartsBox.replaceChildren(h("p", { class: "muted" }, "no metrics logged")); return; }
    if (!charts.size) chartsBox.replaceChildren();
    for (const name of m.names) {
      const sr = m.series[name];
      const list = [{ label: name, color: palette[0], x: xsOf(sr, "step"), y: sr.value.map(num0) }];
      if (charts.has(name)) { charts.get(name).update(list); continue; }
      const box = h("div", { class: "chart", "data-metric": name });
      chartsBox.append(box);
      charts.set(name, lineChart(box, { title: name, mode: "step", series: list, width, syncKey: "run-" + id }));
    }
  }
  await loadMetrics();
  let metricsPending = false;
  on("metrics", (d) => {
    if (d.id !== id || metricsPending) return;
    metricsPending = true;
    setTimeout(() => { metricsPending = false; loadMetrics(); }, 100);
  });

  // --- logs, following while it runs
  const logBox = h("pre", { class: "log", id: "log" });
  const logState = { stream: "stdout", next: 0, gen: 0 };
  const tabs = ["stdout", "stderr"].map((s) => h("button", { class: s === "stdout" ? "tab on" : "tab", onclick: (e) => {
    for (const t of tabs) t.classList.remove("on");
    e.target.classList.add("on");
    logState.stream = s; logState.next = 0; logState.gen++; logBox.replaceChildren(); loadLog();
  } }, s));
  page.append(h("h2", {}, "Output ", tabs), logBox);
  let logBusy = false;
  async function loadLog() {
    if (logBusy) return;
    logBusy = true;
    try {
      for (;;) {
        const gen = logState.gen;
        const l = await api(`/api/experiments/${id}/logs?stream=${logState.stream}&offset=${logState.next}`);
        if (gen !== logState.gen) continue;
        if (l.missing && !logState.next) logBox.textContent = "(no output recorded" + (x.status === "staged" || x.status === "queued" ? ": not run yet)" : ")");
        const stick = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
        if (l.text) logBox.append(document.createTextNode(l.text));
        if (stick) logBox.scrollTop = logBox.scrollHeight;
        logState.next = l.next;
        if (l.eof) break;
      }
    } finally { logBusy = false; }
  }
  await loadLog();
  on("logs", (d) => { if (d.id === id && d.stream === logState.stream) loadLog(); });
  if (x.status === "running") timers.push(setInterval(loadLog, 2000));
  on("runs", (d) => {
    const c = (d.changed || []).find((c) => c.id === id);
    if (c && c.status !== x.status) { x.status = c.status; loadLog(); loadMetrics(); }
  });

  // --- artifacts
  const arts = await api(`/api/experiments/${id}/artifacts`);
  const preview = h("div", { class: "preview", id: "preview" });
  page.append(h("h2", {}, "Artifacts"), arts.length ? h("div", { class: "two" }, h("div", { class: "tree", id: "artifacts" }, tree(arts, id, preview)), preview)
    : h("p", { class: "muted" }, "no artifacts"));

  // --- code diff
  const against = h("select", { id: "diff-against" },
    h("option", { value: "head" }, "its uncommitted changes (against " + (g.head ? g.head.slice(0, 7) : "HEAD") + ")"),
    x.parent ? h("option", { value: "parent" }, "its parent " + x.parent.slice(0, 7)) : null,
    h("option", { value: "other" }, "another run…"));
  const other = h("input", { type: "text", placeholder: "id or name", size: 16, hidden: true });
  const diffBox = h("div", { class: "diff", id: "diff" });
  against.addEventListener("change", () => { other.hidden = against.value !== "other"; if (against.value !== "other") loadDiff(); });
  other.addEventListener("keydown", (e) => { if (e.key === "Enter") loadDiff(); });
  async function loadDiff() {
    const b = against.value === "other" ? other.value.trim() : against.value;
    if (!b) return;
    diffBox.replaceChildren(h("p", { class: "muted" }, "…"));
    try {
      // The page's run is the newer side: the diff goes from the other to it.
      const d = b === "head" ? await api(`/api/diff?a=${id}&b=head`) : await api(`/api/diff?a=${encodeURIComponent(b === "parent" ? x.parent : b)}&b=${id}`);
      diffBox.replaceChildren(renderDiff(d));
    } catch (e) { diffBox.replaceChildren(h("div", { class: "error" }, e.message)); }
  }
  page.append(h("h2", {}, "Code ", against, " ", other), diffBox);
  loadDiff();
  return () => { for (const t of timers) clearInterval(t); };
}

function num0(v) {
  if (typeof v === "number") return v;
  return null; // NaN and infinities are gaps
}

function sourceOf(sources, key) {
  for (let k = key; k; k = k.includes(".") ? k.slice(0, k.lastIndexOf(".")) : "") if (sources[k]) return sources[k];
  return "";
}

// tree shows artifact paths as nested folders; a click previews a file.
function tree(arts, id, preview) {
  const root = { dirs: new Map(), files: [] };
  for (const a of arts) {
    const parts = a.path.split("/");
    let n = root;
    for (const p of parts.slice(0, -1)) {
      if (!n.dirs.has(p)) n.dirs.set(p, { dirs: new Map(), files: [] });
      n = n.dirs.get(p);
    }
    n.files.push(Object.assign({ name: parts[parts.length - 1] }, a));
  }
  const url = (a) => `/api/experiments/${id}/artifacts/` + a.path.split("/").map(encodeURIComponent).join("/");
  const render = (n) => h("ul", {},
    [...n.dirs].map(([name, d]) => h("li", { class: "dir" }, h("details", { open: true }, h("summary", {}, name + "/"), render(d)))),
    n.files.map((a) => h("li", {},
      h("a", { href: url(a), class: "file", "data-path": a.path, onclick: (e) => { e.preventDefault(); show(a); } }, a.name),
      " ", h("span", { class: "muted small" }, size(a.size)), " ",
      h("a", { href: url(a) + "?download=1", download: a.name, title: "download" }, "⤓"))));
  async function show(a) {
    preview.replaceChildren(h("div", { class: "muted" }, a.path));
    if (a.kind === "image") { preview.append(h("img", { src: url(a), alt: a.path })); return; }
    if (a.kind === "binary") { preview.append(h("p", {}, "binary file: ", h("a", { href: url(a) + "?download=1", download: a.name }, "download"))); return; }
    const r = await fetch(url(a) + "?max=1048576");
    let text = await r.text();
    if (a.size > 1048576) text += "\n… (cut at 1 MiB: download for the rest)";
    if (a.kind === "json") { try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* shown as it is */ } }
    preview.append(h("pre", { class: "file-text" }, text));
  }
  return render(root);
}

function size(n) {
  if (n < 1024) return n + " B";
  if (n < 1 << 20) return (n / 1024).toFixed(1) + " KiB";
  return (n / (1 << 20)).toFixed(1) + " MiB";
}

// renderDiff shows /api/diff's answer: parameters, results with deltas, and the code (lines coloured, as text).
export function renderDiff(d) {
  const out = [];
  if (d.params) {
    out.push(h("h3", {}, "Parameters that differ"), d.params.length ? h("table", { class: "kv" },
      h("tr", {}, h("th", {}, "param"), h("th", {}, d.a.short_id), h("th", {}, d.b.short_id)),
      d.params.map((r) => h("tr", {}, h("td", {}, r.key), h("td", { class: "num" }, fmt(r.a)), h("td", { class: "num" }, fmt(r.b))))) : h("p", { class: "muted" }, "identical"));
    if (d.results.length) out.push(h("h3", {}, "Results"), h("table", { class: "kv" },
      h("tr", {}, h("th", {}, "result"), h("th", {}, d.a.short_id), h("th", {}, d.b.short_id), h("th", {}, "Δ")),
      d.results.map((r) => h("tr", {}, h("td", {}, r.key), h("td", { class: "num" }, fmt(r.a)), h("td", { class: "num" }, fmt(r.b)),
        h("td", { class: "num" + (typeof r.delta === "number" ? (r.delta > 0 ? " up" : r.delta < 0 ? " down" : "") : "") }, r.delta === undefined ? "" : (r.delta > 0 ? "+" : "") + fmt(r.delta))))));
  }
  const c = d.code || {};
  if (c.missing) out.push(h("p", { class: "muted" }, "no snapshot to compare"));
  else if (c.same) out.push(h("p", { class: "muted" }, "same code (same snapshot)"));
  else {
    out.push(h("pre", { class: "stat" }, c.stat || "(no changes)"));
    const pre = h("pre", { class: "patch" });
    for (const line of (c.patch || "").split("\n")) {
      const cls = line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") ? "meta" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
      pre.append(h("span", { class: cls }, line + "\n"));
    }
    out.push(pre);
    if (c.truncated) out.push(h("p", { class: "muted" }, "cut at 2 MiB: git exp diff -p shows it all"));
  }
  return h("div", {}, out);
}
