// What each cell of the runs table shows: run attributes, metric/param/tag values, and for
// group rows the group's value and min · mean · max of each metric column.

import { pages } from "../lib/api.js";
import { h, formatDuration, formatNumber, formatTime, statusBadge } from "../lib/ui.js";
import { familyOf, keyOf } from "./columns.js";

// Three significant digits: group statistics share one narrow cell.
function short(number) {
  return Number.isFinite(number) ? String(Number(number.toPrecision(3))) : String(number);
}

function attributeCell(columnId, row, context) {
  switch (columnId) {
    case "attributes.status":
      return statusBadge(row.status);
    case "attributes.start_time":
      return formatTime(row.start);
    case "attributes.end_time":
      return formatTime(row.end);
    case "attributes.duration":
      return row.end || row.status === "RUNNING" ? formatDuration(row.start, row.end) : "";
    case "attributes.user_id":
      return row.user || "";
    case "attributes.experiment_id":
      return context.experimentName(row.experimentId);
    case "attributes.run_id":
      return h("code", { title: row.id }, row.id);
    default:
      return "";
  }
}

function groupCell(columnId, entry, context) {
  if (columnId === context.groupColumn) return entry.value;
  const stats = entry.stats[columnId];
  if (!stats) return "";
  const title = `min ${formatNumber(stats.min)} · mean ${formatNumber(stats.mean)} · max ${formatNumber(stats.max)} (${stats.count} runs)`;
  return h(
    "span",
    { class: "rt-agg", title },
    h("span", { class: "muted" }, short(stats.min)),
    " · ",
    h("strong", {}, short(stats.mean)),
    " · ",
    h("span", { class: "muted" }, short(stats.max)),
  );
}

// context: {valueOf(row, columnId), experimentName(id), groupColumn}
export function cellContent(columnId, entry, context) {
  if (entry.kind === "group") return groupCell(columnId, entry, context);
  const family = familyOf(columnId);
  if (family === "attribute") return attributeCell(columnId, entry.row, context);
  const value = context.valueOf(entry.row, columnId);
  if (value === null || value === undefined) return "";
  return family === "metric" ? formatNumber(value) : String(value);
}

// The run column: a link to the run (one tab stop for the whole grid: links are not in the
// tab order, Enter on the active row opens it), with its number of child runs.
export function nameContent(entry, context) {
  if (entry.kind === "group") {
    return h(
      "span",
      { class: "rt-group-label" },
      h("span", { class: "muted" }, `${keyOf(context.groupColumn)} = `),
      h("strong", {}, entry.value === "" ? "(none)" : entry.value),
      h("span", { class: "badge" }, `${entry.count} run${entry.count === 1 ? "" : "s"}`),
    );
  }
  const row = entry.row;
  return h(
    "span",
    { class: "rt-run-label" },
    h("a", { href: pages.run(row.id), tabindex: "-1", class: "rt-link", title: row.name }, row.name || row.id),
    entry.childCount ? h("span", { class: "badge", title: `${entry.childCount} child runs` }, String(entry.childCount)) : null,
    row.stage === "deleted" ? h("span", { class: "badge danger" }, "deleted") : null,
  );
}
