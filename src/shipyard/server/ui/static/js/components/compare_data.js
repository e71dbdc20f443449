// The runs of a comparison and the columns the compare views plot: every param and every
// latest metric value, one value per run. Runs may come from any number of experiments.

import { ApiError, keyValues, mlflow } from "../lib/api.js";

const PARALLEL_REQUESTS = 6;

// Run ids from "?runs=a,b,c" (repeats dropped, order kept).
export function runIdsFromUrl() {
  const raw = new URL(window.location.href).searchParams.get("runs") || "";
  return [...new Set(raw.split(",").map((id) => id.trim()).filter(Boolean))];
}

async function inParallel(items, task) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_REQUESTS, items.length) }, worker));
  return results;
}

function runRecord(run, experimentNames) {
  const info = run.info;
  const tags = keyValues(run.data?.tags);
  const metrics = {};
  for (const metric of run.data?.metrics || []) metrics[metric.key] = Number(metric.value);
  return {
    run_id: info.run_id,
    name: info.run_name || tags["mlflow.runName"] || info.run_id,
    experiment_id: info.experiment_id,
    experiment_name: experimentNames.get(info.experiment_id) || info.experiment_id,
    status: info.status,
    user_id: info.user_id || tags["mlflow.user"] || "",
    start_time: info.start_time,
    end_time: info.end_time,
    lifecycle_stage: info.lifecycle_stage,
    params: keyValues(run.data?.params),
    metrics,
    tags,
  };
}

// {runs, missing}: the runs found, in the order asked, and the ids the server does not know.
// `knownRuns` (records from an earlier load) spares fetching their experiments' names again.
export async function loadComparison(runIds, knownRuns = []) {
  const missing = [];
  const found = await inParallel(runIds, async (runId) => {
    try {
      return (await mlflow.get("/runs/get", { run_id: runId })).run;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        missing.push(runId);
        return null;
      }
      throw error;
    }
  });
  const runs = found.filter(Boolean);
  const known = new Map(knownRuns.map((run) => [run.experiment_id, run.experiment_name]));
  const experimentIds = [...new Set(runs.map((run) => run.info.experiment_id))].filter((id) => !known.has(id));
  const experiments = await inParallel(experimentIds, async (id) => {
    try {
      return (await mlflow.get("/experiments/get", { experiment_id: id })).experiment;
    } catch {
      return { experiment_id: id, name: id }; // the runs are still worth comparing
    }
  });
  const names = new Map([...known, ...experiments.map((experiment) => [experiment.experiment_id, experiment.name])]);
  return { runs: runs.map((run) => runRecord(run, names)), missing };
}

function isNumber(text) {
  return typeof text === "string" && text.trim() !== "" && Number.isFinite(Number(text));
}

function column(kind, key, values) {
  const defined = values.filter((value) => value !== undefined);
  const numeric = kind === "metric" || (defined.length > 0 && defined.every(isNumber));
  const typed = numeric ? values.map((value) => (value === undefined ? undefined : Number(value))) : values;
  const distinct = new Set(typed.filter((value) => value !== undefined && !Number.isNaN(value)));
  return { id: `${kind}:${key}`, kind, key, label: key, values: typed, numeric, distinct: distinct.size };
}

// Every param and metric as a column of per-run values; params whose values all read as
// numbers are numeric (plotted on a scale), the others categorical.
export function buildColumns(runs) {
  const paramKeys = new Set(runs.flatMap((run) => Object.keys(run.params)));
  const metricKeys = new Set(runs.flatMap((run) => Object.keys(run.metrics)));
  const byName = (a, b) => a.localeCompare(b);
  const columns = [
    ...[...paramKeys].sort(byName).map((key) => column("param", key, runs.map((run) => run.params[key]))),
    ...[...metricKeys].sort(byName).map((key) => column("metric", key, runs.map((run) => run.metrics[key]))),
  ];
  // a param and a metric of the same name need telling apart on an axis
  const seen = new Map();
  columns.forEach((col) => seen.set(col.key, (seen.get(col.key) || 0) + 1));
  columns.forEach((col) => {
    if (seen.get(col.key) > 1) col.label = `${col.key} (${col.kind})`;
  });
  return columns;
}

// Distinct values of a column in a readable order: numbers ascending, text alphabetically.
export function categories(col, indexes) {
  const values = [...new Set(indexes.map((index) => col.values[index]).filter((value) => value !== undefined))];
  return col.numeric ? values.sort((a, b) => a - b) : values.sort((a, b) => String(a).localeCompare(String(b)));
}

export function hasValue(col, index) {
  const value = col.values[index];
  return value !== undefined && !(typeof value === "number" && !Number.isFinite(value));
}
