// Scatter of any two columns: one point per run, in the run's color.

import { h } from "../lib/ui.js";
import { hasValue } from "./compare_data.js";
import { columnSelect, leftOutNote, runsWithValues, viewCard } from "./compare_controls.js";
import { plotlyConfig, themedLayout } from "./chart_plotly.js";

export function defaultScatter(columns) {
  const param = columns.find((col) => col.kind === "param" && col.numeric && col.distinct > 1)
    || columns.find((col) => col.kind === "param" && col.distinct > 1) || columns[0];
  const metric = columns.find((col) => col.kind === "metric" && !col.key.startsWith("system/") && col.id !== param?.id)
    || columns.find((col) => col.id !== param?.id) || param;
  return [param?.id || "", metric?.id || ""];
}

export function scatterView(ctx) {
  const { columns, runs } = ctx;
  const known = new Set(columns.map((col) => col.id));
  const [defaultX, defaultY] = defaultScatter(columns);
  const choice = {
    x: known.has(ctx.state.sx) ? ctx.state.sx : defaultX,
    y: known.has(ctx.state.sy) ? ctx.state.sy : defaultY,
    logx: ctx.state.slogx === true,
    logy: ctx.state.slogy === true,
  };
  let shown = [];
  const card = viewCard({
    title: "Scatter",
    name: () => `scatter-${ctx.column(choice.x)?.key}-${ctx.column(choice.y)?.key}`,
    rows: () => [["run_id", "run_name", ctx.column(choice.x).label, ctx.column(choice.y).label],
      ...shown.map((index) => [runs[index].run_id, ctx.labels.get(runs[index].run_id),
        ctx.column(choice.x).values[index], ctx.column(choice.y).values[index]])],
  });
  const logBox = (axis, text) => h("label", { class: "control" }, h("input", {
    type: "checkbox", checked: choice[`log${axis}`],
    onchange: (event) => { choice[`log${axis}`] = event.target.checked; ctx.save({ [`slog${axis}`]: event.target.checked }); draw(); },
  }), ` ${text}`);
  const controls = h(
    "div",
    { class: "toolbar" },
    columnSelect({ label: "X", columns, value: choice.x, name: "scatter-x", onChange: (id) => { choice.x = id; ctx.save({ sx: id }); draw(); } }),
    logBox("x", "Log X"),
    columnSelect({ label: "Y", columns, value: choice.y, name: "scatter-y", onChange: (id) => { choice.y = id; ctx.save({ sy: id }); draw(); } }),
    logBox("y", "Log Y"),
  );

  function axis(col, log) {
    if (!col.numeric) return { title: { text: col.label }, type: "category", categoryorder: "category ascending" };
    return { title: { text: col.label }, type: log ? "log" : "linear" };
  }

  function draw() {
    const x = ctx.column(choice.x);
    const y = ctx.column(choice.y);
    if (!x || !y) {
      card.setMessage("These runs have no params or metrics to plot.");
      return;
    }
    shown = runsWithValues(runs, [x, y], hasValue);
    card.setNote(leftOutNote(runs.length, shown.length));
    card.setMessage(shown.length ? "" : "No run has a value for both columns.");
    if (!shown.length) return;
    window.Plotly.react(card.plot, [{
      type: "scatter",
      mode: "markers",
      x: shown.map((index) => x.values[index]),
      y: shown.map((index) => y.values[index]),
      text: shown.map((index) => ctx.labels.get(runs[index].run_id)),
      marker: { size: 11, color: shown.map((index) => ctx.colors.get(runs[index].run_id)), line: { width: 1, color: "rgba(0,0,0,0.25)" } },
      hovertemplate: "<b>%{text}</b><br>%{xaxis.title.text}: %{x}<br>%{yaxis.title.text}: %{y}<extra></extra>",
    }], themedLayout({
      height: 440,
      hovermode: "closest",
      xaxis: axis(x, choice.logx),
      yaxis: axis(y, choice.logy),
    }), plotlyConfig(`scatter-${x.key}-${y.key}`));
    card.markDrawn();
  }

  return { element: h("div", { class: "stack" }, controls, card.element), draw };
}
