// One model version: where it came from (source run, source URI), its approval with the
// decision's history, description and tags, its signature (read from the package's MLmodel),
// the metrics and params of the source run, and its files in the artifact browser.

import { keyValues, mlflow, pages } from "../lib/api.js";
import { $, clear, describe, formatNumber, h, showError } from "../lib/ui.js";
import { mountArtifactBrowser } from "../components/artifact_browser.js";
import { signatureView } from "../components/preview_mlmodel.js";
import { approvals, runs, versions } from "../components/registry_api.js";
import { approvalPanel } from "../components/registry_approval.js";
import {
  aliasChip,
  approvalBadge,
  descriptionEditor,
  kvTable,
  stageBadge,
  tagsEditor,
  timeCell,
} from "../components/registry_widgets.js";

const main = document.getElementById("main");
const name = main.dataset.name;
const number = main.dataset.version;

function badges(version, approval) {
  $("#version-badges").replaceChildren(
    ...(version.aliases || []).map((alias) => aliasChip(name, alias)),
    approvalBadge(approval.status),
    version.current_stage && version.current_stage !== "None" ? stageBadge(version.current_stage) : "",
  );
}

function runLink(version, run) {
  if (!version.run_id) return h("span", { class: "muted" }, "No source run recorded.");
  const label = run && run.info.run_name ? `${run.info.run_name} (${version.run_id.slice(0, 8)})` : version.run_id;
  return h("a", { href: pages.run(version.run_id), class: "source-run-link" }, label);
}

function overview(version, run, location, experiment) {
  clear($("#overview")).append(
    kvTable([
      ["Source run", runLink(version, run)],
      ["Experiment", run ? h("a", { href: pages.runs(run.info.experiment_id) }, experiment || run.info.experiment_id) : ""],
      ["Source", h("span", { class: "mono" }, version.source || "")],
      ["Model id", version.model_id ? h("span", { class: "mono" }, version.model_id) : ""],
      ["Location", location ? h("span", { class: "mono" }, location) : ""],
      ["Stage", stageBadge(version.current_stage)],
      ["Status", version.status],
      ["Created", timeCell(version.creation_timestamp)],
      ["Last updated", timeCell(version.last_updated_timestamp)],
      ["Registered by", version.user_id],
    ]),
  );
}

function valuesTable(rows, { numeric }) {
  if (!rows.length) {
    return h("p", { class: "muted" }, `The source run logged no ${numeric ? "metrics" : "parameters"}.`);
  }
  const row = ([key, value]) =>
    h(
      "tr",
      { "data-key": key },
      h("td", { class: "mono" }, key),
      h("td", { class: numeric ? "num mono" : "mono" }, numeric ? formatNumber(value) : value),
    );
  return h(
    "div",
    { class: "table-scroll short" },
    h(
      "table",
      { class: "data run-values" },
      h(
        "tbody",
        {},
        rows.map(row),
      ),
    ),
  );
}

function runValues(run) {
  if (!run) {
    for (const id of ["#run-metrics", "#run-params"]) clear($(id)).append(h("p", { class: "muted" }, "No source run."));
    return;
  }
  const byKey = ([a], [b]) => a.localeCompare(b);
  const metrics = (run.data.metrics || []).map((metric) => [metric.key, metric.value]).sort(byKey);
  const params = Object.entries(keyValues(run.data.params)).sort(byKey);
  clear($("#run-metrics")).append(valuesTable(metrics, { numeric: true }));
  clear($("#run-params")).append(valuesTable(params, { numeric: false }));
}

async function signature() {
  const target = $("#signature");
  try {
    clear(target).append(signatureView(await versions.signature(name, number)));
  } catch (error) {
    clear(target).append(h("p", { class: "muted" }, `No signature to show: ${describe(error)}`));
  }
}

// The source run may be deleted or unreadable: the version page still shows the rest.
async function sourceRun(version) {
  if (!version.run_id) return null;
  try {
    return await runs.get(version.run_id);
  } catch {
    return null;
  }
}

// The name of the source run's experiment (its id if the experiment cannot be read).
async function experimentName(run) {
  if (!run) return "";
  try {
    const body = await mlflow.get("/experiments/get", { experiment_id: run.info.experiment_id });
    return body.experiment.name;
  } catch {
    return run.info.experiment_id;
  }
}

async function load() {
  let version;
  let approval;
  let location;
  try {
    [version, approval, location] = await Promise.all([
      versions.get(name, number),
      approvals.get(name, number),
      versions.location(name, number),
    ]);
  } catch (error) {
    showError(error, $("#version-error"));
    for (const id of ["#overview", "#approval", "#signature", "#run-metrics", "#run-params"]) clear($(id));
    return;
  }
  $("#model-link").href = pages.model(name);
  badges(version, approval);
  approvalPanel($("#approval"), { name, version: number, approval, onChange: (updated) => badges(version, updated) });
  descriptionEditor($("#description"), {
    text: version.description,
    save: (text) => versions.updateDescription(name, number, text),
  });
  tagsEditor($("#tags"), {
    tags: keyValues(version.tags),
    set: (key, value) => versions.setTag(name, number, key, value),
    remove: (key) => versions.deleteTag(name, number, key),
  });
  mountArtifactBrowser($("#files"), {
    artifactUri: location,
    modelUri: `models:/${name}/${number}`,
    rootLabel: `v${number}`,
  });
  signature();
  const run = await sourceRun(version);
  overview(version, run, location, await experimentName(run));
  runValues(run);
}

load();
