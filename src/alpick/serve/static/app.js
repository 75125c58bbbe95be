// alpick serve: the router, the overview and the grid. Other pages live in pages.js and map.js.
import { h, api, query, fmt, frame, applyConfidence, thumbUrl } from "/static/util.js";
import { samplePage, selectionPage, curvesPage } from "/static/pages.js";
import { mapPage } from "/static/map.js";

const main = document.getElementById("main");
let overviewCache = null;

export async function overview(fresh = false) {
  if (!overviewCache || fresh) overviewCache = await api("/api/overview");
  return overviewCache;
}

function tagTree(tags) {
  const children = new Map();
  for (const t of tags) {
    const key = t.parent || "";
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(t);
  }
  const names = new Set(tags.map((t) => t.name));
  const build = (parent) => h("ul", { className: "tree" },
    (children.get(parent) || []).map((t) => h("li", { "data-tag": t.name },
      h("div", { className: "tagline" },
        h("b", {}, t.name),
        h("span", { className: "pill" }, t.method),
        h("span", {}, `${fmt(t.size)} samples`),
        t.seed !== null ? h("span", { className: "muted" }, `seed ${t.seed}`) : null,
        h("span", { className: "muted" }, t.created_at),
        h("a", { href: `#/grid${query({ tag: t.name })}` }, "grid"),
        h("a", { href: `#/selection/${encodeURIComponent(t.name)}` }, "selection"),
        h("a", { href: `#/map${query({ color: `tag:${t.name}` })}` }, "map")),
      h("details", {}, h("summary", { className: "muted" }, "config"),
        h("pre", {}, JSON.stringify(t.config, null, 2))),
      build(t.name))));
  const roots = tags.filter((t) => !t.parent || !names.has(t.parent)).map((t) => t.parent || "");
  return h("div", {}, [...new Set(roots)].map(build));
}

function table(headers, rows, empty = "none") {
  if (!rows.length) return h("p", { className: "muted" }, empty);
  return h("table", {}, h("tr", {}, headers.map((x) => h("th", {}, x))),
    rows.map((r) => h("tr", {}, r.map((c) => h("td", { className: typeof c === "number" ? "num" : null },
      typeof c === "number" ? fmt(c) : c)))));
}

async function overviewPage() {
  const o = await overview(true);
  const stat = (label, value) => h("div", { className: "card-stat" }, h("b", {}, fmt(value)), label);
  return h("div", { id: "overview" },
    h("h1", {}, `Project ${o.project}`),
    h("div", { className: "cards" },
      stat("samples", o.samples), stat("annotated (data/train)", o.annotated),
      stat("not annotated", o.samples - o.annotated), stat("with ground-truth boxes", o.with_boxes),
      stat("ground-truth boxes", o.boxes), stat("tags", o.tags.length)),
    h("p", { className: "muted" }, `classes: ${o.classes.join(", ") || "none"}`),
    h("h2", {}, "Tags"),
    o.tags.length ? tagTree(o.tags) : h("p", { className: "muted" }, "no tags yet"),
    h("h2", {}, "Prediction sets"),
    table(["name", "source", "classes", "samples", "boxes", "created"],
      o.prediction_sets.map((p) => [p.name, p.source, p.classes.join(", "), p.samples, p.boxes, p.created_at])),
    h("h2", {}, "Score sets"),
    table(["name", "from predictions", "scores", "created"],
      o.score_sets.map((s) => [s.name, s.prediction_set, s.scores.join(", "), s.created_at]),
      o.scores.length ? "none stored; the grid and the map use scores computed from the latest prediction set" : "none"),
    h("h2", {}, "Embedding sets"),
    table(["name", "model", "dim", "rows", "created"],
      o.embedding_sets.map((e) => [e.name, e.model, e.dim, e.rows, e.created_at])),
    h("h2", {}, "Simulations"),
    o.simulations.length
      ? h("ul", {}, o.simulations.map((s) => h("li", {}, h("a", { href: "#/curves" }, s.name), ` — ${s.rounds} rounds`)))
      : h("p", { className: "muted" }, "none found in or beside the project folder"),
    o.metadata.length ? h("p", { className: "muted" }, `metadata columns: ${o.metadata.join(", ")}`) : null);
}

const PAGE = 48;

async function gridPage(params) {
  const o = await overview();
  const state = Object.fromEntries(params.entries());
  const page = Math.max(0, parseInt(state.page || "0", 10) || 0);
  const minConf = Number(state.conf ?? 0.3);
  const data = await api(`/api/samples${query({
    offset: page * PAGE, limit: PAGE, tag: state.tag, not_tag: state.not_tag, score: state.score,
    min_score: state.min, max_score: state.max, meta: state.meta, meta_value: state.meta_value,
    sort: state.sort, order: state.order, predictions: state.predictions })}`);

  const metaValues = state.meta ? (await api(`/api/values${query({ color: `meta:${state.meta}` })}`)).categories : [];
  const go = (changes) => {
    const next = { ...state, ...changes };
    if (!("page" in changes)) next.page = 0;
    if ("meta" in changes && !("meta_value" in changes)) next.meta_value = "";
    location.hash = `#/grid${query(next)}`;
  };
  const select = (name, options, value) => h("select", { name, onchange: (e) => go({ [name]: e.target.value }) },
    options.map(([v, label]) => { const o2 = h("option", { value: v }, label); if (v === (value || "")) o2.selected = true; return o2; }));
  const tagOpts = [["", "any"], ...o.tags.map((t) => [t.name, t.name])];
  const scoreOpts = [["", "none"], ...o.scores.map((s) => [s, s])];
  const numberBox = (name, value) => h("input", { type: "number", step: "any", name, value: value ?? "",
    onchange: (e) => go({ [name]: e.target.value }) });
  const wrap = h("div", { id: "grid-page", className: "" });
  const slider = h("input", { type: "range", min: 0, max: 1, step: 0.05, value: minConf, id: "conf" });
  const confLabel = h("span", {}, minConf.toFixed(2));
  slider.addEventListener("input", () => {
    confLabel.textContent = Number(slider.value).toFixed(2);
    applyConfidence(wrap, Number(slider.value));
  });
  slider.addEventListener("change", () => history.replaceState(null, "", `#/grid${query({ ...state, conf: slider.value })}`));
  const toggle = (id, label, cls) => {
    const cb = h("input", { type: "checkbox", id, checked: true });
    cb.addEventListener("change", () => wrap.classList.toggle(cls, !cb.checked));
    return h("label", {}, cb, label);
  };
  const controls = h("div", { className: "controls" },
    h("label", {}, "tag ", select("tag", tagOpts, state.tag)),
    h("label", {}, "not in ", select("not_tag", [["", "—"], ...tagOpts.slice(1)], state.not_tag)),
    h("label", {}, "score ", select("score", scoreOpts, state.score)),
    h("label", {}, "min ", numberBox("min", state.min)),
    h("label", {}, "max ", numberBox("max", state.max)),
    o.metadata.length ? h("label", {}, "metadata ", select("meta", [["", "—"], ...o.metadata.map((m) => [m, m])], state.meta)) : null,
    state.meta ? h("label", {}, "= ", select("meta_value", [["", "any"], ...metaValues.map((v) => [v, v || "(none)"])],
      state.meta_value)) : null,
    h("label", {}, "sort ", select("sort", [["", "id"], ...o.scores.map((s) => [s, s])], state.sort)),
    h("label", {}, select("order", [["desc", "high first"], ["asc", "low first"]], state.order || "desc")),
    o.prediction_sets.length > 1 ? h("label", {}, "predictions ", select("predictions",
      o.prediction_sets.map((p) => [p.name, p.name]).reverse(), state.predictions || data.predictions)) : null,
    toggle("show-gt", " ground truth", "hide-gt"),
    toggle("show-pred", " predictions", "hide-pred"),
    h("label", {}, "confidence ≥ ", slider, confLabel));
  const pages = Math.max(1, Math.ceil(data.total / PAGE));
  const pager = h("div", { className: "pager" },
    h("button", { disabled: page === 0, onclick: () => go({ page: page - 1 }) }, "‹ prev"),
    h("span", { id: "count" }, `${fmt(data.total)} samples · page ${page + 1} of ${pages}`),
    h("button", { disabled: page + 1 >= pages, onclick: () => go({ page: page + 1 }) }, "next ›"),
    h("span", { className: "muted" }, "green: ground truth · orange dashed: predictions"));
  const cells = data.items.map((it) => h("div", { className: "cell", "data-id": it.id },
    frame(thumbUrl(it.id), it.width, it.height, it.gt, it.pred, { minConf, href: `#/sample/${it.id}` }),
    h("div", { className: "cap" }, h("span", { title: it.path }, it.path),
      it.score !== null ? h("b", {}, fmt(it.score)) : h("span", { className: "muted" }, `${it.gt.length} gt`))));
  wrap.append(h("h1", {}, "Samples"), controls, pager, h("div", { className: "grid", id: "grid" }, cells));
  return wrap;
}

const routes = {
  "": overviewPage,
  grid: gridPage,
  sample: samplePage,
  map: mapPage,
  selection: selectionPage,
  curves: curvesPage,
};

let generation = 0;

async function route() {
  const [path, qs] = (location.hash.slice(1) || "/").split("?");
  const parts = path.split("/").filter(Boolean);
  const name = parts[0] || "";
  const page = routes[name];
  for (const a of document.querySelectorAll("header nav a")) {
    a.classList.toggle("active", (a.dataset.page === "overview" ? "" : a.dataset.page) === name);
  }
  document.getElementById("tooltip").hidden = true;
  const mine = ++generation;
  try {
    if (!page) throw new Error(`no page ${name}`);
    const el = await page(new URLSearchParams(qs || ""), parts.slice(1).map(decodeURIComponent));
    if (mine === generation) main.replaceChildren(el);
  } catch (e) {
    if (mine === generation) main.replaceChildren(h("p", { className: "error", id: "error" }, String(e.message || e)));
  }
}

window.addEventListener("hashchange", route);
overview().then((o) => { document.getElementById("project").textContent = o.project; }).catch(() => {});
route();
