// Box plots: a metric's spread among the runs that share a param value, one box per value,
// with every run drawn as a point beside its box.

import { h } from "../lib/ui.js";
import { categories, hasValue } from "./compare_data.js";
import { columnSelect, leftOutNote, runsWithValues, viewCard } from "./compare_controls.js";
import { plotlyConfig, runColor, themedLayout } from "./chart_plotly.js";

const MAX_GROUPS = 50; // more boxes than this cannot be read; the param is then not a grouping

export function defaultBox(columns) {
  const groups = columns.filter((col) => col.kind === "param" && col.distinct > 1 && col.distinct <= MAX_GROUPS);
  // few groups make readable boxes: prefer the param with the fewest distinct values
  const param = [...groups].sort((a, b) => a.distinct - b.distinct)[0];
  const metric = columns.find((col) => col.kind === "metric" && col.distinct > 1 && !col.key.startsWith("system/"))
    || columns.find((col) => col.kind === "metric");
  return [param?.id || "", metric?.id || ""];
}

export function boxView(ctx) {
  const { columns, runs } = ctx;
  const known = new Set(columns.map((col) => col.id));
  const defaults = defaultBox(columns);
  const choice = {
    x: known.has(ctx.state.bx) ? ctx.state.bx : defaults[0],
    y: known.has(ctx.state.by) ? ctx.state.by : defaults[1],
  };
  let shown = [];
  const card = viewCard({
    title: "Box plot",
    name: () => `box-${ctx.column(choice.y)?.key}-by-${ctx.column(choice.x)?.key}`,
    rows: () => [["run_id", "run_name", ctx.column(choice.x).label, ctx.column(choice.y).label],
      ...shown.map((index) => [runs[index].run_id, ctx.labels.get(runs[index].run_id),
        ctx.column(choice.x).values[index], ctx.column(choice.y).values[index]])],
  });
  const controls = h("div", { class: "toolbar" },
    columnSelect({ label: "Group by", columns, value: choice.x, name: "box-x", onChange: (id) => { choice.x = id; ctx.save({ bx: id }); draw(); } }),
    columnSelect({ label: "Metric", columns: columns.filter((col) => col.numeric), value: choice.y, name: "box-y", onChange: (id) => { choice.y = id; ctx.save({ by: id }); draw(); } }));

  function draw() {
    const x = ctx.column(choice.x);
    const y = ctx.column(choice.y);
    if (!x || !y) {
      card.setMessage("Box plots need a param to group by and a metric.");
      return;
    }
    shown = runsWithValues(runs, [x, y], hasValue);
    card.setNote(leftOutNote(runs.length, shown.length));
    const groups = categories(x, shown);
    if (!shown.length || groups.length > MAX_GROUPS) {
      card.setMessage(shown.length ? `${x.label} has ${groups.length} distinct values: too many groups to draw (at most ${MAX_GROUPS}).` : "No run has a value for both columns.");
      return;
    }
    card.setMessage("");
    const traces = groups.map((group, position) => {
      const members = shown.filter((index) => x.values[index] === group);
      return {
        type: "box",
        name: String(group),
        y: members.map((index) => y.values[index]),
        text: members.map((index) => ctx.labels.get(runs[index].run_id)),
        boxpoints: "all",
        jitter: 0.4,
        pointpos: 0,
        marker: { color: runColor(position), size: 7 },
        line: { color: runColor(position) },
        hovertemplate: "<b>%{text}</b><br>%{y:.5g}<extra>%{fullData.name}</extra>",
      };
    });
    window.Plotly.react(card.plot, traces, themedLayout({
      height: 440,
      showlegend: false,
      hovermode: "closest",
      xaxis: { title: { text: x.label }, type: "category" },
      yaxis: { title: { text: y.label } },
    }), plotlyConfig(`box-${y.key}-by-${x.key}`));
    card.markDrawn();
  }

  return { element: h("div", { class: "stack" }, controls, card.element), draw };
}
