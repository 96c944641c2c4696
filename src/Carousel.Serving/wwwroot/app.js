// The page of `carousel serve`: pick a model, type, see the answer (sampling streams in as server-sent events);
// and the training runs with their loss curves, polled every two seconds. No framework, no build step.
"use strict";

const $ = (id) => document.getElementById(id);
let models = [];
let limits = {};

function show(id, visible) { $(id).hidden = !visible; }

function clearResult() {
  $("label").textContent = "";
  $("output").textContent = "";
  $("output").classList.remove("error");
  $("table").replaceChildren();
}

function fail(message) {
  $("output").textContent = message;
  $("output").classList.add("error");
  $("status").textContent = "";
}

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error || message; } catch { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function current() { return models.find((m) => m.name === $("model").value); }

function onModelChange() {
  const model = current();
  clearResult();
  if (!model) return;
  const kind = model.kind;
  const sampling = kind === "char" || kind === "generator";
  show("sample-row", sampling);
  show("beam-row", kind === "seq2seq");
  show("condition-row", kind === "generator");
  show("input-row", kind !== "generator");
  $("input").placeholder = { char: "A prime: the text the model continues (may be empty)", classifier: "A text to classify",
    tagger: "A text to tag", seq2seq: "A source to convert (e.g. a spelling)" }[kind] || "";
  $("run").textContent = { char: "Sample", generator: "Generate", classifier: "Classify", tagger: "Tag", seq2seq: "Convert" }[kind];
  if (kind === "generator") {
    $("condition").replaceChildren(...model.details.conditions.map((c) => new Option(c, c)));
  }
  const details = Object.entries(model.details).filter(([, v]) => !Array.isArray(v)).map(([k, v]) => `${k} ${v}`).join(", ");
  $("model-info").textContent = `${kind} · step ${model.step} · ${model.file}${details ? " · " + details : ""}`;
  if (limits.maxGeneratedLength) $("length").max = limits.maxGeneratedLength;
}

// Reads "event: NAME\ndata: JSON\n\n" blocks from the response as they arrive.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      onEvent(name, data ? JSON.parse(data) : null);
    }
  }
}

async function sample(model) {
  const body = {
    prime: $("input").value,
    length: Number($("length").value) || undefined,
    temperature: Number($("temperature").value) || undefined,
    topK: Number($("top-k").value) || 0,
  };
  if ($("seed").value) body.seed = Number($("seed").value);
  if (model.kind === "generator") body.condition = $("condition").value;
  const response = await post(`/api/models/${encodeURIComponent(model.name)}/sample`, body);
  if (model.kind === "char") $("output").textContent = body.prime;
  await readEvents(response, (name, data) => {
    if (name === "token") $("output").textContent += data.text;
    else if (name === "done") $("status").textContent = `${data.count} characters`;
  });
}

async function classify(model) {
  const answer = await (await post(`/api/models/${encodeURIComponent(model.name)}/classify`, { text: $("input").value })).json();
  $("label").textContent = answer.label;
  const rows = Object.entries(answer.probabilities).sort((a, b) => b[1] - a[1]);
  $("table").replaceChildren(...rows.map(([label, p]) => {
    const tr = document.createElement("tr");
    tr.append(cell(label), cell(p.toFixed(4)));
    return tr;
  }));
  $("status").textContent = `${(answer.probability * 100).toFixed(1)} %`;
}

async function tag(model) {
  const answer = await (await post(`/api/models/${encodeURIComponent(model.name)}/tag`, { text: $("input").value })).json();
  if (answer.restored !== null && answer.restored !== undefined) {
    $("output").textContent = answer.restored;
  } else {
    const chars = Array.from(answer.text);
    $("output").replaceChildren(...chars.map((c, i) => {
      const span = document.createElement("span");
      span.textContent = c;
      span.title = answer.tags[i];
      return span;
    }));
    $("table").replaceChildren(...chars.map((c, i) => {
      const tr = document.createElement("tr");
      tr.append(cell(c), cell(answer.tags[i]));
      return tr;
    }));
  }
  $("status").textContent = `${answer.tags.length} characters tagged`;
}

async function predict(model) {
  const body = { text: $("input").value, beam: Number($("beam").value) || 1, nBest: Number($("nbest").value) || 1 };
  const answer = await (await post(`/api/models/${encodeURIComponent(model.name)}/predict`, body)).json();
  $("label").textContent = answer.outputs.length ? answer.outputs[0].text : "";
  $("table").replaceChildren(...answer.outputs.map((o) => {
    const tr = document.createElement("tr");
    tr.append(cell(o.text), cell(o.logProbability.toFixed(4)), cell(o.finished ? "" : "cut at the length limit"));
    return tr;
  }));
  $("status").textContent = "";
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function run(event) {
  event.preventDefault();
  const model = current();
  if (!model) return;
  clearResult();
  $("run").disabled = true;
  $("status").textContent = "running…";
  try {
    if (model.kind === "char" || model.kind === "generator") await sample(model);
    else if (model.kind === "classifier") await classify(model);
    else if (model.kind === "tagger") await tag(model);
    else if (model.kind === "seq2seq") await predict(model);
  } catch (e) {
    fail(e.message);
  } finally {
    $("run").disabled = false;
  }
}

// ---- training runs ----
let selectedRun = null;
let pollTimer = null;

async function refreshRuns() {
  const response = await fetch("/api/runs");
  if (!response.ok) {
    $("runs-note").textContent = (await response.json()).error;
    return;
  }
  const { runs } = await response.json();
  $("runs-note").textContent = runs.length ? "" : "No runs yet: start one with carousel train … --out DIR inside the runs directory.";
  $("run-list").replaceChildren(...runs.map((r) => {
    const li = document.createElement("li");
    li.textContent = `${r.name} — ${r.points} evaluations${r.running ? " · training" : ""}`;
    li.dataset.run = r.name;
    if (r.name === selectedRun) li.classList.add("active");
    li.addEventListener("click", () => { selectedRun = r.name; refreshRuns(); });
    return li;
  }));
  if (!selectedRun && runs.length) selectedRun = runs[0].name;
  if (selectedRun) await drawRun(selectedRun);
}

async function drawRun(name) {
  const response = await fetch(`/api/runs/${name.split("/").map(encodeURIComponent).join("/")}`);
  if (!response.ok) return;
  const { run, metrics } = await response.json();
  if (name !== selectedRun) return; // an answer for a run the user has since left (polls and clicks overlap): drop it
  $("run-title").textContent = `${run.name}${run.running ? " (training)" : ""}`;
  const xKey = metrics.some((m) => typeof m.step === "number") ? "step" : "epoch";
  const keys = [...new Set(metrics.flatMap((m) => Object.keys(m)))].filter((k) => k.endsWith("_loss"));
  $("chart").replaceChildren(chart(metrics, xKey, keys));
}

const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

function chart(metrics, xKey, keys) {
  const ns = "http://www.w3.org/2000/svg";
  const W = 720, H = 320, left = 56, right = 150, top = 12, bottom = 36;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", W); svg.setAttribute("height", H); svg.setAttribute("id", "loss-chart");
  const points = keys.map((k) => metrics.filter((m) => typeof m[k] === "number" && typeof m[xKey] === "number").map((m) => [m[xKey], m[k]]));
  const all = points.flat();
  if (!all.length) return svg;
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const sx = (x) => left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - left - right);
  const sy = (y) => top + (y1 === y0 ? 0.5 : 1 - (y - y0) / (y1 - y0)) * (H - top - bottom);
  const text = (x, y, s, anchor) => {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", x); t.setAttribute("y", y); t.setAttribute("font-size", "12");
    if (anchor) t.setAttribute("text-anchor", anchor);
    t.textContent = s;
    svg.append(t);
  };
  const axis = document.createElementNS(ns, "path");
  axis.setAttribute("d", `M${left},${top}V${H - bottom}H${W - right}`);
  axis.setAttribute("stroke", "#888"); axis.setAttribute("fill", "none");
  svg.append(axis);
  text(left - 6, top + 10, y1.toPrecision(4), "end");
  text(left - 6, H - bottom, y0.toPrecision(4), "end");
  text(left, H - bottom + 16, String(x0));
  text(W - right, H - bottom + 16, String(x1), "end");
  text((left + W - right) / 2, H - 4, xKey, "middle");
  points.forEach((series, i) => {
    if (!series.length) return;
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", series.map(([x, y], j) => `${j ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(""));
    path.setAttribute("stroke", colors[i % colors.length]); path.setAttribute("fill", "none"); path.setAttribute("stroke-width", "2");
    path.setAttribute("data-series", keys[i]);
    svg.append(path);
    text(W - right + 10, top + 16 + 18 * i, `${keys[i]} ${series[series.length - 1][1].toFixed(4)}`);
  });
  return svg;
}

function selectTab(panel) {
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.panel === panel);
  show("models", panel === "models");
  show("runs", panel === "runs");
  clearInterval(pollTimer);
  if (panel === "runs") {
    refreshRuns();
    pollTimer = setInterval(refreshRuns, 2000);
  }
}

async function start() {
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => selectTab(tab.dataset.panel));
  $("model").addEventListener("change", onModelChange);
  $("model-form").addEventListener("submit", run);
  const server = await (await fetch("/api/server")).json();
  limits = server.limits;
  models = await (await fetch("/api/models")).json();
  $("model").replaceChildren(...models.map((m) => new Option(`${m.name} (${m.kind})`, m.name)));
  onModelChange();
  if (!models.length) selectTab("runs");
  else if (!server.runs) show("tab-runs", false);
  document.body.dataset.ready = "true";
}

start();
