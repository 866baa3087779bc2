/* gankit serve: the browser page (plain JS, no framework, nothing fetched from elsewhere).
 *
 * The HTTP API it calls is docs/serve.md. Sections below: helpers, errors, tabs, charts, then the
 * Runs view (run list, seed grid, codes, interpolation, style mixing, translation, nearest, curves)
 * and the Lab view (options, sessions, controls, custom points, live frames, drawing).
 *
 * Element ids that tests rely on:
 *   tabs and errors: #tab-runs #tab-lab #view-runs #view-lab #error (#error-text, #error-close)
 *   runs:        #run-list (buttons with data-run-id), #run-panel, #run-title, #run-note (2D point runs)
 *   sampling:    #seed #resample #truncation #truncation-value #ema #class-picker
 *   grid:        #grid (img with data-seed) #picked-seed #command #copy-command
 *   sound/text:  #media-section #media-seed #media-resample #media-class #media-temperature
 *                #media-list (li.media-item: audio + img.spectrogram, or q.sample-text; code.command)
 *   codes:       #codes (#code-cat select, #code-cont-<i> ranges) #code-image
 *   interpolate: #interp-a #interp-b #interp-steps #interp-space #interp-go #interp-strip
 *                #interp-anim #interp-anim-toggle
 *   style mix:   #mix-rows #mix-cols #mix-crossover #mix-crossover-value #mix-go #mix-grid
 *                #mix-presets (buttons with data-crossover)
 *   translate:   #translate-file #translate-draw #translate-clear #translate-invert #translate-ink
 *                #translate-direction #translate-go #translate-input #translate-output
 *   nearest:     #nearest-go #nearest-sample (in #nearest-sample-box) #nearest-list #nearest-features
 *   curves:      #curve-key #curves #alarm-list
 *   lab:         #lab-dataset #lab-model #lab-lr-d #lab-lr-g #lab-n-critic #lab-seed #lab-new
 *                #lab-play #lab-step #lab-step-d #lab-step-g #lab-clear #lab-point-count
 *                #lab-canvas #lab-show-{heatmap,grid,real,fake,arrows}
 *                #lab-step-count #lab-modes #lab-energy #lab-losses #lab-energy-chart
 */
"use strict";

/* ============================== helpers ============================== */

const $ = (id) => document.getElementById(id);
const MAX_SEED = 2 ** 31 - 1;
const GRID_SIZE = 16;

/** Make an element: el("img", {className: "sample", src}) with children appended. */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function clampInt(value, lo, hi, fallback) {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
}

function fmt(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return "n/a";
  const v = Number(value);
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(2);
  return v.toFixed(digits);
}

/** An error whose message is meant for the user (a server's {"error"} line or a bad field): shown, not logged. */
class PageError extends Error {}

/** fetch JSON; resolves to the answer, rejects with PageError carrying the server's {"error"} line. */
async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new PageError(`cannot reach the gankit server (${err.message}); is 'gankit serve' still running?`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    const message = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new PageError(message);
  }
  clearError();
  return data;
}

/* One "channel" per kind of request: only the latest request's answer on a channel is used, so a
 * slow answer to an older slider position never overwrites a newer one. */
const latest = {};

function request(channel, method, path, body, onAnswer, onDone) {
  const ticket = (latest[channel] = (latest[channel] || 0) + 1);
  return api(method, path, body)
    .then((data) => {
      if (ticket === latest[channel]) onAnswer(data);
    })
    .catch((err) => {
      if (ticket === latest[channel]) showError(err);
    })
    .finally(() => {
      if (onDone && ticket === latest[channel]) onDone();
    });
}

/** Forget every pending answer (a new run was chosen). */
function dropPending() {
  for (const key of Object.keys(latest)) latest[key] += 1;
}

/* ============================== errors ============================== */

function showError(err) {
  const message = err instanceof Error ? err.message : String(err);
  $("error-text").textContent = message;
  $("error").hidden = false;
  if (!(err instanceof PageError) && err instanceof Error) console.warn(err);
}

function clearError() {
  $("error").hidden = true;
  $("error-text").textContent = "";
}

/* ============================== tabs ============================== */

function showTab(name) {
  for (const tab of ["runs", "lab"]) {
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    $(`view-${tab}`).hidden = tab !== name;
  }
  if (history.replaceState) history.replaceState(null, "", name === "lab" ? "#lab" : "#runs");
  if (name === "lab") labEnter();
  else drawCurves();
}

/* ============================== canvas helpers and charts ============================== */

/** Size a canvas's backing store to its CSS box (times the pixel ratio); returns ctx in CSS pixels. */
function prepCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

/** About `count` round tick values covering [lo, hi]. */
function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return { ticks: [lo], step: 1 };
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
  return { ticks, step };
}

function tickLabel(value, step) {
  if (Math.abs(value) >= 1e5) return value.toExponential(1);
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return value.toFixed(Math.min(digits, 6));
}

/**
 * A line chart: series = [{name, color, points: [[x, y]]}], bands = [{x0, x1}] shaded over the
 * whole height (alarm episodes). Non-finite values are skipped.
 */
function drawChart(canvas, series, { bands = [], xLabel = "step", empty = "no data yet" } = {}) {
  const { ctx, w, h } = prepCanvas(canvas);
  const pad = { l: 54, r: 18, t: 22, b: 30 };
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  ctx.font = "11px system-ui, sans-serif";
  if (!all.length) {
    ctx.fillStyle = "#888";
    ctx.textAlign = "center";
    ctx.fillText(empty, w / 2, h / 2);
    return;
  }
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of all) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  for (const band of bands) {
    x0 = Math.min(x0, band.x0);
    x1 = Math.max(x1, band.x1);
  }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
  const margin = (y1 - y0) * 0.05;
  y0 -= margin;
  y1 += margin;
  const px = (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const py = (y) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);

  // alarm bands, each with its name at the top
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  for (const band of bands) {
    const left = px(band.x0);
    ctx.fillStyle = "rgba(221, 51, 51, 0.16)";
    ctx.fillRect(left, pad.t, Math.max(3, px(band.x1) - left), h - pad.t - pad.b);
    if (band.label) {
      ctx.fillStyle = "rgba(170, 30, 30, 0.85)";
      ctx.fillText(band.label, Math.min(left + 3, w - pad.r - ctx.measureText(band.label).width), pad.t + 3);
    }
  }

  // grid lines and tick labels
  ctx.strokeStyle = "#eee";
  ctx.fillStyle = "#555";
  ctx.lineWidth = 1;
  const yt = niceTicks(y0, y1, 5);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yt.ticks) {
    ctx.beginPath();
    ctx.moveTo(pad.l, Math.round(py(t)) + 0.5);
    ctx.lineTo(w - pad.r, Math.round(py(t)) + 0.5);
    ctx.stroke();
    ctx.fillText(tickLabel(t, yt.step), pad.l - 5, py(t));
  }
  const xt = niceTicks(x0, x1, Math.max(2, Math.floor((w - pad.l) / 90)));
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of xt.ticks) {
    ctx.beginPath();
    ctx.moveTo(Math.round(px(t)) + 0.5, pad.t);
    ctx.lineTo(Math.round(px(t)) + 0.5, h - pad.b);
    ctx.stroke();
    ctx.fillText(tickLabel(t, xt.step), px(t), h - pad.b + 4);
  }
  ctx.textAlign = "right";
  ctx.fillText(xLabel, w - pad.r, h - 12);
  ctx.strokeStyle = "#bbb";
  ctx.strokeRect(pad.l + 0.5, pad.t + 0.5, w - pad.l - pad.r, h - pad.t - pad.b);

  // series and legend
  let legendX = pad.l;
  for (const s of series) {
    const pts = s.points.filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(px(p[0]), py(p[1])) : ctx.moveTo(px(p[0]), py(p[1]))));
    ctx.stroke();
    if (pts.length === 1) {
      ctx.beginPath();
      ctx.arc(px(pts[0][0]), py(pts[0][1]), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.fillRect(legendX, 8, 14, 3);
    ctx.fillStyle = "#333";
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(s.name, legendX + 18, 10);
    legendX += 28 + ctx.measureText(s.name).width;
  }
}

const COLORS = ["#2a6fdb", "#e66101", "#1a9850", "#7b3294", "#d33", "#555", "#b8860b", "#0aa"];

/* ============================== Runs: state ============================== */

const runs = {
  list: [],
  info: null, // RunInfo of the chosen run
  picked: null, // picked seed
  commands: new Map(), // seed -> gankit sample command of the latest grid
  curves: null, // {records, alarms}
  anim: { frames: [], index: 0, dir: 1, timer: null, playing: true },
  translateSource: "draw", // "draw" or "file"
  translateFile: null, // data URL of the chosen file
};

function runId() {
  return runs.info ? runs.info.id : null;
}

/** Runs that draw images from seeds (not translation runs, not 2D point runs). */
function isLatent(info) {
  return !info.translation && info.kind !== "points" && !info.media;
}

/** The options every sampling request shares: psi, class and which G. */
function sampleOptions() {
  const info = runs.info;
  return {
    psi: info.truncation_space ? Number($("truncation").value) : null,
    class: info.conditional ? Number($("class-picker").value) : null,
    ema: info.ema ? $("ema").checked : false,
  };
}

/* ============================== Runs: run list ============================== */

function loadRuns() {
  request("runs", "GET", "/api/runs", undefined, (data) => {
    runs.list = data.runs || [];
    renderRunList();
    if (runs.list.length === 1) selectRun(runs.list[0].id);
  });
}

function renderRunList() {
  const list = $("run-list");
  list.replaceChildren();
  if (!runs.list.length) {
    list.append(el("li", { className: "note", textContent: "No runs found in the served folders." }));
    return;
  }
  for (const run of runs.list) {
    const best = run.best ? `${run.best.metric} ${fmt(run.best.value)} @ ${run.best.step}` : "not evaluated";
    const button = el(
      "button",
      { type: "button", dataset: { runId: run.id }, title: run.id },
      el("span", { className: "name", textContent: run.name || run.id }),
      el("span", { className: "meta", textContent: `${run.model} · ${run.dataset} · step ${run.step ?? "–"}` }),
      el("span", { className: "best", textContent: best }),
    );
    button.addEventListener("click", () => selectRun(run.id));
    list.append(el("li", {}, button));
  }
}

function selectRun(id) {
  dropPending();
  for (const button of $("run-list").querySelectorAll("[data-run-id]")) {
    button.setAttribute("aria-current", String(button.dataset.runId === id));
  }
  request("info", "GET", `/api/runs/info?run=${encodeURIComponent(id)}`, undefined, (info) => {
    runs.info = info;
    runs.picked = null;
    runs.curves = null;
    renderRunPanel(info);
    if (isLatent(info)) requestGrid();
    if (info.media) requestMedia();
    loadCurves();
  });
}

/* ============================== Runs: panel and controls ============================== */

function cellSize(info) {
  const shape = info.shape || [];
  const w = shape.length === 3 ? shape[2] : 0;
  if (!w) return 96;
  if (w < 72) return w * Math.max(1, Math.round(84 / w));
  return Math.min(w, 128);
}

function renderRunPanel(info) {
  $("run-empty").hidden = true;
  $("run-panel").hidden = false;
  $("view-runs").style.setProperty("--cell", `${cellSize(info)}px`);
  $("run-title").textContent = info.name || info.id;
  const shape = info.shape ? info.shape.join("×") : "";
  const best = info.best ? ` · best ${info.best.metric} ${fmt(info.best.value)} at step ${info.best.step}` : "";
  const step = info.step === null || info.step === undefined ? "–" : info.step;
  $("run-meta").textContent = `${info.model} on ${info.dataset} · ${info.kind} ${shape} · step ${step}${best}`;
  $("run-config").textContent = JSON.stringify(info.config || {}, null, 2);

  const latent = isLatent(info);
  for (const id of ["sample-controls", "grid-section", "interp-section", "nearest-section"]) $(id).hidden = !latent;
  $("run-note").hidden = info.kind !== "points";

  // truncation: latent models with a truncation space
  $("truncation-control").hidden = !info.truncation_space;
  $("truncation").value = "1";
  $("truncation-value").textContent = "1.00";

  $("ema-control").hidden = !info.ema;
  $("ema").checked = Boolean(info.ema);

  $("class-control").hidden = !info.conditional;
  const names = info.class_names && info.class_names.length ? info.class_names : null;
  $("class-picker").replaceChildren(
    ...Array.from({ length: info.conditional ? info.num_classes : 0 }, (_, i) =>
      el("option", { value: String(i), textContent: names && names[i] !== String(i) ? `${i}: ${names[i]}` : String(i) })),
  );

  $("interp-space").replaceChildren(
    el("option", { value: "z", textContent: "z" }),
    ...(info.truncation_space === "w" ? [el("option", { value: "w", textContent: "w" })] : []),
  );
  $("interp-strip").replaceChildren();
  stopAnimation();
  $("interp-anim-box").hidden = true;

  renderMedia(info.media);
  renderCodes(info.codes);
  renderStyleMix(info.style);
  renderTranslate(info.translation);
  for (const id of ["grid", "interp-strip", "mix-grid", "nearest-list"]) $(id).classList.remove("loading");
  $("nearest-list").replaceChildren();
  $("nearest-sample-box").hidden = true;
  $("nearest-features").textContent = "";
  $("grid").replaceChildren();
  $("picked-seed").textContent = "–";
  $("command").textContent = "";
}

/* ============================== Runs: sound and text samples ============================== */

/** Sound runs: 8 seeds, each a player and its spectrogram; text runs: 16 seeds, each a text. */
function renderMedia(media) {
  $("media-section").hidden = !media;
  $("media-list").replaceChildren();
  if (!media) return;
  $("media-title").textContent = media.kind === "audio" ? "Listen" : "Read";
  $("media-class-control").hidden = !media.conditional;
  const names = media.class_names || [];
  $("media-class").replaceChildren(
    ...Array.from({ length: media.conditional ? media.num_classes : 0 }, (_, i) =>
      el("option", { value: String(i), textContent: names[i] && names[i] !== String(i) ? `${i}: ${names[i]}` : String(i) })),
  );
  $("media-temperature-control").hidden = !media.temperature;
  $("media-temperature").value = "1";
  $("media-temperature-value").textContent = "1.0";
}

function requestMedia() {
  const info = runs.info;
  if (!info || !info.media) return;
  const count = info.media.kind === "audio" ? 8 : 16;
  const base = clampInt($("media-seed").value, 0, MAX_SEED - count + 1, 0);
  $("media-seed").value = String(base);
  const body = {
    run: runId(),
    seeds: Array.from({ length: count }, (_, i) => base + i),
    class: info.media.conditional ? Number($("media-class").value) : null,
    temperature: info.media.temperature ? Number($("media-temperature").value) : null,
    ema: info.ema ? $("ema").checked : false,
  };
  $("media-list").classList.add("loading");
  request("media", "POST", "/api/media", body, renderMediaItems, () => $("media-list").classList.remove("loading"));
}

const requestMediaSoon = debounce(requestMedia, 200);

function renderMediaItems(data) {
  const items = (data.items || []).map((item) => {
    const parts = [el("span", { className: "seed", textContent: `seed ${item.seed}` })];
    if (item.audio) {
      parts.push(el("img", { src: item.image, alt: `spectrogram of seed ${item.seed}`, className: "spectrogram" }));
      parts.push(el("audio", { controls: true, preload: "none", src: item.audio }));
    } else {
      parts.push(el("q", { className: "sample-text", textContent: item.text }));
    }
    parts.push(el("code", { className: "command", textContent: item.command }));
    return el("li", { className: `media-item ${data.kind}` }, ...parts);
  });
  $("media-list").replaceChildren(...items);
}

/* ============================== Runs: seed grid ============================== */

function baseSeed() {
  const seed = clampInt($("seed").value, 0, MAX_SEED - GRID_SIZE + 1, 0);
  $("seed").value = String(seed);
  return seed;
}

function requestGrid() {
  if (!runs.info || !isLatent(runs.info)) return;
  const base = baseSeed();
  const seeds = Array.from({ length: GRID_SIZE }, (_, i) => base + i);
  $("grid").classList.add("loading");
  request(
    "grid", "POST", "/api/samples", { run: runId(), seeds, ...sampleOptions() },
    (data) => renderGrid(data),
    () => $("grid").classList.remove("loading"),
  );
}

const requestGridSoon = debounce(requestGrid, 150);

function renderGrid(data) {
  const grid = $("grid");
  const seeds = data.seeds || [];
  runs.commands = new Map(seeds.map((seed, i) => [seed, (data.commands || [])[i] || ""]));
  const images = seeds.map((seed, i) => {
    const img = el("img", { src: data.images[i], alt: `seed ${seed}`, title: `seed ${seed}`, tabIndex: 0 });
    img.dataset.seed = String(seed);
    return img;
  });
  grid.replaceChildren(...images);
  pickSeed(runs.commands.has(runs.picked) ? runs.picked : seeds[0]);
}

function pickSeed(seed) {
  if (seed === undefined || seed === null) return;
  const changed = seed !== runs.picked;
  runs.picked = seed;
  $("picked-seed").textContent = String(seed);
  $("command").textContent = runs.commands.get(seed) || "";
  for (const img of $("grid").querySelectorAll("img[data-seed]")) {
    img.classList.toggle("picked", Number(img.dataset.seed) === seed);
  }
  if (changed) {
    $("interp-a").value = String(seed);
    $("interp-b").value = String(Math.min(MAX_SEED, seed + 1));
  }
  if (changed && runs.info && runs.info.codes) requestCodes();
}

function onGridClick(event) {
  const img = event.target.closest("img[data-seed]");
  if (img) pickSeed(Number(img.dataset.seed));
}

function copyCommand() {
  const text = $("command").textContent;
  if (!text) return;
  const done = () => flashButton($("copy-command"), "Copied");
  const fallback = () => {
    const range = document.createRange();
    range.selectNodeContents($("command"));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    if (ok) done();
    else flashButton($("copy-command"), "Select + Ctrl-C");
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else {
    fallback();
  }
}

function flashButton(button, text) {
  const old = button.dataset.label || button.textContent;
  button.dataset.label = old;
  button.textContent = text;
  setTimeout(() => (button.textContent = old), 1200);
}

/* ============================== Runs: InfoGAN codes ============================== */

function renderCodes(codes) {
  const box = $("codes");
  box.replaceChildren();
  $("code-image").removeAttribute("src");
  $("codes-section").hidden = !codes;
  if (!codes) return;
  if (codes.n_cat > 0) {
    const select = el("select", { id: "code-cat" },
      ...Array.from({ length: codes.n_cat }, (_, i) => el("option", { value: String(i), textContent: String(i) })));
    select.addEventListener("change", () => requestCodesSoon());
    box.append(el("label", { htmlFor: "code-cat", textContent: "category" }), select, el("span"));
  }
  for (let i = 0; i < codes.n_cont; i++) {
    const range = el("input", { type: "range", id: `code-cont-${i}`, min: "-2", max: "2", step: "0.1", value: "0" });
    const out = el("output", { id: `code-cont-${i}-value`, textContent: "0.0" });
    range.addEventListener("input", () => {
      out.textContent = Number(range.value).toFixed(1);
      requestCodesSoon();
    });
    box.append(el("label", { htmlFor: range.id, textContent: `c${i + 1}` }), range, out);
  }
}

function requestCodes() {
  const info = runs.info;
  if (!info || !info.codes || runs.picked === null) return;
  const cat = $("code-cat");
  const body = {
    run: runId(),
    seed: runs.picked,
    category: cat ? Number(cat.value) : 0,
    continuous: Array.from({ length: info.codes.n_cont }, (_, i) => Number($(`code-cont-${i}`).value)),
    ema: sampleOptions().ema,
  };
  request("codes", "POST", "/api/codes", body, (data) => ($("code-image").src = data.image));
}

const requestCodesSoon = debounce(requestCodes, 150);

/* ============================== Runs: interpolation ============================== */

function requestInterpolation() {
  if (!runs.info) return;
  const body = {
    run: runId(),
    a: clampInt($("interp-a").value, 0, MAX_SEED, 0),
    b: clampInt($("interp-b").value, 0, MAX_SEED, 1),
    steps: clampInt($("interp-steps").value, 2, 32, 9),
    space: $("interp-space").value,
    ...sampleOptions(),
  };
  $("interp-a").value = String(body.a);
  $("interp-b").value = String(body.b);
  $("interp-steps").value = String(body.steps);
  $("interp-strip").classList.add("loading");
  request("interp", "POST", "/api/interpolate", body, (data) => {
    const frames = data.images || [];
    $("interp-strip").replaceChildren(
      ...frames.map((src, i) => el("img", { src, alt: `step ${i + 1} of ${frames.length}`, title: `${i + 1}/${frames.length}` })),
    );
    startAnimation(frames);
  }, () => $("interp-strip").classList.remove("loading"));
}

function startAnimation(frames) {
  stopAnimation();
  runs.anim.frames = frames;
  runs.anim.index = 0;
  runs.anim.dir = 1;
  $("interp-anim-box").hidden = !frames.length;
  if (!frames.length) return;
  $("interp-anim").src = frames[0];
  if (runs.anim.playing) runs.anim.timer = setInterval(animationTick, 100);
  $("interp-anim-toggle").textContent = runs.anim.playing ? "Pause" : "Play";
}

/** Next frame, forward then back (ping-pong), at 10 frames a second. */
function animationTick() {
  const anim = runs.anim;
  if (anim.frames.length < 2) return;
  let next = anim.index + anim.dir;
  if (next < 0 || next >= anim.frames.length) {
    anim.dir = -anim.dir;
    next = anim.index + anim.dir;
  }
  anim.index = next;
  $("interp-anim").src = anim.frames[next];
}

function stopAnimation() {
  clearInterval(runs.anim.timer);
  runs.anim.timer = null;
}

function toggleAnimation() {
  runs.anim.playing = !runs.anim.playing;
  stopAnimation();
  if (runs.anim.playing) runs.anim.timer = setInterval(animationTick, 100);
  $("interp-anim-toggle").textContent = runs.anim.playing ? "Pause" : "Play";
}

/* ============================== Runs: style mixing ============================== */

function renderStyleMix(style) {
  $("mix-section").hidden = !style;
  $("mix-grid").replaceChildren();
  if (!style) return;
  const slider = $("mix-crossover");
  slider.max = String(style.num_ws);
  slider.value = String(Math.floor(style.num_ws / 2));
  $("mix-crossover-value").textContent = slider.value;
  $("mix-bands").textContent =
    `${style.num_ws} style inputs (w): the row seed gives the styles below the crossover, the column seed ` +
    "the rest (top row and left column: the seeds' own images).";
  // a preset per band end: the row seed gives the styles of the bands up to it (bands are [lo, hi))
  const names = [];
  const presets = Object.entries(style.bands || {}).flatMap(([name, [lo, hi]]) => {
    names.push(name);
    if (hi >= style.num_ws) return [];
    const button = el("button", { type: "button", className: "small", textContent: `rows: ${names.join("+")}`,
      title: `${name} styles are w[${lo}:${hi}]; crossover ${hi}` });
    button.dataset.crossover = String(hi);
    button.addEventListener("click", () => {
      slider.value = String(hi);
      $("mix-crossover-value").textContent = slider.value;
      requestStyleMix();
    });
    return [button];
  });
  $("mix-presets").replaceChildren(...presets);
}

function parseSeeds(text, what) {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const seeds = parts.map(Number);
  if (!seeds.length || seeds.length > 6 || seeds.some((s) => !Number.isInteger(s) || s < 0 || s > MAX_SEED)) {
    throw new PageError(`${what}: give 1 to 6 seeds (whole numbers 0..${MAX_SEED}), separated by commas`);
  }
  return seeds;
}

function requestStyleMix() {
  if (!runs.info || !runs.info.style) return;
  let rows;
  let cols;
  try {
    rows = parseSeeds($("mix-rows").value, "style mixing rows");
    cols = parseSeeds($("mix-cols").value, "style mixing cols");
  } catch (err) {
    showError(err);
    return;
  }
  const body = {
    run: runId(), rows, cols, crossover: Number($("mix-crossover").value), psi: sampleOptions().psi,
  };
  $("mix-grid").classList.add("loading");
  request("mix", "POST", "/api/style-mix", body, (data) => renderMixGrid(data.rows || [], rows, cols),
    () => $("mix-grid").classList.remove("loading"));
}

const requestStyleMixSoon = debounce(requestStyleMix, 150);

function renderMixGrid(matrix, rows, cols) {
  const table = $("mix-grid");
  const header = el("tr", {}, el("th", { textContent: "rows \\ cols" }),
    ...cols.map((seed) => el("th", { textContent: `seed ${seed}` })));
  const body = matrix.map((line, r) => el("tr", {},
    ...line.map((src, c) => {
      const cell = el("td");
      if (src) cell.append(el("img", { src, alt: r && c ? `row ${rows[r - 1]} × col ${cols[c - 1]}` : "source" }));
      return cell;
    })));
  table.replaceChildren(header, ...body);
  // label the row-source images
  body.slice(1).forEach((tr, r) => tr.firstChild && tr.firstChild.setAttribute("title", `seed ${rows[r]}`));
}

/* ============================== Runs: translation ============================== */

const draw = { down: false, last: null };

function renderTranslate(translation) {
  $("translate-section").hidden = !translation;
  $("translate-input").removeAttribute("src");
  $("translate-output").removeAttribute("src");
  $("translate-file").value = "";
  runs.translateFile = null;
  runs.translateSource = "draw";
  $("translate-source").textContent = "drawing";
  delete $("translate-draw").dataset.shape;
  if (!translation) return;
  const directions = translation.directions || ["AtoB"];
  $("translate-direction").replaceChildren(...directions.map((d) => el("option", { value: d, textContent: d })));
  $("translate-direction-control").hidden = directions.length < 2;
  setupDrawing();
}

/** The input shape [C, H, W] of the chosen direction (input_shapes when the server sends them). */
function translateInputShape() {
  const translation = runs.info && runs.info.translation;
  if (!translation) return [1, 256, 256];
  const byDirection = translation.input_shapes && translation.input_shapes[$("translate-direction").value];
  return byDirection || translation.input_shape || [1, 256, 256];
}

/** Size the drawing canvas to the input's aspect; cleared only when its size or channels change. */
function setupDrawing() {
  const [channels, height, width] = translateInputShape();
  $("translate-invert-control").hidden = channels !== 1;
  $("translate-ink-control").hidden = channels === 1;
  const canvas = $("translate-draw");
  const key = `${channels}:${height}:${width}`;
  if (canvas.dataset.shape === key) return;
  canvas.dataset.shape = key;
  canvas.width = 256;
  canvas.height = Math.max(16, Math.round((256 * height) / width));
  canvas.style.height = `${Math.round((192 * height) / width)}px`;
  clearDrawing();
}

function drawingColors() {
  const channels = translateInputShape()[0];
  if (channels === 1) {
    return $("translate-invert").checked ? { ink: "#ffffff", paper: "#000000" } : { ink: "#000000", paper: "#ffffff" };
  }
  return { ink: $("translate-ink").value, paper: "#ffffff" };
}

function clearDrawing() {
  const canvas = $("translate-draw");
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = drawingColors().paper;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}

function drawPoint(event) {
  const canvas = $("translate-draw");
  const rect = canvas.getBoundingClientRect();
  return [
    ((event.clientX - rect.left) / rect.width) * canvas.width,
    ((event.clientY - rect.top) / rect.height) * canvas.height,
  ];
}

function strokeTo(point) {
  const canvas = $("translate-draw");
  const ctx = canvas.getContext("2d");
  ctx.strokeStyle = drawingColors().ink;
  ctx.lineWidth = Math.max(3, canvas.width / 11);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  const from = draw.last || point;
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(point[0] + 0.01, point[1]);
  ctx.stroke();
  draw.last = point;
}

function onDrawDown(event) {
  draw.down = true;
  draw.last = null;
  $("translate-draw").setPointerCapture(event.pointerId);
  runs.translateSource = "draw";
  $("translate-source").textContent = "drawing";
  strokeTo(drawPoint(event));
}

function onDrawMove(event) {
  if (draw.down) strokeTo(drawPoint(event));
}

function onDrawUp() {
  draw.down = false;
  draw.last = null;
}

function onTranslateFile() {
  const file = $("translate-file").files[0];
  if (!file) return;
  if (!["image/png", "image/jpeg"].includes(file.type)) {
    showError(`${file.name}: choose a PNG or JPEG image`);
    return;
  }
  if (file.size > 2 * 1024 * 1024) {
    showError(`${file.name} is ${(file.size / 1048576).toFixed(1)} MB; choose an image of at most 2 MB`);
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    runs.translateFile = reader.result;
    runs.translateSource = "file";
    $("translate-source").textContent = file.name;
    $("translate-input").src = reader.result;
    $("translate-output").removeAttribute("src");
  };
  reader.onerror = () => showError(`could not read ${file.name}`);
  reader.readAsDataURL(file);
}

function requestTranslate() {
  if (!runs.info || !runs.info.translation) return;
  const image = runs.translateSource === "file" && runs.translateFile
    ? runs.translateFile
    : $("translate-draw").toDataURL("image/png");
  const body = { run: runId(), image, direction: $("translate-direction").value || "AtoB" };
  request("translate", "POST", "/api/translate", body, (data) => {
    $("translate-input").src = data.input;
    $("translate-output").src = data.output;
  });
}

/* ============================== Runs: nearest training images ============================== */

function requestNearest() {
  if (!runs.info || runs.picked === null) {
    showError("pick a sample in the grid first");
    return;
  }
  const body = { run: runId(), seed: runs.picked, ...sampleOptions(), k: 8 };
  $("nearest-list").classList.add("loading");
  request("nearest", "POST", "/api/nearest", body, (data) => {
    $("nearest-sample").src = data.sample;
    $("nearest-sample-box").hidden = false;
    $("nearest-list").replaceChildren(
      ...(data.neighbours || []).map((src, i) => el("figure", {},
        el("img", { src, alt: `neighbour ${i + 1}` }),
        el("figcaption", { textContent: fmt((data.distances || [])[i]) }))),
    );
    $("nearest-features").textContent = `seed ${body.seed}; distances in ${data.features}`;
  }, () => $("nearest-list").classList.remove("loading"));
}

/* ============================== Runs: curves and alarms ============================== */

function loadCurves() {
  const id = runId();
  request("curves", "GET", `/api/curves?run=${encodeURIComponent(id)}`, undefined, (data) => {
    runs.curves = { records: data.records || [], alarms: data.alarms || [] };
    renderCurveKeys();
    renderAlarms();
    drawCurves();
  });
}

function numericKeys(records) {
  const keys = [];
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) {
      if (key !== "step" && typeof value === "number" && !keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}

function renderCurveKeys() {
  const keys = numericKeys(runs.curves.records);
  const losses = keys.filter((k) => /loss/.test(k));
  const options = [];
  if (losses.length > 1) options.push(el("option", { value: "__losses__", textContent: `losses (${losses.join(", ")})` }));
  options.push(...keys.map((k) => el("option", { value: k, textContent: k })));
  $("curve-key").replaceChildren(...options);
  $("curve-key").value = losses.length > 1 ? "__losses__" : losses[0] || keys[0] || "";
}

function drawCurves() {
  if (!runs.curves || $("view-runs").hidden || $("curves-section").hidden) return;
  const keys = numericKeys(runs.curves.records);
  const chosen = $("curve-key").value;
  const shown = chosen === "__losses__" ? keys.filter((k) => /loss/.test(k)) : keys.filter((k) => k === chosen);
  const series = shown.map((key, i) => ({
    name: key,
    color: COLORS[i % COLORS.length],
    points: runs.curves.records.filter((r) => typeof r[key] === "number").map((r) => [r.step, r[key]]),
  }));
  const bands = runs.curves.alarms.map((a) => ({ x0: a.first_step, x1: a.last_step, label: a.alarm }));
  drawChart($("curves"), series, { bands, empty: "no logged values yet" });
}

function renderAlarms() {
  const list = $("alarm-list");
  const alarms = runs.curves.alarms;
  if (!alarms.length) {
    list.replaceChildren(el("li", { className: "ok", textContent: "No pitfall alarm was raised during training." }));
    return;
  }
  list.replaceChildren(...alarms.map((a) => el("li", {},
    el("strong", { textContent: a.alarm }), " ",
    el("span", { className: "steps", textContent: `steps ${a.first_step}–${a.last_step}: ` }),
    a.message || "")));
}

/* ============================== Runs: wiring ============================== */

function wireRuns() {
  $("grid").addEventListener("click", onGridClick);
  $("grid").addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      onGridClick(e);
    }
  });
  $("seed").addEventListener("change", requestGrid);
  $("media-seed").addEventListener("change", requestMedia);
  $("media-class").addEventListener("change", requestMedia);
  $("media-resample").addEventListener("click", () => {
    $("media-seed").value = String(Math.floor(Math.random() * (MAX_SEED - GRID_SIZE)));
    requestMedia();
  });
  $("media-temperature").addEventListener("input", () => {
    $("media-temperature-value").textContent = Number($("media-temperature").value).toFixed(1);
    requestMediaSoon();
  });
  $("resample").addEventListener("click", () => {
    $("seed").value = String(Math.floor(Math.random() * (MAX_SEED - GRID_SIZE)));
    requestGrid();
  });
  const onTruncation = () => {
    $("truncation-value").textContent = Number($("truncation").value).toFixed(2);
    requestGridSoon();
  };
  $("truncation").addEventListener("input", onTruncation);
  $("truncation").addEventListener("change", onTruncation);
  $("ema").addEventListener("change", () => {
    requestGrid();
    requestCodes();
  });
  $("class-picker").addEventListener("change", requestGrid);
  $("copy-command").addEventListener("click", copyCommand);

  $("interp-go").addEventListener("click", requestInterpolation);
  $("interp-anim-toggle").addEventListener("click", toggleAnimation);

  $("mix-crossover").addEventListener("input", () => {
    $("mix-crossover-value").textContent = $("mix-crossover").value;
    if ($("mix-grid").rows.length) requestStyleMixSoon();
  });
  $("mix-go").addEventListener("click", requestStyleMix);

  const canvas = $("translate-draw");
  canvas.addEventListener("pointerdown", onDrawDown);
  canvas.addEventListener("pointermove", onDrawMove);
  canvas.addEventListener("pointerup", onDrawUp);
  canvas.addEventListener("pointercancel", onDrawUp);
  $("translate-clear").addEventListener("click", clearDrawing);
  $("translate-invert").addEventListener("change", clearDrawing);
  $("translate-direction").addEventListener("change", setupDrawing);
  $("translate-file").addEventListener("change", onTranslateFile);
  $("translate-go").addEventListener("click", requestTranslate);

  $("nearest-go").addEventListener("click", requestNearest);
  $("curve-key").addEventListener("change", drawCurves);
}

/* ============================== Lab: state ============================== */

const lab = {
  options: null, // GET /api/lab/options
  session: null, // id of the live session
  sessionDataset: null,
  source: null, // EventSource
  frame: null, // latest Frame
  energy: [], // [[step, energy_distance]] seen in this session
  points: [], // custom points in data coordinates
  drawPending: false,
  pointerDown: false,
};

const LAB_BOX = [-4, 4]; // the data box custom points are drawn in
const LAB_COLORS = { real: "#1a9850", fake: "#7b3294", grid: "rgba(60, 60, 60, 0.45)", arrow: "#7b3294" };

/* ============================== Lab: options ============================== */

function labEnter() {
  if (!lab.options) loadLabOptions();
  scheduleLabDraw();
}

function loadLabOptions() {
  request("lab-options", "GET", "/api/lab/options", undefined, (data) => {
    lab.options = data;
    $("lab-dataset").replaceChildren(...(data.datasets || []).map((d) => el("option", { value: d, textContent: d })));
    $("lab-model").replaceChildren(...(data.models || []).map((m) => el("option", { value: m, textContent: m })));
    fillLabDefaults();
    onLabDatasetChange();
  });
}

function fillLabDefaults() {
  const defaults = lab.options && lab.options.defaults ? lab.options.defaults[$("lab-model").value] : null;
  if (!defaults) return;
  $("lab-lr-d").value = String(defaults.lr_d);
  $("lab-lr-g").value = String(defaults.lr_g);
  $("lab-n-critic").value = String(defaults.n_critic);
}

function onLabDatasetChange() {
  const custom = $("lab-dataset").value === "custom";
  $("lab-custom-box").hidden = !custom;
  $("lab-canvas").style.cursor = custom ? "crosshair" : "default";
  scheduleLabDraw();
}

function labRates() {
  return {
    lr_d: Number($("lab-lr-d").value),
    lr_g: Number($("lab-lr-g").value),
    n_critic: clampInt($("lab-n-critic").value, 1, 100, 1),
  };
}

/* ============================== Lab: sessions and controls ============================== */

function newLabSession() {
  const dataset = $("lab-dataset").value;
  if (!dataset) return;
  if (dataset === "custom" && lab.points.length < 8) {
    showError(`add at least 8 points on the canvas for a custom dataset (${lab.points.length} so far)`);
    return;
  }
  const body = {
    dataset,
    model: $("lab-model").value,
    ...labRates(),
    seed: clampInt($("lab-seed").value, 0, MAX_SEED, 0),
  };
  if (dataset === "custom") body.points = lab.points.map((p) => [round3(p[0]), round3(p[1])]);
  $("lab-new").disabled = true;
  request("lab-new", "POST", "/api/lab", body, (data) => {
    closeLabSession();
    lab.session = data.session;
    lab.sessionDataset = dataset;
    lab.energy = [];
    onFrame(data.frame);
    openEvents(data.session);
    setLabButtons(true);
  }, () => ($("lab-new").disabled = false));
}

function setLabButtons(enabled) {
  for (const id of ["lab-play", "lab-step", "lab-step-d", "lab-step-g"]) $(id).disabled = !enabled;
}

function round3(v) {
  return Math.round(v * 1000) / 1000;
}

function openEvents(session) {
  const source = new EventSource(`/api/lab/${encodeURIComponent(session)}/events`);
  source.onmessage = (event) => {
    if (lab.source !== source) return;
    try {
      onFrame(JSON.parse(event.data));
    } catch (err) {
      showError(`bad frame from the server: ${err.message}`);
    }
  };
  source.onerror = () => {
    // The browser reconnects by itself; a closed stream means the session is gone (closed or idle),
    // or the page is being left (the stream is cut before pagehide: keep lab.session for its beacon).
    if (lab.source !== source || source.readyState !== EventSource.CLOSED) return;
    lab.source = null;
    setTimeout(() => {
      if (lab.session !== session || lab.source) return;
      lab.session = null; // gone on the server: nothing left to close
      setLabButtons(false);
      showError("the lab session ended (closed, or idle too long); press New session");
    }, 1000);
  };
  lab.source = source;
}

/** Stop listening and tell the server the session is over (pagehide uses sendBeacon). */
function closeLabSession(beacon = false) {
  if (lab.source) lab.source.close();
  lab.source = null;
  if (!lab.session) return;
  const url = `/api/lab/${encodeURIComponent(lab.session)}/close`;
  lab.session = null;
  if (beacon && navigator.sendBeacon) {
    navigator.sendBeacon(url);
  } else {
    fetch(url, { method: "POST", keepalive: true }).catch(() => {});
  }
}

function labControl(action, withRates = false) {
  if (!lab.session) return;
  const body = { action, ...(withRates ? labRates() : {}) };
  request(`lab-control-${action}`, "POST", `/api/lab/${encodeURIComponent(lab.session)}/control`, body,
    (data) => onFrame(data.frame));
}

function togglePlay() {
  labControl(lab.frame && lab.frame.playing ? "pause" : "play");
}

/** lr or n_critic changed: keep the current state and send the new values. */
function onRatesChange() {
  if (!lab.session) return;
  labControl(lab.frame && lab.frame.playing ? "play" : "pause", true);
}

/* ============================== Lab: frames and stats ============================== */

function onFrame(frame) {
  if (!frame) return;
  lab.frame = frame;
  const last = lab.energy[lab.energy.length - 1];
  if (Number.isFinite(frame.energy_distance) && (!last || last[0] !== frame.step)) {
    if (last && frame.step < last[0]) lab.energy = [];
    lab.energy.push([frame.step, frame.energy_distance]);
    if (lab.energy.length > 2000) lab.energy.splice(0, lab.energy.length - 2000);
  }
  $("lab-play").textContent = frame.playing ? "Pause" : "Play";
  if (frame.error && frame.error !== lab.shownError) {  // the session stopped (e.g. training diverged)
    lab.shownError = frame.error;
    showError(frame.error);
  }
  scheduleLabDraw();
}

function scheduleLabDraw() {
  if (lab.drawPending) return;
  lab.drawPending = true;
  requestAnimationFrame(() => {
    lab.drawPending = false;
    if ($("view-lab").hidden) return;
    drawLab();
    drawLabStats();
  });
}

function drawLabStats() {
  const frame = lab.frame;
  if (!frame) return;
  $("lab-step-count").textContent = `${frame.step} (D ${frame.d_steps}, G ${frame.g_steps})`;
  $("lab-modes").textContent =
    frame.num_modes === null || frame.num_modes === undefined ? "n/a" : `${frame.modes_covered} / ${frame.num_modes}`;
  $("lab-energy").textContent = Number.isFinite(frame.energy_distance) ? frame.energy_distance.toFixed(3) : "n/a";
  const losses = frame.losses || [];
  drawChart($("lab-losses"), [
    { name: "d_loss", color: COLORS[0], points: losses.map((l) => [l.step, l.d_loss]) },
    { name: "g_loss", color: COLORS[1], points: losses.map((l) => [l.step, l.g_loss]) },
  ]);
  drawChart($("lab-energy-chart"), [{ name: "energy distance", color: COLORS[3], points: lab.energy }]);
}

/* ============================== Lab: the canvas ============================== */

/** Custom points are being drawn for a new session (the live one, if any, is not a custom one). */
function editingCustom() {
  return $("lab-dataset").value === "custom" && lab.sessionDataset !== "custom";
}

/** The data box shown: the frame's heatmap box, or [-4, 4]^2 while custom points are being drawn. */
function labView() {
  const frame = lab.frame;
  if (frame && frame.heatmap && !editingCustom()) {
    const { x0, x1, y0, y1 } = frame.heatmap;
    return { x0, x1, y0, y1 };
  }
  return { x0: LAB_BOX[0], x1: LAB_BOX[1], y0: LAB_BOX[0], y1: LAB_BOX[1] };
}

function labTransform(view, w, h) {
  return {
    x: (x) => ((x - view.x0) / (view.x1 - view.x0)) * w,
    y: (y) => h - ((y - view.y0) / (view.y1 - view.y0)) * h,
    inv: (px, py) => [view.x0 + (px / w) * (view.x1 - view.x0), view.y0 + ((h - py) / h) * (view.y1 - view.y0)],
  };
}

function drawLab() {
  const canvas = $("lab-canvas");
  const { ctx, w, h } = prepCanvas(canvas);
  const view = labView();
  const t = labTransform(view, w, h);
  const frame = editingCustom() ? null : lab.frame; // while drawing custom points, only they are shown
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  if (frame && $("lab-show-heatmap").checked && frame.heatmap) drawHeatmap(ctx, frame.heatmap, t);
  drawAxes(ctx, view, t, w, h);
  if (frame && $("lab-show-grid").checked && frame.grid) drawWarpedGrid(ctx, frame.grid, t);
  if (frame && $("lab-show-real").checked) drawPoints(ctx, frame.real, t, LAB_COLORS.real, 2.2);
  if (frame && $("lab-show-fake").checked) drawPoints(ctx, frame.fake, t, LAB_COLORS.fake, 2.2);
  if (frame && $("lab-show-arrows").checked && frame.arrows) drawArrows(ctx, frame.arrows, t);
  if ($("lab-dataset").value === "custom") drawCustomPoints(ctx, t);
  if (!frame) {
    const hint = $("lab-dataset").value === "custom"
      ? (lab.points.length < 8 ? "Click or drag to add points (at least 8)" : "Press New session to train on these points")
      : "Press New session to start";
    ctx.fillStyle = "#888";
    ctx.font = "13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(hint, w / 2, 24);
  }
}

/** Two-colour scale: D = 0 (says fake) purple, 0.5 white, 1 (says real) green. */
function heatColor(v) {
  const lo = [194, 165, 207];
  const mid = [247, 247, 247];
  const hi = [166, 219, 160];
  const u = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0.5));
  const [a, b, s] = u < 0.5 ? [lo, mid, u * 2] : [mid, hi, (u - 0.5) * 2];
  return a.map((c, i) => Math.round(c + (b[i] - c) * s));
}

const heatCanvas = document.createElement("canvas");

function drawHeatmap(ctx, heatmap, t) {
  const n = heatmap.size;
  if (!n || !heatmap.values || heatmap.values.length < n * n) return;
  heatCanvas.width = n;
  heatCanvas.height = n;
  const hctx = heatCanvas.getContext("2d");
  const image = hctx.createImageData(n, n);
  for (let row = 0; row < n; row++) {
    // values are row-major from y0 (the bottom); canvas rows go down from the top
    const y = n - 1 - row;
    for (let col = 0; col < n; col++) {
      const [r, g, b] = heatColor(heatmap.values[row * n + col]);
      const k = (y * n + col) * 4;
      image.data[k] = r;
      image.data[k + 1] = g;
      image.data[k + 2] = b;
      image.data[k + 3] = 255;
    }
  }
  hctx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  const left = t.x(heatmap.x0);
  const top = t.y(heatmap.y1);
  ctx.drawImage(heatCanvas, left, top, t.x(heatmap.x1) - left, t.y(heatmap.y0) - top);
}

function drawAxes(ctx, view, t, w, h) {
  ctx.strokeStyle = "rgba(0, 0, 0, 0.12)";
  ctx.lineWidth = 1;
  ctx.fillStyle = "rgba(0, 0, 0, 0.45)";
  ctx.font = "10px system-ui, sans-serif";
  ctx.textAlign = "left";
  ctx.textBaseline = "alphabetic";
  const ticks = niceTicks(Math.min(view.x0, view.y0), Math.max(view.x1, view.y1), 8);
  for (const v of ticks.ticks) {
    const x = Math.round(t.x(v)) + 0.5;
    const y = Math.round(t.y(v)) + 0.5;
    ctx.beginPath();
    if (x > 0 && x < w) { ctx.moveTo(x, 0); ctx.lineTo(x, h); }
    if (y > 0 && y < h) { ctx.moveTo(0, y); ctx.lineTo(w, y); }
    ctx.stroke();
    if (x > 10 && x < w - 10) ctx.fillText(tickLabel(v, ticks.step), x + 2, h - 3);
    if (y > 10 && y < h - 10) ctx.fillText(tickLabel(v, ticks.step), 2, y - 2);
  }
}

function drawWarpedGrid(ctx, grid, t) {
  const { rows, cols, points } = grid;
  if (!points || points.length < rows * cols) return;
  const at = (r, c) => points[r * cols + c];
  ctx.strokeStyle = LAB_COLORS.grid;
  ctx.lineWidth = 0.8;
  ctx.beginPath();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const p = at(r, c);
      if (c) ctx.lineTo(t.x(p[0]), t.y(p[1]));
      else ctx.moveTo(t.x(p[0]), t.y(p[1]));
    }
  }
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      const p = at(r, c);
      if (r) ctx.lineTo(t.x(p[0]), t.y(p[1]));
      else ctx.moveTo(t.x(p[0]), t.y(p[1]));
    }
  }
  ctx.stroke();
}

function drawPoints(ctx, points, t, color, radius) {
  if (!points) return;
  ctx.fillStyle = color;
  ctx.globalAlpha = 0.75;
  for (const p of points) {
    ctx.beginPath();
    ctx.arc(t.x(p[0]), t.y(p[1]), radius, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

/** Arrows scaled so the longest is 28 px (their directions and relative sizes are what matter). */
function drawArrows(ctx, arrows, t) {
  const lengths = arrows.map(([x, y, dx, dy]) => Math.hypot(t.x(x + dx) - t.x(x), t.y(y + dy) - t.y(y)));
  const longest = lengths.reduce((a, b) => Math.max(a, b), 1e-12);
  const scale = 28 / longest;
  ctx.strokeStyle = LAB_COLORS.arrow;
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.7;
  arrows.forEach(([x, y, dx, dy], i) => {
    if (lengths[i] * scale < 1) return;
    const sx = t.x(x);
    const sy = t.y(y);
    const ex = sx + (t.x(x + dx) - sx) * scale;
    const ey = sy + (t.y(y + dy) - sy) * scale;
    const angle = Math.atan2(ey - sy, ex - sx);
    const head = Math.min(5, lengths[i] * scale * 0.4);
    ctx.beginPath();
    ctx.moveTo(sx, sy);
    ctx.lineTo(ex, ey);
    ctx.lineTo(ex - head * Math.cos(angle - 0.5), ey - head * Math.sin(angle - 0.5));
    ctx.moveTo(ex, ey);
    ctx.lineTo(ex - head * Math.cos(angle + 0.5), ey - head * Math.sin(angle + 0.5));
    ctx.stroke();
  });
  ctx.globalAlpha = 1;
}

function drawCustomPoints(ctx, t) {
  ctx.strokeStyle = LAB_COLORS.real;
  ctx.lineWidth = 1.2;
  for (const p of lab.points) {
    ctx.beginPath();
    ctx.arc(t.x(p[0]), t.y(p[1]), 3.5, 0, 2 * Math.PI);
    ctx.stroke();
  }
}

/* ============================== Lab: custom points ============================== */

function addCustomPoint(event) {
  const canvas = $("lab-canvas");
  const rect = canvas.getBoundingClientRect();
  const t = labTransform(labView(), rect.width, rect.height);
  const [x, y] = t.inv(event.clientX - rect.left, event.clientY - rect.top);
  if (Math.abs(x) > 10 || Math.abs(y) > 10) return;
  const last = lab.points[lab.points.length - 1];
  if (lab.pointerDown && last && Math.hypot(x - last[0], y - last[1]) < 0.08) return; // thin a drag
  if (lab.points.length >= 2000) {
    showError("at most 2000 custom points");
    return;
  }
  lab.points.push([x, y]);
  $("lab-point-count").textContent = String(lab.points.length);
  scheduleLabDraw();
}

function onLabPointerDown(event) {
  if ($("lab-dataset").value !== "custom") return;
  $("lab-canvas").setPointerCapture(event.pointerId);
  lab.pointerDown = false;
  addCustomPoint(event);
  lab.pointerDown = true;
}

function onLabPointerMove(event) {
  if (lab.pointerDown) addCustomPoint(event);
}

function onLabPointerUp() {
  lab.pointerDown = false;
}

function clearCustomPoints() {
  lab.points = [];
  $("lab-point-count").textContent = "0";
  scheduleLabDraw();
}

/* ============================== Lab: wiring ============================== */

function wireLab() {
  $("lab-dataset").addEventListener("change", onLabDatasetChange);
  $("lab-model").addEventListener("change", fillLabDefaults); // a new model takes effect with New session
  for (const id of ["lab-lr-d", "lab-lr-g", "lab-n-critic"]) $(id).addEventListener("change", onRatesChange);
  $("lab-new").addEventListener("click", newLabSession);
  $("lab-play").addEventListener("click", togglePlay);
  $("lab-step").addEventListener("click", () => labControl("step"));
  $("lab-step-d").addEventListener("click", () => labControl("step_d"));
  $("lab-step-g").addEventListener("click", () => labControl("step_g"));
  $("lab-clear").addEventListener("click", clearCustomPoints);
  for (const layer of ["heatmap", "grid", "real", "fake", "arrows"]) {
    $(`lab-show-${layer}`).addEventListener("change", scheduleLabDraw);
  }
  const canvas = $("lab-canvas");
  canvas.addEventListener("pointerdown", onLabPointerDown);
  canvas.addEventListener("pointermove", onLabPointerMove);
  canvas.addEventListener("pointerup", onLabPointerUp);
  canvas.addEventListener("pointercancel", onLabPointerUp);
  window.addEventListener("pagehide", () => closeLabSession(true));
}

/* ============================== start ============================== */

function start() {
  $("tab-runs").addEventListener("click", () => showTab("runs"));
  $("tab-lab").addEventListener("click", () => showTab("lab"));
  $("error-close").addEventListener("click", clearError);
  window.addEventListener("unhandledrejection", (event) => showError(event.reason || "unexpected error"));
  window.addEventListener("resize", debounce(() => {
    drawCurves();
    scheduleLabDraw();
  }, 150));
  wireRuns();
  wireLab();
  loadRuns();
  showTab(location.hash === "#lab" ? "lab" : "runs");
}

start();
