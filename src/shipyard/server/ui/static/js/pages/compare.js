// The compare page (/compare?runs=<id>,<id>...): metric charts of the runs, then parallel
// coordinates, scatter, contour and box plots over their params and metrics, and a diff table.
// What is chosen in each view is kept in the URL, so a comparison can be shared as a link.

import { mountMetricCharts } from "../components/charts.js";
import { loadPlotly, onThemeChange, runColors, runLabels } from "../components/chart_plotly.js";
import { boxView } from "../components/compare_box.js";
import { contourView } from "../components/compare_contour.js";
import { buildColumns, loadComparison, runIdsFromUrl } from "../components/compare_data.js";
import { diffView } from "../components/compare_diff.js";
import { parallelView } from "../components/compare_parallel.js";
import { scatterView } from "../components/compare_scatter.js";
import { LiveRefresh } from "../components/run_live.js";
import { pages } from "../lib/api.js";
import { readState, writeState } from "../lib/state.js";
import { $, clear, h, showError, statusBadge, toast } from "../lib/ui.js";

const SCOPE = "compare";
const DEFAULTS = {
  view: "charts",
  pc: null, pccolor: "",
  sx: "", sy: "", slogx: false, slogy: false,
  cx: "", cy: "", cz: "",
  bx: "", by: "",
  diffonly: false,
};
const VIEWS = [
  ["charts", "Charts"],
  ["parallel", "Parallel coordinates"],
  ["scatter", "Scatter"],
  ["contour", "Contour"],
  ["box", "Box plot"],
  ["diff", "Diff"],
];

// A hand-edited link must not break the page: unreadable state falls back to the defaults.
function safeState() {
  try {
    return { ...readState(SCOPE, DEFAULTS) };
  } catch {
    toast("Some settings in this link could not be read; the defaults are shown instead.", { error: true });
    return { ...DEFAULTS };
  }
}

function header(runs, colors, labels, missing) {
  const experiments = new Map(runs.map((run) => [run.experiment_id, run.experiment_name]));
  const links = [...experiments].map(([id, name]) => h("a", { href: pages.runs(id) }, name));
  return h(
    "div",
    { class: "compare-header" },
    h("div", { class: "breadcrumbs" }, h("a", { href: pages.experiments() }, "Experiments"), " / ",
      links.flatMap((link, index) => (index ? [", ", link] : [link]))),
    h("h1", {}, `Compare ${runs.length} run${runs.length === 1 ? "" : "s"}`,
      experiments.size > 1 ? h("span", { class: "muted small" }, ` from ${experiments.size} experiments`) : ""),
    missing.length
      ? h("div", { class: "notice", role: "status" }, `Not found, left out: ${missing.join(", ")}`)
      : "",
    h("ul", { class: "run-legend compare-runs", "aria-label": "Compared runs" }, runs.map((run) => h(
      "li",
      {},
      h("span", { class: "swatch", style: `background:${colors.get(run.run_id)}` }),
      h("a", { href: pages.run(run.run_id) }, labels.get(run.run_id)),
      experiments.size > 1 ? h("span", { class: "muted small" }, run.experiment_name) : "",
      run.status !== "FINISHED" ? statusBadge(run.status) : "",
    ))),
  );
}

// Tabs with arrow-key movement between them (the WAI-ARIA tabs pattern).
function tabs(current, onSelect) {
  const buttons = VIEWS.map(([id, title]) => h("button", {
    type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`,
    "aria-selected": String(id === current), tabindex: id === current ? "0" : "-1",
    onclick: () => onSelect(id),
  }, title));
  const list = h("div", { class: "tabs", role: "tablist", "aria-label": "Comparison views" }, buttons);
  list.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const index = buttons.indexOf(document.activeElement);
    const next = buttons[(index + step + buttons.length) % buttons.length];
    next.focus();
    onSelect(next.id.slice(4));
  });
  const select = (id) => buttons.forEach((button) => {
    const on = button.id === `tab-${id}`;
    button.setAttribute("aria-selected", String(on));
    button.tabIndex = on ? 0 : -1;
  });
  return { element: list, select };
}

async function main() {
  const root = $("#compare");
  const runIds = runIdsFromUrl();
  if (!runIds.length) {
    clear(root).append(h("div", { class: "empty" },
      h("p", {}, "No runs to compare."),
      h("p", {}, "Select runs in an experiment's runs table and choose “Compare”, or open ",
        h("code", {}, "/compare?runs=<run id>,<run id>"), "."),
      h("a", { href: pages.experiments() }, "Go to the experiments")));
    return;
  }
  const plotly = loadPlotly(); // loads while the runs do; the metric charts fetch meanwhile
  const { runs, missing } = await loadComparison(runIds);
  if (!runs.length) {
    clear(root).append(h("div", { class: "error-text", role: "alert" }, `None of the runs were found: ${missing.join(", ")}`));
    return;
  }
  const state = safeState();
  const save = (changes) => {
    Object.assign(state, changes);
    writeState(SCOPE, state, DEFAULTS);
  };
  const columns = buildColumns(runs);
  const byId = new Map(columns.map((col) => [col.id, col]));
  const ctx = {
    runs, columns, state, save,
    colors: runColors(runs),
    labels: runLabels(runs),
    column: (id) => byId.get(id),
  };
  const builders = { parallel: parallelView, scatter: scatterView, contour: contourView, box: boxView, diff: diffView };
  const views = new Map();
  const panels = new Map(VIEWS.map(([id]) => [id, h("div", {
    class: "tab-panel", role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: true, dataset: { view: id },
  })]));
  let current = VIEWS.some(([id]) => id === state.view) ? state.view : "charts";

  // Views are built the first time they are shown: Plotly sizes a chart from its visible box.
  function show(id) {
    current = id;
    save({ view: id });
    tabBar.select(id);
    panels.forEach((panel, key) => { panel.hidden = key !== id; });
    if (id === "charts") {
      if (!views.has(id)) {
        const metricKeys = [...new Set(runs.flatMap((run) => Object.keys(run.metrics)))];
        views.set(id, mountMetricCharts(panels.get(id), {
          runs: runs.map((run) => ({ run_id: run.run_id, name: run.name, start_time: run.start_time })),
          keys: metricKeys,
          stateScope: "compare-charts",
          legend: false,
        }));
      }
      return;
    }
    plotly
      .then(() => {
        if (!views.has(id)) {
          const view = builders[id](ctx);
          panels.get(id).append(view.element);
          views.set(id, view);
        }
        if (current === id) views.get(id).draw?.();
      })
      .catch((error) => showError(error, panels.get(id)));
  }

  // Redraw what is shown (theme change, live refresh), once Plotly is there.
  const redraw = () => plotly.then(() => views.get(current)?.draw?.());

  const tabBar = tabs(current, show);
  clear(root).append(header(runs, ctx.colors, ctx.labels, missing), tabBar.element, ...panels.values());
  onThemeChange(redraw);
  show(current);
  root.dataset.ready = "true";

  // While a compared run is RUNNING: statuses, metric charts and the current view update.
  // Charts are fetched again only when a run's status or latest metric values changed: a
  // quiet run (or a long one) is not re-read every few seconds.
  const running = () => runs.filter((run) => run.status === "RUNNING").length;
  const signature = () => JSON.stringify(runs.map((run) => [run.run_id, run.status, run.end_time, run.metrics]));
  new LiveRefresh({
    isLive: () => running() > 0,
    describe: () => `${running()} running`,
    refresh: async () => {
      const before = signature();
      const fresh = new Map((await loadComparison(runs.map((run) => run.run_id), runs)).runs.map((run) => [run.run_id, run]));
      runs.forEach((run, index) => {
        if (fresh.has(run.run_id)) runs[index] = fresh.get(run.run_id);
      });
      if (signature() === before) return;
      root.querySelector(".compare-header").replaceWith(header(runs, ctx.colors, ctx.labels, missing));
      views.get("charts")?.refresh();
      if (current !== "charts") redraw();
    },
  }).check();
}

main().catch((error) => showError(error, $("#compare")));
