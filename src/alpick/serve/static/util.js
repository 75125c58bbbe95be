// Shared helpers: DOM building (text only, never HTML from data), the API, boxes over images.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "className") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export class ApiError extends Error {}

export async function api(path, options = {}) {
  const res = await fetch(path, { credentials: "same-origin", ...options });
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw new ApiError((body && body.error) || `HTTP ${res.status}`);
  return body;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function fmt(v, digits = 3) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString() : v.toFixed(digits);
  return String(v);
}

const SVG = "http://www.w3.org/2000/svg";

// A frame holding an image with its boxes: gt [x0,y0,x1,y1,cls], pred [x0,y0,x1,y1,cls,conf].
export function frame(src, width, height, gt, pred, { minConf = 0, href = null } = {}) {
  const box = h(href ? "a" : "div", { className: "frame", href });
  box.style.aspectRatio = `${width} / ${height}`;
  box.append(h("img", { src, alt: "", loading: "lazy" }));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("preserveAspectRatio", "none");
  const add = (b, cls, conf) => {
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("x", b[0]); r.setAttribute("y", b[1]);
    r.setAttribute("width", Math.max(b[2] - b[0], 0.5));
    r.setAttribute("height", Math.max(b[3] - b[1], 0.5));
    r.setAttribute("class", cls);
    r.setAttribute("vector-effect", "non-scaling-stroke");
    r.setAttribute("stroke-width", "1.5");
    if (conf !== undefined) r.dataset.conf = conf;
    svg.append(r);
    return r;
  };
  for (const b of gt || []) add(b, "gt");
  for (const b of pred || []) {
    const r = add(b, "pred", b[5]);
    if (b[5] < minConf) r.style.display = "none";
  }
  box.append(svg);
  return box;
}

export function applyConfidence(root, minConf) {
  for (const r of root.querySelectorAll("rect.pred")) {
    r.style.display = Number(r.dataset.conf) < minConf ? "none" : "";
  }
}

export function thumbUrl(id, size = 256) { return `/api/samples/${id}/thumb?size=${size}`; }

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

// Viridis-like ramp for scores in [0, 1].
export function ramp(t) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function decode(b64, Type) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Type(bytes.buffer);
}
