// Small DOM helpers. Every string goes in as text (textContent or a text node), never as HTML:
// names and messages come from the API and must not be able to run anything.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * h("button", { class: "primary", onclick: fn, disabled: true }, "Text", childNode)
 * Attributes: `class`, `text`, `on<event>` handlers, booleans (true sets, false omits),
 * everything else through setAttribute (never `style`: the page's CSP forbids inline styles).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") throw new Error("inline styles are not allowed; use a class");
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** A few line icons, built with createElementNS (no markup strings). */
const ICONS = {
  check: ["M4 10.5l4 4 8-9"],
  x: ["M5 5l10 10", "M15 5L5 15"],
  alert: ["M10 3l8 14H2z", "M10 8v4", "M10 14.5v.5"],
  info: ["M10 2.5a7.5 7.5 0 100 15 7.5 7.5 0 000-15z", "M10 9v5", "M10 6v.5"],
  server: ["M3 4h14v5H3z", "M3 11h14v5H3z", "M6 6.5h.01", "M6 13.5h.01"],
  refresh: ["M16 10a6 6 0 11-2-4.5", "M16 3v4h-4"],
  download: ["M10 3v10", "M6 9l4 4 4-4", "M4 16h12"],
  plug: ["M7 2v4", "M13 2v4", "M5 6h10v3a5 5 0 01-10 0z", "M10 14v4"],
  copy: ["M7 7h9v10H7z", "M4 13V3h9"],
  arrow: ["M4 10h12", "M11 5l5 5-5 5"],
  back: ["M16 10H4", "M9 5l-5 5 5 5"],
  stop: ["M5 5h10v10H5z"],
  retry: ["M4 10a6 6 0 102-4.5", "M4 3v4h4"],
  search: ["M8.5 3a5.5 5.5 0 100 11 5.5 5.5 0 000-11z", "M13 13l4 4"],
  clock: ["M10 2.5a7.5 7.5 0 100 15 7.5 7.5 0 000-15z", "M10 6v4l3 2"],
};

export function icon(name, extraClass = "") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `icon ${extraClass}`.trim());
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

const numberFormat = new Intl.NumberFormat("en-US");
export const fmt = (n) => (typeof n === "number" && Number.isFinite(n) ? numberFormat.format(n) : "–");

export function plural(n, one, many = `${one}s`) {
  return `${fmt(n)} ${n === 1 ? one : many}`;
}

export function time(ms) {
  if (!ms) return "–";
  const d = new Date(ms);
  return d.toLocaleString("en-GB", { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function duration(ms) {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

/** A status pill: tone is one of ok, warn, bad, info, muted, run. */
export function pill(text, tone = "muted", title) {
  return h("span", { class: `pill pill-${tone}`, title }, text);
}

/** Calls fn at most once per animation frame. */
export function frameThrottle(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Downloads text as a file through a Blob and an object URL. */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename, class: "visually-hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A labelled progress bar (role=progressbar with a visible label). */
export function progressBar(id, label) {
  const bar = h("div", { class: "progress-fill" });
  const track = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", "aria-labelledby": `${id}-label`, id }, bar);
  const text = h("div", { class: "progress-label", id: `${id}-label` }, label);
  const wrap = h("div", { class: "progress-wrap" }, text, track);
  return {
    element: wrap,
    set(done, total, caption) {
      const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
      bar.style.width = `${pct}%`; // CSSOM, allowed under style-src 'self'
      track.setAttribute("aria-valuenow", String(pct));
      track.setAttribute("aria-valuetext", caption ?? `${pct}%`);
      if (caption !== undefined) text.textContent = caption;
    },
    setTone(tone) {
      track.dataset.tone = tone;
    },
  };
}
