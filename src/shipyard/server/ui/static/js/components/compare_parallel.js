// Parallel coordinates: one vertical axis per chosen param or metric, one line per run, the
// lines colored by a metric, so the settings behind good runs show as bundles.

import { h } from "../lib/ui.js";
import { categories, hasValue } from "./compare_data.js";
import { columnChecklist, columnSelect, leftOutNote, runsWithValues, viewCard } from "./compare_controls.js";
import { plotlyConfig, themeColors, themedLayout } from "./chart_plotly.js";

const DEFAULT_PARAMS = 6;
const DEFAULT_METRICS = 4;

// Params that tell the runs apart, then model metrics (system metrics say little about quality),
// skipping a column when taking it would leave out more than half of the runs: a line needs a
// value on every axis, and runs from other experiments often lack a column.
export function defaultDimensions(columns, runCount) {
  const params = columns.filter((col) => col.kind === "param" && col.distinct > 1).slice(0, DEFAULT_PARAMS);
  const metrics = columns.filter((col) => col.kind === "metric" && !col.key.startsWith("system/"));
  const enough = Math.max(1, Math.ceil(runCount / 2));
  let kept = Array.from({ length: runCount }, (_, index) => index);
  const chosen = [];
  let metricCount = 0;
  for (const col of [...params, ...metrics]) {
    if (col.kind === "metric" && metricCount >= DEFAULT_METRICS) break;
    const left = kept.filter((index) => hasValue(col, index));
    if (left.length < enough) continue;
    kept = left;
    chosen.push(col.id);
    if (col.kind === "metric") metricCount += 1;
  }
  return chosen;
}

function dimension(col, indexes) {
  if (col.numeric) return { label: col.label, values: indexes.map((index) => col.values[index]) };
  // text values sit at evenly spaced positions, labelled with the text
  const names = categories(col, indexes);
  return {
    label: col.label,
    values: indexes.map((index) => names.indexOf(col.values[index])),
    tickvals: names.map((_, position) => position),
    ticktext: names.map(String),
  };
}

export function parallelView(ctx) {
  const { columns, runs } = ctx;
  const known = new Set(columns.map((col) => col.id));
  // columns remembered from another comparison may not exist here
  const remembered = (ctx.state.pc || []).filter((id) => known.has(id));
  let chosen = remembered.length >= 2 ? remembered : defaultDimensions(columns, runs.length);
  const numeric = columns.filter((col) => col.numeric);
  let colorBy = known.has(ctx.state.pccolor) ? ctx.state.pccolor : chosen.map(ctx.column).filter((col) => col.kind === "metric").pop()?.id || numeric[0]?.id || "";
  let shown = [];
  const card = viewCard({
    title: "Parallel coordinates",
    name: "parallel-coordinates",
    rows: () => [["run_id", "run_name", ...chosen.map((id) => ctx.column(id).label)],
      ...shown.map((index) => [runs[index].run_id, ctx.labels.get(runs[index].run_id), ...chosen.map((id) => ctx.column(id).values[index])])],
  });
  const controls = h(
    "div",
    { class: "toolbar" },
    columnChecklist({
      label: "Columns", columns, selected: chosen,
      onChange: (ids) => { chosen = ids; ctx.save({ pc: ids }); draw(); },
    }),
    numeric.length ? columnSelect({
      label: "Color by", columns: numeric, value: colorBy, name: "color-by",
      onChange: (id) => { colorBy = id; ctx.save({ pccolor: id }); draw(); },
    }) : null,
  );

  function draw() {
    const cols = chosen.map(ctx.column);
    if (cols.length < 2) {
      card.setMessage("Choose at least two columns to draw parallel coordinates.");
      card.setNote("");
      return;
    }
    shown = runsWithValues(runs, cols, hasValue);
    card.setNote(leftOutNote(runs.length, shown.length));
    if (!shown.length) {
      card.setMessage("No run has a value for every chosen column.");
      return;
    }
    card.setMessage("");
    const colors = themeColors();
    const colorCol = ctx.column(colorBy);
    const line = colorCol && colorCol.numeric && shown.every((index) => hasValue(colorCol, index))
      ? {
        color: shown.map((index) => colorCol.values[index]),
        colorscale: "Viridis",
        showscale: true,
        colorbar: { title: { text: colorCol.label, side: "right" }, thickness: 12 },
      }
      : { color: colors.accent };
    const font = { color: colors.fg, size: 12 };
    window.Plotly.react(card.plot, [{
      type: "parcoords",
      dimensions: cols.map((col) => dimension(col, shown)),
      line,
      labelfont: font,
      tickfont: { color: colors.fg, size: 11 },
      rangefont: { color: colors.fgSoft, size: 10 },
      labelangle: cols.length > 6 ? -20 : 0,
    }], themedLayout({ height: 440, margin: { l: 70, r: 70, t: 70, b: 30 } }), plotlyConfig("parallel-coordinates"));
    card.markDrawn();
  }

  return { element: h("div", { class: "stack" }, controls, card.element), draw };
}
