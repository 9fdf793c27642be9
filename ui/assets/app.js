// git exp ui: the router, the API client, the live event stream and small DOM helpers shared by the pages.
// Experiment content is only ever put in the page as text (textContent, attribute values), never parsed as HTML.

import { runsPage } from "./runs.js";
import { runPage } from "./run.js";
import { comparePage } from "./compare.js";
import { sweepPage } from "./sweep.js";
import { resetCharts } from "./chart.js";

// h builds an element: h("a", {href: "/x", class: "y", onclick: fn}, "text", child, ...). Strings become text nodes.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v;
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// ApiError carries the server's one-line message and any details (a --where error's column).
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : "HTTP " + status);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(path, opts) {
  const r = await fetch(path, Object.assign({ credentials: "same-origin" }, opts || {}));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new ApiError(r.status, body);
  return body;
}

export async function edit(ids, op, extra) {
  return api("/api/edit", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(Object.assign({ ids, op }, extra || {})),
  });
}

// num turns an API number (non-finite ones arrive as strings) into a JS number.
export function num(v) {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (typeof v === "boolean") return v ? 1 : 0;
  return null;
}

// fmt shows a value in a cell: floats to 6 significant digits, like git exp list on a terminal.
export function fmt(v) {
  if (v === undefined) return "";
  if (v === null) return "null";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return String(Number(v.toPrecision(6)));
  }
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function relTime(s) {
  if (!s) return "";
  const t = Date.parse(s);
  if (isNaN(t)) return s;
  const d = (Date.now() - t) / 1000;
  if (d < 60) return Math.max(0, Math.floor(d)) + " sec ago";
  if (d < 3600) return Math.floor(d / 60) + " min ago";
  if (d < 48 * 3600) {
    const h = Math.floor(d / 3600);
    return h + (h === 1 ? " hour ago" : " hours ago");
  }
  if (d < 60 * 86400) return Math.floor(d / 86400) + " days ago";
  return new Date(t).toISOString().slice(0, 10);
}

export function duration(s, status) {
  if (!s && status !== "completed" && status !== "failed" && status !== "cancelled" && status !== "crashed") return "";
  if (s < 60) return s.toFixed(1) + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
  return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
}

export function statusBadge(s) {
  return h("span", { class: "status st-" + s }, s);
}

// The Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), then Paul Tol's muted one.
export const palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
  "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"];

// config is the server's /api/config (read-only flag, the command line's filters).
export let config = { read_only: true, filters: {} };

// Live events: pages subscribe with on(event, fn) and are unsubscribed when the page changes.
let source = null;
let listeners = [];
export function on(event, fn) { listeners.push({ event, fn }); }
function connect() {
  source = new EventSource("/api/events");
  const live = document.getElementById("live");
  source.onopen = () => { live.textContent = "● live"; live.className = "on"; };
  source.onerror = () => { live.textContent = "○ reconnecting"; live.className = "off"; };
  for (const ev of ["runs", "metrics", "logs"]) {
    source.addEventListener(ev, (m) => {
      let data = {};
      try { data = JSON.parse(m.data); } catch (e) { return; }
      for (const l of listeners) if (l.event === ev) l.fn(data);
    });
  }
}

export function navigate(url) {
  history.pushState(null, "", url);
  route();
}

// Links inside the app navigate without a reload.
document.addEventListener("click", (e) => {
  const a = e.target.closest("a");
  if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  const href = a.getAttribute("href");
  if (!href || !href.startsWith("/") || href.startsWith("/api/")) return;
  e.preventDefault();
  navigate(href);
});
window.addEventListener("popstate", route);

let cleanup = null;
function route() {
  listeners = [];
  if (cleanup) { try { cleanup(); } catch (e) { /* the old page is gone anyway */ } cleanup = null; }
  resetCharts();
  const main = document.getElementById("app");
  main.replaceChildren();
  const path = location.pathname;
  const q = new URLSearchParams(location.search);
  let page = "runs";
  let p;
  if (path.startsWith("/run/")) { page = "run"; p = runPage(main, decodeURIComponent(path.slice(5)), q); }
  else if (path === "/compare") { page = "compare"; p = comparePage(main, q); }
  else if (path === "/sweep") { page = "sweep"; p = sweepPage(main, q); }
  else p = runsPage(main, q);
  for (const a of document.querySelectorAll("#top nav a")) a.classList.toggle("active", a.dataset.page === page);
  Promise.resolve(p).then((c) => { cleanup = typeof c === "function" ? c : null; }).catch(showError(main));
}

export function showError(main) {
  return (err) => {
    main.appendChild(h("div", { class: "error" }, String(err && err.message ? err.message : err)));
  };
}

async function start() {
  try {
    config = await api("/api/config");
    document.getElementById("repo").textContent = config.repository || "";
    document.title = "git exp — " + (config.repository || "").split("/").pop();
  } catch (e) {
    document.getElementById("app").appendChild(h("div", { class: "error" }, e.message));
    return;
  }
  connect();
  route();
}
start();
