// GanServe demo page: plain JavaScript over the v1 API, same origin only (the page's CSP allows nothing else).
"use strict";

const GRID_SIZE = 16;
const MAX_SEED = 4294967295;
const $ = (id) => document.getElementById(id);

const state = { model: null, seed: 0, truncation: 1, scale: 4 };

function seedAt(offset) {
  return (state.seed + offset) % (MAX_SEED + 1);
}

function query(extra) {
  const params = new URLSearchParams(extra);
  if (state.truncation !== 1) params.set("truncation", String(state.truncation));
  params.set("scale", String(state.scale));
  return params.toString();
}

function imageUrl(seed) {
  return `/v1/models/${encodeURIComponent(state.model)}/images/${seed}.png?${query({})}`;
}

function interpolationUrl(from, to, frames, format) {
  const extra = { from: String(from), to: String(to), frames: String(frames) };
  if (format) extra.format = format;
  return `/v1/models/${encodeURIComponent(state.model)}/interpolate?${query(extra)}`;
}

function showStatus(text) {
  $("status").textContent = text || "";
}

// An <img> cannot read a problem body, so a failed load fetches the URL once more to show the server's detail.
async function explainFailure(url) {
  try {
    const response = await fetch(url);
    if (response.ok) return;
    const problem = await response.json().catch(() => null);
    showStatus(problem && problem.detail ? `${response.status}: ${problem.detail}` : `${response.status} for ${url}`);
  } catch (error) {
    showStatus(`The server did not answer: ${error}`);
  }
}

function parseSeed(text) {
  if (!/^\d+$/.test(text.trim())) return null;
  const value = Number(text.trim());
  return value <= MAX_SEED ? value : null;
}

function renderGrid() {
  const grid = $("grid");
  grid.replaceChildren();
  for (let i = 0; i < GRID_SIZE; i++) {
    const seed = seedAt(i);
    const url = imageUrl(seed);
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = `Sample for seed ${seed}`;
    img.dataset.seed = String(seed);
    img.addEventListener("error", () => explainFailure(url), { once: true });
    img.src = url;
    const caption = document.createElement("figcaption");
    caption.textContent = String(seed);
    figure.append(img, caption);
    figure.addEventListener("click", () => openViewer(seed));
    grid.append(figure);
  }
  $("grid-range").textContent = `seeds ${seedAt(0)} to ${seedAt(GRID_SIZE - 1)}`;
}

function openViewer(seed) {
  const url = imageUrl(seed);
  $("viewer-image").src = url;
  $("viewer-image").alt = `Seed ${seed}, enlarged`;
  $("viewer-seed").textContent = String(seed);
  $("viewer-link").href = url;
  $("viewer-link").textContent = url;
  $("viewer").dataset.seed = String(seed);
  $("viewer").showModal();
}

function playInterpolation() {
  const from = parseSeed($("interp-from").value);
  const to = parseSeed($("interp-to").value);
  const frames = Number($("interp-frames").value);
  if (from === null || to === null) {
    showStatus("Both ends of the interpolation must be seeds from 0 to 4294967295.");
    return;
  }
  showStatus("");
  const url = interpolationUrl(from, to, frames);
  const image = $("interp-image");
  image.addEventListener("error", () => explainFailure(url), { once: true });
  image.src = url;
  $("interp-figure").hidden = false;
  $("interp-caption").textContent = `Seed ${from} → seed ${to}, ${frames} frames (spherical interpolation of the latents)`;
  $("interp-strip").href = interpolationUrl(from, to, frames, "png");
  $("interp-strip").hidden = false;
}

function figuresTable(rows) {
  const table = document.createElement("table");
  table.className = "figures";
  const body = table.createTBody();
  for (const [name, value] of rows) {
    if (value === undefined || value === null) continue;
    const row = body.insertRow();
    const th = document.createElement("th");
    th.textContent = name;
    row.append(th);
    row.insertCell().textContent = String(value);
  }
  return table;
}

async function renderCard() {
  const card = $("card");
  card.replaceChildren();
  const response = await fetch(`/v1/models/${encodeURIComponent(state.model)}`);
  if (!response.ok) {
    card.textContent = `The model card could not be read (${response.status}).`;
    return;
  }
  const detail = await response.json();
  const info = detail.card || {};
  const description = document.createElement("p");
  description.textContent = [info.description, info.data].filter(Boolean).join(" · ");
  card.append(description);

  const training = info.training || {};
  const quality = info.quality || {};
  const classifier = quality.classifier || {};
  card.append(figuresTable([
    ["Version", detail.version],
    ["Shape", detail.width ? `${detail.channels} × ${detail.height} × ${detail.width}, latent ${detail.latentDim}` : null],
    ["Provider", detail.provider],
    ["Ready", detail.ready ? "yes" : `no${detail.reason ? ": " + detail.reason : ""}`],
    ["Epochs / steps", training.epochs !== undefined ? `${training.epochs} / ${training.steps}` : null],
    ["Loss", training.loss],
    ["Fréchet distance", quality.frechetDistance],
    ["Fréchet floor", quality.frechetFloor],
    ["Fréchet ratio", quality.frechetRatio],
    ["Classes under 5%", quality.classesUnder5Percent],
    ["KL from uniform", quality.klFromUniform],
    ["Mean confidence", quality.meanConfidence],
    ["Classifier", classifier.name ? `${classifier.name} v${classifier.version}, test accuracy ${classifier.testAccuracy}` : null],
  ]));

  const assets = document.createElement("div");
  assets.className = "card-assets";
  for (const asset of detail.assets || []) {
    const figure = document.createElement("figure");
    if (/\.(png|jpe?g|webp|gif)$/i.test(asset.name)) {
      const img = document.createElement("img");
      img.src = asset.url;
      img.alt = asset.name;
      if (/grid/i.test(asset.name)) img.classList.add("pixels");
      figure.append(img);
    }
    const caption = document.createElement("figcaption");
    const link = document.createElement("a");
    link.href = asset.url;
    link.textContent = asset.name;
    caption.append(link);
    figure.append(caption);
    assets.append(figure);
  }
  card.append(assets);
}

async function refreshStats() {
  try {
    const response = await fetch("/v1/stats");
    if (!response.ok) return;
    const stats = await response.json();
    const model = (stats.models || {})[state.model];
    const rows = [["Uptime", `${Math.round(stats.uptimeSeconds)} s`]];
    if (model) {
      rows.push(
        ["Images/s (10 s)", model.imagesPerSecond10s.toFixed(1)],
        ["Images/s (60 s)", model.imagesPerSecond60s.toFixed(1)],
        ["Requests", model.requestsTotal],
        ["Images", model.imagesTotal],
        ["Batches", model.batchesTotal],
        ["Mean batch size", model.meanBatchSize.toFixed(2)],
        ["Queue depth", model.queueDepth],
        ["Latency p50 / p95 / p99", `${model.latencyMs.p50} / ${model.latencyMs.p95} / ${model.latencyMs.p99} ms`],
        ["Rejected", model.rejectedTotal]);
    }
    const body = $("stats").tBodies[0];
    body.replaceWith(figuresTable(rows).tBodies[0]);
  } catch {
    // The next tick tries again.
  }
}

function readControls() {
  const seed = parseSeed($("seed").value);
  if (seed === null) {
    showStatus("The seed must be a whole number from 0 to 4294967295.");
    return false;
  }
  showStatus("");
  state.seed = seed;
  state.truncation = Number($("truncation").value);
  state.scale = Number($("scale").value);
  $("truncation-value").textContent = state.truncation.toFixed(2);
  return true;
}

function update() {
  if (state.model && readControls()) renderGrid();
}

async function start() {
  const response = await fetch("/v1/models");
  const list = response.ok ? await response.json() : { models: [] };
  const select = $("model");
  for (const model of list.models) {
    const option = document.createElement("option");
    option.value = model.name;
    option.textContent = `${model.name} (v${model.version}${model.ready ? "" : ", not ready"})`;
    select.append(option);
  }
  if (list.models.length === 0) {
    showStatus("No generator is served.");
    return;
  }
  state.model = select.value;

  select.addEventListener("change", () => {
    state.model = select.value;
    update();
    renderCard();
  });
  $("seed").addEventListener("change", update);
  $("truncation").addEventListener("input", () => {
    $("truncation-value").textContent = Number($("truncation").value).toFixed(2);
  });
  $("truncation").addEventListener("change", update);
  $("scale").addEventListener("change", update);
  $("random-seed").addEventListener("click", () => {
    $("seed").value = String(crypto.getRandomValues(new Uint32Array(1))[0]);
    update();
  });
  $("interp-form").addEventListener("submit", (event) => {
    event.preventDefault();
    playInterpolation();
  });
  $("viewer-from").addEventListener("click", () => {
    $("interp-from").value = $("viewer").dataset.seed;
  });
  $("viewer-to").addEventListener("click", () => {
    $("interp-to").value = $("viewer").dataset.seed;
  });

  update();
  renderCard();
  refreshStats();
  setInterval(refreshStats, 2000);
}

start().catch((error) => showStatus(`The page could not start: ${error}`));
