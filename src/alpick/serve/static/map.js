// The embedding map: every sample as a point on a canvas (the PCA of `alpick embed map`),
// coloured by tag, score or metadata; hover shows the thumbnail; drag a box to select samples
// and save them as a new tag (method "manual").
import { h, api, query, decode, ramp, thumbUrl, PALETTE } from "/static/util.js";
import { overview } from "/static/app.js";

const GREY = "#b8b8b8";

export async function mapPage(params) {
  const o = await overview();
  const wrap = h("div", { id: "map-page" }, h("h1", {}, "Embedding map"));
  if (!o.embedding_sets.length) {
    wrap.append(h("p", { className: "muted", id: "no-embeddings" }, "no embeddings yet (run `alpick embed` or `alpick embed import`)"));
    return wrap;
  }
  const embName = params.get("embeddings") || "";
  const color = params.get("color") || "";
  const [m, values] = await Promise.all([
    api(`/api/map${query({ embeddings: embName })}`),
    color ? api(`/api/values${query({ color })}`) : Promise.resolve(null),
  ]);
  const ids = decode(m.ids, Int32Array), xy = decode(m.xy, Float32Array);
  const vals = values ? decode(values.values, Float32Array) : null;
  const n = m.n;

  const go = (changes) => { location.hash = `#/map${query({ embeddings: embName, color, ...changes })}`; };
  const colorOpts = [["", "none"], ...o.tags.map((t) => [`tag:${t.name}`, `tag ${t.name}`]),
    ...o.scores.map((s) => [`score:${s}`, `score ${s}`]), ...o.metadata.map((c) => [`meta:${c}`, `metadata ${c}`])];
  const sel = (name, opts, value, onchange) => h("select", { id: name, onchange },
    opts.map(([v, l]) => { const e = h("option", { value: v }, l); if (v === value) e.selected = true; return e; }));
  const nameBox = h("input", { id: "tag-name", placeholder: "new tag name", size: 18 });
  const saveBtn = h("button", { id: "save-tag", disabled: true }, "save selection as tag");
  const status = h("span", { id: "map-status", className: "muted" }, `${n.toLocaleString()} samples · drag a box to select`);
  const legend = h("div", { className: "legend", id: "legend" });
  wrap.append(h("div", { className: "controls" },
    h("label", {}, "embeddings ", sel("emb", o.embedding_sets.map((e) => [e.name, e.name]).reverse(), m.embeddings, (e) => go({ embeddings: e.target.value }))),
    h("label", {}, "colour by ", sel("color", colorOpts, color, (e) => go({ color: e.target.value }))),
    nameBox, saveBtn, status), legend);
  const points = h("canvas", { id: "points" }), overlay = h("canvas", { id: "overlay" });
  const box = h("div", { className: "mapwrap" }, points, overlay);
  wrap.append(box);

  // colours: one string per point, and the drawing order (highlighted groups last)
  const colours = new Array(n).fill(GREY);
  if (vals && values.kind === "tag") {
    for (let i = 0; i < n; i++) if (vals[i] > 0) colours[i] = "#d62728";
    legend.append(h("span", {}, h("i", { style: `background:#d62728` }), color.slice(4)), h("span", {}, h("i", {}), "others"));
  } else if (vals && values.kind === "score") {
    const span = values.max - values.min || 1;
    for (let i = 0; i < n; i++) colours[i] = ramp((vals[i] - values.min) / span);
    legend.append(h("span", {}, `${color.slice(6)}: ${values.min.toFixed(3)} (dark) … ${values.max.toFixed(3)} (yellow)`));
  } else if (vals && values.kind === "category") {
    for (let i = 0; i < n; i++) colours[i] = PALETTE[vals[i] % PALETTE.length];
    values.categories.forEach((c, k) => legend.append(h("span", {}, h("i", {}), c || "(none)")));
  }
  for (const [k, i] of legend.querySelectorAll("i").entries()) {
    if (values && values.kind === "category") i.style.background = PALETTE[k % PALETTE.length];
    else if (!i.style.background) i.style.background = GREY;
  }

  let sx = new Float32Array(n), sy = new Float32Array(n), cell = new Map(), selected = [];
  let zoom = 1, panX = 0, panY = 0;  // the view on top of the fitted layout (wheel zooms)
  const CELL = 10;
  const layout = () => {
    const dpr = window.devicePixelRatio || 1;
    const W = box.clientWidth, H = box.clientHeight;
    for (const c of [points, overlay]) { c.width = W * dpr; c.height = H * dpr; c.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0); }
    const [bx0, by0, bx1, by1] = m.bounds, pad = 16;
    const s = Math.min((W - 2 * pad) / ((bx1 - bx0) || 1), (H - 2 * pad) / ((by1 - by0) || 1));
    const ox = (W - s * (bx1 - bx0)) / 2, oy = (H - s * (by1 - by0)) / 2;
    cell = new Map();
    for (let i = 0; i < n; i++) {
      sx[i] = (ox + (xy[2 * i] - bx0) * s) * zoom + panX;
      sy[i] = (H - (oy + (xy[2 * i + 1] - by0) * s)) * zoom + panY;
      const key = Math.floor(sx[i] / CELL) * 65536 + Math.floor(sy[i] / CELL);
      const list = cell.get(key);
      if (list) list.push(i); else cell.set(key, [i]);
    }
    draw();
    drawOverlay(null);
  };
  const draw = () => {
    const ctx = points.getContext("2d");
    ctx.clearRect(0, 0, points.width, points.height);
    const r = n > 20000 ? 1.5 : n > 2000 ? 2.5 : 4;
    const groups = new Map();
    for (let i = 0; i < n; i++) {
      const g = groups.get(colours[i]);
      if (g) g.push(i); else groups.set(colours[i], [i]);
    }
    const order = [...groups.keys()].sort((a, b) => (a === GREY ? -1 : b === GREY ? 1 : 0));
    for (const c of order) {
      ctx.fillStyle = c;
      for (const i of groups.get(c)) ctx.fillRect(sx[i] - r, sy[i] - r, 2 * r, 2 * r);
    }
    points.dataset.drawn = String(n);
  };
  const drawOverlay = (rect, poly) => {
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    ctx.strokeStyle = "#111"; ctx.lineWidth = 1;
    for (const i of selected) ctx.strokeRect(sx[i] - 3, sy[i] - 3, 6, 6);
    ctx.fillStyle = "rgba(37,99,235,.12)"; ctx.strokeStyle = "#2563eb";
    if (rect) {
      ctx.fillRect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]);
      ctx.strokeRect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]);
    }
    if (poly && poly.length > 1) {
      ctx.beginPath(); ctx.moveTo(poly[0][0], poly[0][1]);
      for (const [px, py] of poly.slice(1)) ctx.lineTo(px, py);
      ctx.closePath(); ctx.fill(); ctx.stroke();
    }
  };
  // even-odd rule: is (x, y) inside the closed polygon?
  const inside = (poly, x, y) => {
    let hit = false;
    for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
      const [xa, ya] = poly[a], [xb, yb] = poly[b];
      if ((ya > y) !== (yb > y) && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) hit = !hit;
    }
    return hit;
  };
  const nearest = (x, y) => {
    let best = -1, bestD = 36;
    const cx = Math.floor(x / CELL), cy = Math.floor(y / CELL);
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) {
      for (const i of cell.get((cx + dx) * 65536 + cy + dy) || []) {
        const d = (sx[i] - x) ** 2 + (sy[i] - y) ** 2;
        if (d < bestD) { bestD = d; best = i; }
      }
    }
    return best;
  };
  const tip = document.getElementById("tooltip");
  const pos = (e) => { const b = overlay.getBoundingClientRect(); return [e.clientX - b.left, e.clientY - b.top]; };
  let start = null, path = [];
  overlay.addEventListener("mousedown", (e) => { start = pos(e); path = [start]; e.preventDefault(); });
  overlay.addEventListener("mousemove", (e) => {
    const [x, y] = pos(e);
    if (start) {
      tip.hidden = true;
      if (mode.value === "lasso") { path.push([x, y]); drawOverlay(null, path); return; }
      drawOverlay([Math.min(start[0], x), Math.min(start[1], y), Math.max(start[0], x), Math.max(start[1], y)]);
      return;
    }
    const i = nearest(x, y);
    if (i < 0) { tip.hidden = true; return; }
    tip.replaceChildren(h("img", { src: thumbUrl(ids[i], 192), alt: "" }), `sample #${ids[i]}`);
    tip.style.left = `${e.clientX + 14}px`; tip.style.top = `${e.clientY + 14}px`;
    tip.hidden = false;
  });
  overlay.addEventListener("mouseleave", () => { tip.hidden = true; });
  overlay.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [x, y] = pos(e), f = e.deltaY < 0 ? 1.25 : 0.8;
    zoom *= f; panX = x - (x - panX) * f; panY = y - (y - panY) * f;
    layout();
  }, { passive: false });
  const reset = h("button", { id: "reset-view", onclick: () => { zoom = 1; panX = panY = 0; layout(); } }, "reset view");
  const mode = h("select", { id: "mode" }, h("option", { value: "box" }, "box"), h("option", { value: "lasso" }, "lasso"));
  legend.append(h("span", { className: "muted" }, "wheel: zoom · drag: select · click: open"),
    h("label", {}, "select with ", mode), reset);
  window.addEventListener("mouseup", function up(e) {
    if (!document.body.contains(overlay)) { window.removeEventListener("mouseup", up); return; }
    if (!start) return;
    const [x, y] = pos(e), s = start;
    start = null;
    if (Math.abs(x - s[0]) < 3 && Math.abs(y - s[1]) < 3) {
      const i = nearest(x, y);
      if (i >= 0) location.hash = `#/sample/${ids[i]}`;
      return;
    }
    const poly = mode.value === "lasso" ? [...path, [x, y]] : null;
    const xs = poly ? poly.map((p) => p[0]) : [s[0], x], ys = poly ? poly.map((p) => p[1]) : [s[1], y];
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    selected = [];
    for (let i = 0; i < n; i++) {
      if (sx[i] >= x0 && sx[i] <= x1 && sy[i] >= y0 && sy[i] <= y1 && (!poly || inside(poly, sx[i], sy[i]))) selected.push(i);
    }
    drawOverlay(null);
    status.textContent = `${selected.length.toLocaleString()} selected`;
    saveBtn.disabled = selected.length === 0;
  });
  saveBtn.addEventListener("click", async () => {
    const name = nameBox.value.trim();
    if (!name) { status.textContent = "give the new tag a name"; return; }
    saveBtn.disabled = true;
    try {
      const made = await api("/api/tags", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name, sample_ids: selected.map((i) => ids[i]), embeddings: m.embeddings,
          note: "box on the embedding map" }),
      });
      status.replaceChildren(`created tag ${made.name} with ${made.size} samples · `,
        h("a", { href: `#/grid${query({ tag: made.name })}` }, "see it"));
      status.className = "ok";
      await overview(true);
    } catch (err) {
      status.textContent = `error: ${err.message}`;
      status.className = "error";
      saveBtn.disabled = false;
    }
  });
  // for tests and the console: a point's position on the canvas, and its sample id
  window.alpickMap = { n, point: (i) => [sx[i], sy[i]], id: (i) => ids[i] };
  requestAnimationFrame(layout);
  return wrap;
}
