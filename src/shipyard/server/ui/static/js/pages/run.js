// The run page (/runs/<id>): overview, description, params, metrics with sparklines, tags,
// datasets, logged models, and the Charts and Artifacts tabs (mounted from other components
// when opened). Its JSON twin is MLflow's runs/get; children come from runs/table.

import { mlflow, shipyard, keyValues, pages } from "../lib/api.js";
import { h, clear, showError, toast, formatTime, formatDuration, statusBadge } from "../lib/ui.js";
import { promptDialog } from "../components/run_dialogs.js";
import { RunDescription } from "../components/run_description.js";
import { renderParams, renderMetrics, renderTags, renderDatasets, renderModels } from "../components/run_sections.js";
import { LiveRefresh } from "../components/run_live.js";

const $ = (id) => document.getElementById(id);
const runId = $("main").dataset.runId;
const TABS = ["overview", "charts", "artifacts"];
const MAX_CHILDREN_SHOWN = 50;

let run = null;
let children = [];
const mounted = new Set();
const description = new RunDescription($("description"), $("edit-description"), runId);
const live = new LiveRefresh({
  isLive: () => Boolean(run) && run.info.status === "RUNNING",
  describe: () => "this run is running",
  refresh: () => load({ quiet: true }),
});

// -- details -----------------------------------------------------------------------------------

function copyButton(text, label) {
  return h(
    "button",
    {
      type: "button",
      class: "icon-button copy",
      "aria-label": `Copy ${label}`,
      title: `Copy ${label}`,
      onclick: () => navigator.clipboard.writeText(text).then(() => toast(`Copied ${label}.`), () => toast("The browser refused the clipboard.", { error: true })),
    },
    "Copy",
  );
}

function runLink(id, name) {
  return h("a", { href: pages.run(id) }, name || id);
}

function detailRows(parent, experiment) {
  const info = run.info;
  const tags = keyValues(run.data.tags);
  const source = tags["mlflow.source.name"];
  const commit = tags["mlflow.source.git.commit"];
  const rows = [
    ["Run ID", [h("code", {}, info.run_id), " ", copyButton(info.run_id, "run ID")]],
    ["Experiment", experiment ? h("a", { href: pages.runs(info.experiment_id) }, experiment.name) : info.experiment_id],
    ["Status", [statusBadge(info.status), info.lifecycle_stage === "deleted" ? [" ", h("span", { class: "badge danger" }, "deleted")] : null]],
    ["Started", formatTime(info.start_time)],
    ["Ended", info.end_time ? formatTime(info.end_time) : info.status === "RUNNING" ? "still running" : ""],
    ["Duration", info.end_time || info.status === "RUNNING" ? formatDuration(info.start_time, info.end_time) : ""],
    ["User", tags["mlflow.user"] || info.user_id],
    ["Source", source ? [h("code", {}, source), tags["mlflow.source.type"] ? ` (${tags["mlflow.source.type"]})` : ""] : ""],
    ["Git commit", commit ? [h("code", {}, commit), " ", copyButton(commit, "commit"), tags["mlflow.source.git.branch"] ? ` on ${tags["mlflow.source.git.branch"]}` : ""] : ""],
    ["Git repository", tags["mlflow.source.git.repoURL"] || ""],
    ["Parent run", parent ? runLink(parent.id, parent.name) : ""],
    ["Child runs", childLinks()],
    ["Artifact location", h("code", { class: "small" }, info.artifact_uri)],
  ];
  return rows.filter(([, value]) => value !== "" && !(Array.isArray(value) && !value.length));
}

function childLinks() {
  if (!children.length) return "";
  const shown = children.slice(0, MAX_CHILDREN_SHOWN);
  const links = shown.flatMap((child, index) => [index ? ", " : "", runLink(child[0], child[2])]);
  if (children.length > shown.length) links.push(` and ${children.length - shown.length} more`);
  return h("span", { id: "child-runs" }, `${children.length}: `, ...links);
}

function renderDetails(parent, experiment) {
  const body = h("tbody", {}, ...detailRows(parent, experiment).map(([label, value]) => h("tr", {}, h("td", {}, label), h("td", {}, value))));
  $("details-table").replaceChildren(body);
}

// -- loading -----------------------------------------------------------------------------------

async function loadRelatives(info, tags) {
  const parentId = tags["mlflow.parentRunId"];
  const [parent, experiment, table] = await Promise.all([
    parentId
      ? mlflow.get("/runs/get", { run_id: parentId }).then(
          (body) => ({ id: parentId, name: body.run.info.run_name }),
          () => ({ id: parentId, name: parentId }),
        )
      : null,
    mlflow.get("/experiments/get", { experiment_id: info.experiment_id }).then((body) => body.experiment),
    shipyard.post("/runs/table", {
      experiment_ids: [info.experiment_id],
      filter: `tags.mlflow.parentRunId = '${info.run_id}'`,
      order_by: ["attributes.start_time ASC"],
      max_results: 1000,
    }),
  ]);
  children = table.rows;
  return { parent, experiment };
}

function renderHeader(experiment) {
  const info = run.info;
  document.title = `${info.run_name} · Shipyard`;
  $("run-title").textContent = info.run_name || info.run_id;
  $("run-crumb").textContent = info.run_name || info.run_id;
  const link = $("run-experiment-link");
  link.textContent = experiment ? experiment.name : info.experiment_id;
  link.href = pages.runs(info.experiment_id);
  clear($("run-badges")).append(statusBadge(info.status), info.lifecycle_stage === "deleted" ? h("span", { class: "badge danger" }, "deleted") : "");
  $("rename-run").disabled = info.lifecycle_stage !== "active";
  const compared = [info.run_id, ...children.map((child) => child[0])];
  $("compare-run").href = pages.compare(compared);
  $("compare-run").textContent = children.length ? `Compare with ${children.length} child runs` : "Compare";
  $("artifact-browser").dataset.artifactUri = info.artifact_uri;
}

function renderData() {
  const data = run.data;
  renderMetrics($("metrics"), runId, data.metrics || [], $("metrics-filter").value);
  renderParams($("params"), keyValues(data.params), $("params-filter").value);
  renderTags($("tags"), keyValues(data.tags));
  renderDatasets($("datasets"), (run.inputs || {}).dataset_inputs || []);
}

// What the charts show changes only with the latest metric points: refetch them then.
const metricsSignature = (data) => JSON.stringify((data && data.metrics) || []);
let charts = null; // the Charts tab's handle once it is mounted

async function load({ quiet = false } = {}) {
  try {
    const body = await mlflow.get("/runs/get", { run_id: runId });
    const changed = run !== null && metricsSignature(run.data) !== metricsSignature(body.run.data);
    run = body.run;
    if (changed) charts?.refresh();
    const tags = keyValues(run.data.tags);
    const { parent, experiment } = await loadRelatives(run.info, tags);
    renderHeader(experiment);
    renderDetails(parent, experiment);
    description.update(tags, run.info.lifecycle_stage === "active");
    renderData();
    if (!quiet) await renderModels($("models"), run);
  } catch (error) {
    if (quiet) throw error;
    showError(error, $("run-error"));
  } finally {
    live.check();
  }
}

// -- tabs ----------------------------------------------------------------------------------------

// The Charts and Artifacts tabs are other components' modules, loaded when first opened.
const MOUNTS = {
  charts: () =>
    import("../components/charts.js").then((module) => {
      charts = module.mountMetricCharts($("metric-charts"), { runs: [{ run_id: runId, name: run ? run.info.run_name : runId }] });
    }),
  artifacts: () =>
    import("../components/artifact_browser.js").then((module) =>
      module.mountArtifactBrowser($("artifact-browser"), { runId, artifactUri: $("artifact-browser").dataset.artifactUri }),
    ),
};

async function mount(name) {
  if (mounted.has(name) || !MOUNTS[name]) return;
  mounted.add(name);
  if (!run) await waitForRun();
  try {
    await MOUNTS[name]();
  } catch (error) {
    const target = name === "charts" ? $("metric-charts") : $("artifact-browser");
    showError(new Error(`The ${name} view could not be loaded: ${error.message}`), target);
  }
}

function waitForRun() {
  return new Promise((resolve) => {
    const check = () => (run ? resolve() : setTimeout(check, 50));
    check();
  });
}

function selectTab(name, { focus = false } = {}) {
  for (const tab of TABS) {
    const button = $(`tab-${tab}`);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`panel-${tab}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
  const hash = name === "overview" ? "" : `#${name}`;
  if (window.location.hash !== hash) history.replaceState(null, "", hash || window.location.pathname + window.location.search);
  mount(name);
}

function wireTabs() {
  for (const name of TABS) $(`tab-${name}`).addEventListener("click", () => selectTab(name));
  // Arrow keys move between tabs, as the WAI-ARIA tabs pattern expects.
  $("tab-overview").parentElement.addEventListener("keydown", (event) => {
    const current = TABS.findIndex((name) => $(`tab-${name}`).getAttribute("aria-selected") === "true");
    const moves = { ArrowRight: 1, ArrowLeft: -1 };
    if (event.key in moves) selectTab(TABS[(current + moves[event.key] + TABS.length) % TABS.length], { focus: true });
    else if (event.key === "Home") selectTab(TABS[0], { focus: true });
    else if (event.key === "End") selectTab(TABS[TABS.length - 1], { focus: true });
    else return;
    event.preventDefault();
  });
  const initial = window.location.hash.slice(1);
  selectTab(TABS.includes(initial) ? initial : "overview");
}

function wire() {
  wireTabs();
  $("metrics-filter").addEventListener("input", () => run && renderMetrics($("metrics"), runId, run.data.metrics || [], $("metrics-filter").value));
  $("params-filter").addEventListener("input", () => run && renderParams($("params"), keyValues(run.data.params), $("params-filter").value));
  $("rename-run").addEventListener("click", async () => {
    const name = await promptDialog({ title: "Rename run", label: "Run name", value: run.info.run_name, confirm: "Rename" });
    if (!name || name === run.info.run_name) return;
    try {
      await mlflow.post("/runs/update", { run_id: runId, run_name: name });
      toast(`Renamed to ${name}.`);
      await load({ quiet: true });
    } catch (error) {
      showError(error);
    }
  });
}

wire();
load();
