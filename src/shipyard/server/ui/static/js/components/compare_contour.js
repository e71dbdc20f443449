// Contour: a metric over two params, interpolated between the runs, with the runs themselves
// drawn as points on top so one can see where the surface is measured and where it is guessed.

import { h } from "../lib/ui.js";
import { categories, hasValue } from "./compare_data.js";
import { columnSelect, leftOutNote, runsWithValues, viewCard } from "./compare_controls.js";
import { plotlyConfig, themeColors, themedLayout } from "./chart_plotly.js";

export function defaultContour(columns) {
  const params = columns.filter((col) => col.kind === "param" && col.distinct > 1);
  const numericFirst = [...params.filter((col) => col.numeric), ...params.filter((col) => !col.numeric)];
  const metric = columns.find((col) => col.kind === "metric" && col.distinct > 1 && !col.key.startsWith("system/"))
    || columns.find((col) => col.kind === "metric");
  return [numericFirst[0]?.id || "", numericFirst[1]?.id || "", metric?.id || ""];
}

// Positions on an axis: numbers as they are, text values at 0, 1, 2... labelled with the text.
function positions(col, indexes) {
  if (col.numeric) return { at: (index) => col.values[index], axis: { title: { text: col.label } } };
  const names = categories(col, indexes);
  return {
    at: (index) => names.indexOf(col.values[index]),
    axis: { title: { text: col.label }, tickvals: names.map((_, position) => position), ticktext: names.map(String) },
  };
}

// One z per (x, y) cell: runs that share both params are averaged.
function cells(xs, ys, zs) {
  const sums = new Map();
  xs.forEach((x, i) => {
    const key = `${x}\u0000${ys[i]}`;
    const cell = sums.get(key) || { x, y: ys[i], total: 0, count: 0 };
    cell.total += zs[i];
    cell.count += 1;
    sums.set(key, cell);
  });
  return [...sums.values()].map((cell) => ({ x: cell.x, y: cell.y, z: cell.total / cell.count }));
}

export function contourView(ctx) {
  const { columns, runs } = ctx;
  const known = new Set(columns.map((col) => col.id));
  const defaults = defaultContour(columns);
  const choice = {
    x: known.has(ctx.state.cx) ? ctx.state.cx : defaults[0],
    y: known.has(ctx.state.cy) ? ctx.state.cy : defaults[1],
    z: known.has(ctx.state.cz) ? ctx.state.cz : defaults[2],
  };
  let shown = [];
  const card = viewCard({
    title: "Contour",
    name: () => `contour-${ctx.column(choice.z)?.key}`,
    rows: () => {
      const cols = ["x", "y", "z"].map((axis) => ctx.column(choice[axis]));
      return [["run_id", "run_name", ...cols.map((col) => col.label)],
        ...shown.map((index) => [runs[index].run_id, ctx.labels.get(runs[index].run_id), ...cols.map((col) => col.values[index])])];
    },
  });
  const metrics = columns.filter((col) => col.numeric);
  const pick = (axis, label, options, key) => columnSelect({
    label, columns: options, value: choice[axis], name: `contour-${axis}`,
    onChange: (id) => { choice[axis] = id; ctx.save({ [key]: id }); draw(); },
  });
  const controls = h("div", { class: "toolbar" },
    pick("x", "X", columns, "cx"), pick("y", "Y", columns, "cy"), pick("z", "Color (Z)", metrics, "cz"));

  function draw() {
    const [x, y, z] = ["x", "y", "z"].map((axis) => ctx.column(choice[axis]));
    if (!x || !y || !z) {
      card.setMessage("A contour needs two params and a metric.");
      return;
    }
    shown = runsWithValues(runs, [x, y, z], hasValue);
    card.setNote(leftOutNote(runs.length, shown.length));
    const px = positions(x, shown);
    const py = positions(y, shown);
    const xs = shown.map(px.at);
    const ys = shown.map(py.at);
    if (new Set(xs).size < 2 || new Set(ys).size < 2 || x.id === y.id) {
      card.setMessage("A contour needs two different columns, each with at least two distinct values among the runs.");
      return;
    }
    card.setMessage("");
    const grid = cells(xs, ys, shown.map((index) => z.values[index]));
    const colors = themeColors();
    window.Plotly.react(card.plot, [
      {
        type: "contour",
        x: grid.map((cell) => cell.x),
        y: grid.map((cell) => cell.y),
        z: grid.map((cell) => cell.z),
        connectgaps: true,
        colorscale: "Viridis",
        contours: { showlabels: true, labelfont: { color: "#ffffff", size: 10 } },
        colorbar: { title: { text: z.label, side: "right" }, thickness: 12 },
        hovertemplate: "%{xaxis.title.text}: %{x}<br>%{yaxis.title.text}: %{y}<br><b>%{z:.5g}</b><extra></extra>",
      },
      {
        type: "scatter",
        mode: "markers",
        x: xs,
        y: ys,
        text: shown.map((index) => ctx.labels.get(runs[index].run_id)),
        customdata: shown.map((index) => z.values[index]),
        marker: { size: 9, color: shown.map((index) => ctx.colors.get(runs[index].run_id)), line: { width: 1.5, color: colors.bg } },
        hovertemplate: "<b>%{text}</b><br>%{customdata:.5g}<extra></extra>",
        showlegend: false,
      },
    ], themedLayout({ height: 440, hovermode: "closest", xaxis: px.axis, yaxis: py.axis }),
    plotlyConfig(`contour-${z.key}`));
    card.markDrawn();
  }

  return { element: h("div", { class: "stack" }, controls, card.element), draw };
}
