// The sample page, the selection page of a tag, and the learning curves of simulations.
import { h, api, query, fmt, frame, thumbUrl, PALETTE } from "/static/util.js";

export async function samplePage(params, args) {
  const id = args[0];
  if (!/^\d+$/.test(id || "")) throw new Error("no sample id in the address");
  const s = await api(`/api/samples/${id}${query({ predictions: params.get("predictions") })}`);
  const pred = s.boxes.map((b) => [...b.xyxy, b.class_id, b.confidence]);
  const view = frame(`/api/samples/${s.id}/image`, s.width, s.height, s.gt, pred);
  view.id = "full";
  const rects = view.querySelectorAll("rect.pred");
  const probsHead = s.boxes.some((b) => b.probs) ? "class probabilities" : null;
  const rows = s.boxes.map((b, i) => {
    const tr = h("tr", { "data-box": i },
      h("td", { className: "num" }, i + 1), h("td", {}, b.class), h("td", { className: "num" }, fmt(b.confidence)),
      h("td", { className: "num" }, b.xyxy.map((v) => Math.round(v)).join(", ")),
      probsHead ? h("td", {}, b.probs ? b.probs.map((p) => p.toFixed(2)).join(" · ") : "—") : null);
    tr.addEventListener("mouseenter", () => rects[i] && rects[i].classList.add("hot"));
    tr.addEventListener("mouseleave", () => rects[i] && rects[i].classList.remove("hot"));
    return tr;
  });
  const boxTable = s.boxes.length
    ? h("table", { id: "boxes" }, h("tr", {}, ["#", "class", "confidence", "box (x0, y0, x1, y1)", probsHead]
      .filter(Boolean).map((x) => h("th", {}, x))), rows)
    : h("p", { className: "muted" }, s.predictions ? "no predicted boxes" : "no prediction set");
  const kv = (obj) => h("table", {}, Object.entries(obj).map(([k, v]) =>
    h("tr", {}, h("th", {}, k), h("td", { className: typeof v === "number" ? "num" : null }, fmt(v, 4)))));
  return h("div", { id: "sample-page" },
    h("h1", {}, s.path, h("span", { className: "muted" }, `  #${s.id} · ${s.width}×${s.height}`)),
    h("div", { className: "pager" },
      s.prev !== null ? h("a", { href: `#/sample/${s.prev}` }, "‹ previous") : null,
      s.next !== null ? h("a", { href: `#/sample/${s.next}` }, "next ›") : null,
      h("a", { href: "#/grid" }, "grid")),
    h("div", { className: "sample" },
      h("div", {}, view, h("p", { className: "muted" },
        `${s.gt.length} ground-truth boxes (green) · ${s.boxes.length} predicted (orange${s.predictions ? `, set ${s.predictions}` : ""})`)),
      h("div", {},
        h("h2", {}, "Tags"),
        s.tags.length ? h("p", { id: "tags" }, s.tags.map((t) => h("a", { className: "pill", href: `#/grid${query({ tag: t })}` }, t)))
          : h("p", { className: "muted" }, "in no tag"),
        h("h2", {}, "Scores"), Object.keys(s.scores).length ? kv(s.scores) : h("p", { className: "muted" }, "no scores"),
        Object.keys(s.metadata).length ? [h("h2", {}, "Metadata"), kv(s.metadata)] : null,
        h("h2", {}, "Predicted boxes"), boxTable,
        h("h2", {}, `Nearest neighbours${s.embeddings ? ` (${s.embeddings})` : ""}`),
        s.neighbours.length ? h("div", { className: "neighbours", id: "neighbours" }, s.neighbours.map((n) =>
          h("a", { href: `#/sample/${n.id}`, title: n.path }, h("img", { src: thumbUrl(n.id, 128), alt: "" }),
            `${n.path.split("/").pop()} · ${n.distance.toFixed(3)}`)))
          : h("p", { className: "muted" }, "no embeddings"))));
}

export async function selectionPage(params, args) {
  const name = args[0];
  if (!name) throw new Error("no tag in the address");
  const s = await api(`/api/tags/${encodeURIComponent(name)}/selection`);
  const rows = s.picks.map((p) => h("tr", {},
    h("td", { className: "num" }, p.order),
    h("td", {}, h("a", { href: `#/sample/${p.id}` }, h("img", { className: "thumbsmall", src: thumbUrl(p.id, 96), alt: "", loading: "lazy" }))),
    h("td", {}, h("a", { href: `#/sample/${p.id}` }, p.path)),
    h("td", { className: "num" }, fmt(p.score, 4)),
    h("td", { className: "num" }, fmt(p.distance, 4))));
  return h("div", { id: "selection-page" },
    h("h1", {}, `Selection ${s.name}`),
    h("p", {}, h("span", { className: "pill" }, s.method), ` ${fmt(s.picks.length)} picks`,
      s.parent ? [" on top of ", h("a", { href: `#/selection/${encodeURIComponent(s.parent)}` }, s.parent), ` (${fmt(s.preselected)} preselected)`] : "",
      s.seed !== null ? ` · seed ${s.seed}` : "", ` · ${s.created_at} · `,
      h("a", { href: `#/grid${query({ tag: s.name, not_tag: s.parent })}` }, "grid of the picks")),
    h("p", { className: "muted" }, "score: ", s.score || "none recorded",
      " · distance: to the nearest sample chosen before (L2-normalized embeddings ", s.embeddings || "none recorded", ")"),
    h("table", { id: "picks" }, h("tr", {}, ["order", "", "image", "score", "distance"].map((x) => h("th", {}, x))), rows),
    h("h2", {}, "Config"), h("pre", {}, JSON.stringify(s.config, null, 2)));
}

function drawCurves(canvas, rounds, metric) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = { l: 56, r: 150, t: 20, b: 40 };
  ctx.clearRect(0, 0, W, H);
  const groups = new Map();
  for (const r of rounds) {
    if (!(metric in r.metrics)) continue;
    const key = r.strategy;
    if (!groups.has(key)) groups.set(key, new Map());
    const byN = groups.get(key);
    if (!byN.has(r.n_labelled)) byN.set(r.n_labelled, []);
    byN.get(r.n_labelled).push(r.metrics[metric]);
  }
  const series = [...groups.entries()].map(([k, byN]) => [k, [...byN.entries()]
    .map(([n, v]) => [n, v.reduce((a, b) => a + b, 0) / v.length]).sort((a, b) => a[0] - b[0])]);
  const pts = series.flatMap(([, p]) => p);
  if (!pts.length) { ctx.fillText(`no rounds with ${metric}`, 20, 30); return; }
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= 0.05; y1 += 0.05; }
  const X = (x) => pad.l + (x - x0) / (x1 - x0) * (W - pad.l - pad.r);
  const Y = (y) => H - pad.b - (y - y0) / (y1 - y0) * (H - pad.t - pad.b);
  ctx.strokeStyle = "#999"; ctx.fillStyle = "#333"; ctx.font = "12px sans-serif";
  ctx.beginPath(); ctx.moveTo(pad.l, pad.t); ctx.lineTo(pad.l, H - pad.b); ctx.lineTo(W - pad.r, H - pad.b); ctx.stroke();
  for (let i = 0; i <= 4; i++) {
    const y = y0 + (y1 - y0) * i / 4, x = x0 + (x1 - x0) * i / 4;
    ctx.fillText(y.toFixed(3), 6, Y(y) + 4);
    ctx.fillText(String(Math.round(x)), X(x) - 8, H - pad.b + 16);
  }
  ctx.fillText("labelled images", (W - pad.r) / 2, H - 6);
  series.forEach(([name, p], i) => {
    ctx.strokeStyle = ctx.fillStyle = PALETTE[i % PALETTE.length];
    ctx.lineWidth = 2; ctx.beginPath();
    p.forEach(([x, y], j) => (j ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    for (const [x, y] of p) { ctx.beginPath(); ctx.arc(X(x), Y(y), 3, 0, 7); ctx.fill(); }
    ctx.fillText(name, W - pad.r + 12, pad.t + 16 * (i + 1));
  });
}

export async function curvesPage(params) {
  const data = await api("/api/simulations");
  const wrap = h("div", { id: "curves-page" }, h("h1", {}, "Learning curves"));
  if (!data.simulations.length) {
    wrap.append(h("p", { className: "muted" }, "no simulation (rounds.jsonl) in or beside the project folder; run `alpick simulate --out DIR`"));
    return wrap;
  }
  for (const sim of data.simulations) {
    const metrics = [...new Set(sim.rounds.flatMap((r) => Object.keys(r.metrics)))];
    const chosen = params.get("metric") && metrics.includes(params.get("metric")) ? params.get("metric")
      : metrics.includes("AP50") ? "AP50" : metrics[0];
    const canvas = h("canvas", { width: 760, height: 320, className: "curve", "data-sim": sim.name });
    const pick = h("select", {}, metrics.map((m) => { const o = h("option", { value: m }, m); if (m === chosen) o.selected = true; return o; }));
    pick.addEventListener("change", () => drawCurves(canvas, sim.rounds, pick.value));
    wrap.append(h("h2", {}, sim.name, h("span", { className: "muted" }, ` · ${sim.rounds.length} rounds · `), pick), canvas);
    if (chosen) drawCurves(canvas, sim.rounds, chosen);
  }
  return wrap;
}
