// The runs page: every experiment in a virtual table (only the rows in view exist in the page, fetched a page of
// 200 at a time), with the command line's filters, sorting by any column, selection, and live updates.

import { h, api, edit, fmt, relTime, duration, statusBadge, config, on, navigate, ApiError } from "./app.js";

const ROW = 28;        // row height, px
const PAGE = 200;      // rows per request
const FILTERS = ["status", "tag", "name", "script", "batch", "since", "until"];

export function runsPage(main, q) {
  // Filters come from the address (a reload keeps them), else from the command line's FILTERS.
  const start = q.toString() ? q : new URLSearchParams(flatten(config.filters));
  const state = {
    where: start.getAll("where").join(" and "),
    f: Object.fromEntries(FILTERS.map((k) => [k, start.getAll(k).join(",")])),
    archived: start.get("archived") === "1",
    sort: start.get("sort") || "",
    allParams: start.get("cols") === "all",
    total: 0, columns: { params: [], all_params: [], results: [] },
    pages: new Map(), loading: new Set(), gen: 0,
    selected: new Set(),
  };

  const whereInput = h("input", { id: "where", class: "where", type: "text", spellcheck: "false", value: state.where,
    placeholder: "where: lr > 0.01 and results.acc >= 0.9   (the --where language; Enter to apply)" });
  const whereErr = h("div", { id: "where-error", class: "where-error", hidden: true });
  const inputs = {};
  const filterRow = h("div", { class: "filters" },
    FILTERS.map((k) => {
      inputs[k] = h("input", { type: "text", name: k, value: state.f[k], placeholder: k, size: k === "since" || k === "until" ? 12 : 10 });
      return h("label", {}, k, " ", inputs[k]);
    }),
    h("label", {}, inputs.archived = h("input", { type: "checkbox", checked: state.archived }), " archived"),
    h("label", { title: "show every parameter, not only those that vary" },
      inputs.all = h("input", { type: "checkbox", checked: state.allParams }), " all params"));
  const count = h("span", { id: "count", class: "count" });
  const actions = h("span", { class: "actions" });
  const head = h("div", { class: "thead", role: "row" });
  const spacer = h("div", { class: "spacer" });
  const body = h("div", { class: "tbody", id: "runs-body" }, spacer);
  const scroller = h("div", { class: "scroller", id: "runs" }, head, body);
  main.append(h("section", { class: "runs-page" },
    h("div", { class: "toolbar" }, whereInput, count), whereErr, filterRow, h("div", { class: "toolbar" }, actions), scroller));

  function apply() {
    state.where = whereInput.value.trim();
    for (const k of FILTERS) state.f[k] = inputs[k].value.trim();
    state.archived = inputs.archived.checked;
    state.allParams = inputs.all.checked;
    const u = new URLSearchParams(query());
    if (state.allParams) u.set("cols", "all");
    history.replaceState(null, "", "/" + (u.toString() ? "?" + u : ""));
    reload();
  }
  whereInput.addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
  for (const k of FILTERS) inputs[k].addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
  inputs.archived.addEventListener("change", apply);
  inputs.all.addEventListener("change", apply);

  function query() {
    const u = new URLSearchParams();
    if (state.where) u.append("where", state.where);
    for (const k of FILTERS) {
      if (!state.f[k]) continue;
      if (k === "tag") for (const t of state.f[k].split(",")) { if (t.trim()) u.append("tag", t.trim()); }
      else u.set(k, state.f[k]);
    }
    if (state.archived) u.set("archived", "1");
    if (state.sort) u.set("sort", state.sort);
    return u;
  }

  // Columns: fixed ones, then the parameters (those that vary, or all), then the results.
  function columns() {
    const params = state.allParams ? state.columns.all_params : state.columns.params;
    const cols = [
      { key: "_sel", label: "", w: 28 },
      { key: "id", label: "id", w: 70, sort: "id" },
      { key: "name", label: "name", w: 220, sort: "name" },
      { key: "status", label: "status", w: 90, sort: "status" },
      { key: "created", label: "created", w: 105, sort: "created" },
      { key: "duration", label: "duration", w: 75, sort: "duration_s" },
      { key: "tags", label: "tags", w: 110, sort: "tags" },
    ];
    for (const p of params) cols.push({ key: "p:" + p, label: p, w: 90, sort: "params." + p, cls: "param" });
    for (const r of state.columns.results) cols.push({ key: "r:" + r, label: r, w: 95, sort: "results." + r, cls: "result" });
    return cols;
  }

  function cell(r, c) {
    switch (c.key) {
      case "_sel": {
        const cb = h("input", { type: "checkbox", checked: state.selected.has(r.id), "aria-label": "select " + r.short_id });
        cb.addEventListener("change", () => { cb.checked ? state.selected.add(r.id) : state.selected.delete(r.id); renderActions(); });
        return cb;
      }
      case "id": return h("a", { href: "/run/" + r.id, class: "mono" }, r.short_id);
      case "name": return h("a", { href: "/run/" + r.id, title: r.description || r.name }, r.name || "(unnamed)");
      case "status": return statusBadge(r.status);
      case "created": return h("span", { title: r.created }, relTime(r.created));
      case "duration": return duration(r.duration_s, r.status);
      case "tags": return r.tags.join(", ");
    }
    if (c.key.startsWith("p:")) return fmt(r.params[c.key.slice(2)]);
    if (c.key.startsWith("r:")) return fmt(r.results[c.key.slice(2)]);
    return "";
  }

  let cols = columns();
  let template = "";
  function renderHead() {
    cols = columns();
    template = cols.map((c) => c.w + "px").join(" ");
    head.style.gridTemplateColumns = template;
    const [skey, desc] = state.sort.startsWith("-") ? [state.sort.slice(1), true] : [state.sort, false];
    head.replaceChildren(...cols.map((c) => {
      if (c.key === "_sel") {
        const all = h("input", { type: "checkbox", title: "select the rows loaded", "aria-label": "select all" });
        all.addEventListener("change", () => {
          for (const rows of state.pages.values()) for (const r of rows) all.checked ? state.selected.add(r.id) : state.selected.delete(r.id);
          renderActions(); renderRows(true);
        });
        return h("div", { class: "th" }, all);
      }
      const arrow = c.sort === skey ? (desc ? " ▼" : " ▲") : "";
      return h("div", { class: "th sortable " + (c.cls || ""), title: "sort by " + c.sort, "data-sort": c.sort,
        onclick: () => { state.sort = c.sort === skey && !desc ? "-" + c.sort : c.sort === skey && desc ? "" : c.sort; apply(); } },
        c.label + arrow);
    }));
    const width = cols.reduce((a, c) => a + c.w, 0);
    head.style.width = body.style.width = width + "px";
  }

  const rowEls = new Map(); // index -> element
  function renderRows(force) {
    spacer.style.height = state.total * ROW + "px";
    const top = scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW) - 10);
    const last = Math.min(state.total, Math.ceil((top + scroller.clientHeight) / ROW) + 10);
    for (const [i, el] of rowEls) {
      if (i < first || i >= last || force) { el.remove(); rowEls.delete(i); }
    }
    for (let i = first; i < last; i++) {
      if (rowEls.has(i)) continue;
      const page = Math.floor(i / PAGE);
      const rows = state.pages.get(page);
      let el;
      if (!rows) {
        fetchPage(page);
        el = h("div", { class: "tr loading", style: `top:${i * ROW}px;grid-template-columns:${template}` }, h("div", { class: "td" }, "…"));
        el.dataset.pending = "1";
      } else {
        const r = rows[i - page * PAGE];
        if (!r) continue;
        el = h("div", { class: "tr" + (r.archived ? " archived" : ""), role: "row", "data-id": r.id, "data-index": i, style: `top:${i * ROW}px;grid-template-columns:${template}` },
          cols.map((c) => h("div", { class: "td " + (c.cls || "") + (c.key === "name" ? " name" : "") }, cell(r, c))));
      }
      rowEls.set(i, el);
      body.appendChild(el);
    }
  }

  async function fetchPage(page) {
    if (state.loading.has(page)) return;
    state.loading.add(page);
    const gen = state.gen;
    const u = query();
    u.set("offset", page * PAGE);
    u.set("limit", PAGE);
    try {
      const res = await api("/api/experiments?" + u);
      if (gen !== state.gen) return;
      state.pages.set(page, res.items);
      // Columns of the previous state of the store, while the new ones are computed: ask again shortly.
      if (res.columns_pending && !state.recheck) state.recheck = setTimeout(() => { state.recheck = null; reload(); }, 1000);
      const fresh = state.shown !== gen; // the first answer since a reload: every row in view is stale
      state.shown = gen;
      if (fresh || res.total !== state.total || JSON.stringify(res.columns) !== JSON.stringify(state.columns)) {
        state.total = res.total;
        state.columns = res.columns;
        renderHead();
        renderCount();
        renderRows(true);
      } else {
        for (const [i, el] of rowEls) if (el.dataset.pending && Math.floor(i / PAGE) === page) { el.remove(); rowEls.delete(i); }
        renderRows(false);
      }
    } catch (e) {
      if (gen === state.gen) showWhereError(e);
    } finally {
      state.loading.delete(page);
    }
  }

  function renderCount() {
    count.textContent = state.total.toLocaleString() + (state.total === 1 ? " experiment" : " experiments");
  }

  function renderActions() {
    const ids = [...state.selected];
    const n = ids.length;
    const items = [h("span", { class: "selcount" }, n ? n + " selected" : "select rows to compare them")];
    if (n) {
      items.push(h("button", { id: "compare-btn", onclick: () => navigate("/compare?ids=" + ids.join(",")) }, "Compare"));
      items.push(h("button", { onclick: () => navigate("/sweep?ids=" + ids.join(",")) }, "Sweep view"));
      if (!config.read_only) {
        const tag = h("input", { type: "text", placeholder: "tag", size: 8, id: "bulk-tag" });
        items.push(tag, h("button", { id: "bulk-tag-add", onclick: () => doEdit(ids, "tag", { tags: [tag.value.trim()] }, tag.value.trim()) }, "+ tag"),
          h("button", { id: "bulk-tag-remove", onclick: () => doEdit(ids, "untag", { tags: [tag.value.trim()] }, tag.value.trim()) }, "− tag"),
          h("button", { id: "bulk-archive", onclick: () => doEdit(ids, state.archived ? "unarchive" : "archive", {}, true) }, state.archived ? "Unarchive" : "Archive"));
      }
      items.push(h("button", { onclick: () => { state.selected.clear(); renderActions(); renderRows(true); } }, "Clear"));
    }
    actions.replaceChildren(...items);
  }

  async function doEdit(ids, op, extra, ok) {
    if (!ok) return;
    try { await edit(ids, op, extra); reload(); } catch (e) { actions.append(h("span", { class: "error" }, e.message)); }
  }

  function showWhereError(e) {
    whereErr.replaceChildren();
    whereErr.hidden = false;
    if (e instanceof ApiError && e.body.field === "where") {
      // The command line's message, with the expression and a caret under the column.
      const col = e.body.column || 1;
      whereErr.append(h("div", {}, e.body.error),
        h("pre", { class: "caret" }, "  " + e.body.expr + "\n  " + " ".repeat(col - 1) + "^"));
      whereInput.classList.add("bad");
    } else {
      whereErr.append(h("div", {}, e.message));
    }
    state.total = 0;
    renderCount();
    renderRows(true);
  }

  function reload() {
    state.gen++;
    state.pages.clear();
    state.loading.clear();
    whereErr.hidden = true;
    whereInput.classList.remove("bad");
    renderActions();
    fetchPage(Math.floor(scroller.scrollTop / ROW / PAGE));
  }

  // Refresh the rows in view (a new run, a status change, an edit), keeping the scroll position.
  let pending = null;
  on("runs", () => {
    if (pending) return;
    pending = setTimeout(() => { pending = null; reload(); }, 150);
  });

  let raf = 0;
  scroller.addEventListener("scroll", () => {
    if (raf) return;
    raf = requestAnimationFrame(() => { raf = 0; renderRows(false); });
  });
  window.addEventListener("resize", onResize);
  function onResize() { renderRows(false); }
  renderHead();
  renderActions();
  reload();
  return () => { window.removeEventListener("resize", onResize); if (pending) clearTimeout(pending); };
}

function flatten(filters) {
  const out = [];
  for (const [k, vs] of Object.entries(filters || {})) for (const v of vs) out.push([k, v]);
  return out;
}
