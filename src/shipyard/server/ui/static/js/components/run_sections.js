// The run page's data sections: params, metrics (latest value and a sparkline of the history),
// tags (system mlflow.* tags apart), datasets and logged models.

import { mlflow } from "../lib/api.js";
import { h, clear, formatNumber, formatTime } from "../lib/ui.js";
import { sparkline } from "./sparkline.js";

const SPARK_POINTS = 60;
const NOTE_TAG = "mlflow.note.content";

function matches(filter, ...texts) {
  const needle = filter.trim().toLowerCase();
  return !needle || texts.some((text) => String(text).toLowerCase().includes(needle));
}

function keyValueTable(entries, emptyText) {
  if (!entries.length) return h("p", { class: "muted" }, emptyText);
  return h(
    "table",
    { class: "data kv" },
    h("tbody", {}, ...entries.map(([key, value]) => h("tr", {}, h("td", {}, key), h("td", { class: "mono" }, value)))),
  );
}

export function renderParams(target, params, filter = "") {
  const entries = Object.entries(params).sort(([a], [b]) => a.localeCompare(b)).filter(([key, value]) => matches(filter, key, value));
  const empty = Object.keys(params).length ? "No param matches the filter." : "No params logged.";
  clear(target).append(h("div", { class: "scroll-box" }, keyValueTable(entries, empty)));
}

export function renderTags(target, tags) {
  const entries = Object.entries(tags).filter(([key]) => key !== NOTE_TAG).sort(([a], [b]) => a.localeCompare(b));
  const user = entries.filter(([key]) => !key.startsWith("mlflow."));
  const system = entries.filter(([key]) => key.startsWith("mlflow."));
  clear(target).append(
    keyValueTable(user, "No tags."),
    system.length
      ? h("details", { class: "system-tags" }, h("summary", {}, `System tags (${system.length})`), keyValueTable(system, ""))
      : null,
  );
}

// -- metrics -----------------------------------------------------------------------------------

// Sparklines are fetched when their row scrolls into view: a run with hundreds of metrics
// costs a request per metric actually looked at, each capped at a few dozen points.
function lazySparklines(runId, root) {
  const observer = new IntersectionObserver(
    (seen) => {
      for (const item of seen) {
        if (!item.isIntersecting) continue;
        observer.unobserve(item.target);
        loadSparkline(runId, item.target);
      }
    },
    { root, rootMargin: "120px" },
  );
  return observer;
}

async function loadSparkline(runId, cell) {
  const key = cell.dataset.metric;
  try {
    const body = await mlflow.get("/metrics/get-history-bulk-interval", { run_ids: [runId], metric_key: key, max_results: SPARK_POINTS });
    const points = (body.metrics || []).map((point) => ({ step: Number(point.step), value: Number(point.value) }));
    points.sort((a, b) => a.step - b.step);
    clear(cell).append(sparkline(points, { label: key }));
  } catch {
    // The table still shows the latest value; a missing sparkline needs no alarm.
    cell.textContent = "";
  }
}

function metricsTable(runId, metrics, box) {
  const observer = lazySparklines(runId, box);
  const rows = metrics.map((metric) => {
    const spark = h("td", { class: "spark", dataset: { metric: metric.key } });
    observer.observe(spark);
    return h(
      "tr",
      {},
      h("td", { class: "metric-key" }, metric.key),
      h("td", { class: "num" }, formatNumber(metric.value)),
      h("td", { class: "num muted small" }, metric.step ? `step ${Number(metric.step).toLocaleString()}` : ""),
      spark,
    );
  });
  return h(
    "table",
    { class: "data metrics-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", { class: "num" }, "Latest"), h("th", { class: "num" }, "Step"), h("th", {}, "History"))),
    h("tbody", {}, ...rows),
  );
}

export function renderMetrics(target, runId, metrics, filter = "") {
  const shown = metrics.filter((metric) => matches(filter, metric.key)).sort((a, b) => a.key.localeCompare(b.key));
  const main = shown.filter((metric) => !metric.key.startsWith("system/"));
  const system = shown.filter((metric) => metric.key.startsWith("system/"));
  const box = h("div", { class: "scroll-box" });
  clear(target).append(box);
  if (!shown.length) {
    box.append(h("p", { class: "muted" }, metrics.length ? "No metric matches the filter." : "No metrics logged."));
    return;
  }
  if (main.length) box.append(metricsTable(runId, main, box));
  if (system.length) {
    const details = h("details", { class: "system-tags", open: !main.length }, h("summary", {}, `System metrics (${system.length})`));
    box.append(details);
    details.append(metricsTable(runId, system, box));
  }
}

// -- datasets and models -----------------------------------------------------------------------

function datasetSource(dataset) {
  try {
    const source = JSON.parse(dataset.source);
    return source.uri || source.url || source.path || dataset.source;
  } catch {
    return dataset.source || "";
  }
}

export function renderDatasets(target, inputs) {
  if (!inputs.length) {
    clear(target).append(h("p", { class: "muted" }, "No datasets logged."));
    return;
  }
  const rows = inputs.map((input) => {
    const dataset = input.dataset || {};
    const context = (input.tags || []).find((tag) => tag.key === "mlflow.data.context");
    return h(
      "tr",
      {},
      h("td", {}, h("strong", {}, dataset.name || ""), context ? h("span", { class: "badge accent" }, context.value) : null),
      h("td", { class: "mono small" }, dataset.digest || ""),
      h("td", {}, dataset.source_type || ""),
      h("td", { class: "mono small" }, datasetSource(dataset)),
      h("td", {}, dataset.schema ? h("details", {}, h("summary", {}, "Schema"), h("pre", { class: "small" }, prettyJson(dataset.schema))) : ""),
    );
  });
  clear(target).append(
    h("table", { class: "data" }, h("thead", {}, h("tr", {}, ...["Name", "Digest", "Type", "Source", ""].map((title) => h("th", {}, title)))), h("tbody", {}, ...rows)),
  );
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// Models the run logged (outputs), models it used (inputs), and models whose source it is.
export async function renderModels(target, run) {
  const outputs = ((run.outputs || {}).model_outputs || []).map((item) => ({ id: item.model_id, step: item.step, role: "output" }));
  const inputs = ((run.inputs || {}).model_inputs || []).map((item) => ({ id: item.model_id, role: "input" }));
  const found = new Map([...outputs, ...inputs].map((item) => [item.id, item]));
  const searched = await mlflow.post("/logged-models/search", {
    experiment_ids: [run.info.experiment_id],
    filter: `source_run_id = '${run.info.run_id}'`,
    max_results: 100,
  });
  for (const model of searched.models || []) {
    if (!found.has(model.info.model_id)) found.set(model.info.model_id, { id: model.info.model_id, role: "output", model });
  }
  const items = await Promise.all(
    [...found.values()].map(async (item) => ({ ...item, model: item.model || (await mlflow.get(`/logged-models/${encodeURIComponent(item.id)}`).then((body) => body.model, () => null)) })),
  );
  if (!items.length) {
    clear(target).append(h("p", { class: "muted" }, "No logged models."));
    return;
  }
  const rows = items.map(({ id, role, step, model }) => {
    const info = (model && model.info) || {};
    return h(
      "tr",
      { dataset: { modelId: id } },
      h("td", {}, h("strong", {}, info.name || "(not found)"), " ", h("span", { class: "badge" }, role === "input" ? "used" : "logged")),
      h("td", { class: "mono small" }, id),
      h("td", {}, info.model_type || ""),
      h("td", {}, info.status ? h("span", { class: `badge ${info.status.endsWith("READY") ? "ok" : ""}` }, info.status.replace("LOGGED_MODEL_", "")) : ""),
      h("td", { class: "nowrap" }, info.creation_timestamp_ms ? formatTime(info.creation_timestamp_ms) : step !== undefined ? `step ${step}` : ""),
    );
  });
  clear(target).append(
    h(
      "div",
      { class: "table-scroll" },
      h("table", { class: "data" }, h("thead", {}, h("tr", {}, ...["Name", "Model ID", "Type", "Status", "Created"].map((title) => h("th", {}, title)))), h("tbody", {}, ...rows)),
    ),
  );
}
