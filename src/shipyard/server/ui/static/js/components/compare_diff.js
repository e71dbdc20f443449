// The diff table: runs side by side, a row per attribute, param, metric and tag; rows whose
// values differ are marked, and "Only differences" hides the rest.

import { pages } from "../lib/api.js";
import { formatDuration, formatNumber, formatTime, h } from "../lib/ui.js";
import { downloadCsv } from "./chart_export.js";

const MISSING = "—";

// The rows of the table: {section, label, values (display text per run; undefined = missing)}.
export function diffRows(runs) {
  const rows = [];
  const add = (section, label, value) => rows.push({ section, label, values: runs.map(value) });
  add("Run", "Experiment", (run) => run.experiment_name);
  add("Run", "Status", (run) => run.status);
  add("Run", "User", (run) => run.user_id || undefined);
  add("Run", "Started", (run) => formatTime(run.start_time) || undefined);
  add("Run", "Duration", (run) => (run.end_time ? formatDuration(run.start_time, run.end_time) : undefined));
  add("Run", "Source", (run) => run.tags["mlflow.source.name"]);
  add("Run", "Git commit", (run) => run.tags["mlflow.source.git.commit"]);
  add("Run", "Parent run", (run) => run.tags["mlflow.parentRunId"]);
  rows[rows.length - 1].link = (runId) => h("a", { href: pages.run(runId), title: runId, class: "mono" }, runId.slice(0, 8));
  const keys = (pick, keep = () => true) => [...new Set(runs.flatMap((run) => Object.keys(pick(run))))]
    .filter(keep).sort((a, b) => a.localeCompare(b));
  for (const key of keys((run) => run.params)) add("Params", key, (run) => run.params[key]);
  for (const key of keys((run) => run.metrics)) {
    add("Metrics", key, (run) => (key in run.metrics ? formatNumber(run.metrics[key]) : undefined));
  }
  // mlflow.* tags are the client's bookkeeping, shown above where they matter
  for (const key of keys((run) => run.tags, (key) => !key.startsWith("mlflow."))) add("Tags", key, (run) => run.tags[key]);
  return rows.filter((row) => row.values.some((value) => value !== undefined));
}

export function differs(row) {
  return new Set(row.values.map((value) => (value === undefined ? MISSING : String(value)))).size > 1;
}

export function diffView(ctx) {
  const { runs } = ctx;
  const rows = diffRows(runs);
  let onlyDifferences = ctx.state.diffonly === true;
  const body = h("tbody");
  const count = h("span", { class: "muted small", "aria-live": "polite" });
  const filter = h("input", {
    type: "search", placeholder: "Filter rows", "aria-label": "Filter rows", class: "picker-filter",
    oninput: () => render(),
  });
  const toggle = h("input", {
    type: "checkbox", checked: onlyDifferences, name: "only-differences",
    onchange: () => { onlyDifferences = toggle.checked; ctx.save({ diffonly: onlyDifferences }); render(); },
  });

  function visible() {
    const text = filter.value.trim().toLowerCase();
    return rows.filter((row) => (!onlyDifferences || differs(row)) && (!text || row.label.toLowerCase().includes(text)));
  }

  function render() {
    const shown = visible();
    body.replaceChildren();
    let section = "";
    for (const row of shown) {
      if (row.section !== section) {
        section = row.section;
        body.append(h("tr", { class: "diff-section" }, h("th", { colspan: String(runs.length + 1), scope: "colgroup" }, section)));
      }
      const changed = differs(row);
      body.append(h(
        "tr",
        { class: changed ? "diff-row differs" : "diff-row", dataset: { section: row.section, key: row.label } },
        h("th", { scope: "row", class: "diff-key" }, row.label),
        row.values.map((value) => h(
          "td",
          { class: value === undefined ? "missing" : "" },
          value === undefined ? MISSING : row.link ? row.link(value) : value,
        )),
      ));
    }
    if (!shown.length) {
      body.append(h("tr", {}, h("td", { colspan: String(runs.length + 1), class: "empty" },
        onlyDifferences ? "These runs do not differ in any shown row." : "No row matches the filter.")));
    }
    const differing = rows.filter(differs).length;
    count.textContent = `${shown.length} of ${rows.length} rows shown · ${differing} differ`;
  }

  const head = h("thead", {}, h("tr", {}, h("th", { class: "diff-key" }, ""), runs.map((run) => h(
    "th",
    { scope: "col" },
    h("span", { class: "swatch", style: `background:${ctx.colors.get(run.run_id)}` }),
    h("a", { href: pages.run(run.run_id) }, ctx.labels.get(run.run_id)),
  ))));
  const csv = () => downloadCsv("run-diff", [
    ["section", "name", ...runs.map((run) => ctx.labels.get(run.run_id))],
    ...visible().map((row) => [row.section, row.label, ...row.values]),
  ]);
  render();
  const element = h(
    "div",
    { class: "stack" },
    h("div", { class: "toolbar" },
      h("label", { class: "control" }, toggle, " Only differences"),
      filter,
      count,
      h("button", { type: "button", class: "chart-action", onclick: csv, title: "Download the table as CSV" }, "CSV")),
    h("div", { class: "diff-scroll" }, h("table", { class: "data diff-table" }, head, body)),
  );
  return { element, draw: () => {} };
}
