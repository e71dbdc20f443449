// Metric line charts for a set of runs, with their controls: which metrics, x-axis (step, wall
// time, relative time), linear or log y, EMA smoothing, outlier clipping, points per run and a
// step range. The run page's Charts tab and the compare page both mount it.
//
//   const charts = mountMetricCharts(container, {runs: [{run_id, name, start_time?}], keys?});
//   await charts.ready; ... charts.refresh(); ... charts.destroy();
//
// refresh() fetches the drawn charts again (zoom kept): for live updates of running runs.
//
// Options: `keys` (the metrics to offer; found from the runs when absent), `stateScope` (keep the
// settings in the URL and localStorage under that scope: metrics, xaxis, yscale, smoothing,
// outliers, points, steps), `legend` (a color key of the runs; default: when there are several).

import { mlflow } from "../lib/api.js";
import { readState, writeState } from "../lib/state.js";
import { clear, h, showError } from "../lib/ui.js";
import { BUDGETS, DEFAULT_BUDGET, X_AXES } from "./chart_data.js";
import { MetricChart } from "./chart_line.js";
import { metricPicker } from "./chart_picker.js";
import { ensureChartStyles, loadPlotly, onThemeChange, runColors, runLabels } from "./chart_plotly.js";
import { groupBySection } from "./chart_sections.js";

const DEFAULTS = {
  metrics: null, // null: the default choice below, not "none"
  xaxis: "step",
  yscale: "linear",
  smoothing: 0,
  outliers: false,
  points: DEFAULT_BUDGET,
  steps: null,
};
const DEFAULT_CHARTS = 24; // a run with thousands of metrics must not open thousands of charts
const LAZY_MARGIN = "600px"; // charts further below the fold load when scrolled near

export function mountMetricCharts(container, { runs, keys, stateScope, legend } = {}) {
  ensureChartStyles();
  const view = new ChartsView(container, { runs, keys, stateScope, legend: legend ?? runs.length > 1 });
  const ready = view.start().catch((error) => showError(error, view.root));
  return { ready, refresh: () => view.refresh(), destroy: () => view.destroy() };
}

function validSettings(raw, keys) {
  const settings = { ...DEFAULTS, ...raw };
  if (!(settings.xaxis in X_AXES)) settings.xaxis = DEFAULTS.xaxis;
  if (!["linear", "log"].includes(settings.yscale)) settings.yscale = DEFAULTS.yscale;
  const smoothing = Number(settings.smoothing);
  settings.smoothing = Number.isFinite(smoothing) ? Math.min(0.99, Math.max(0, smoothing)) : 0;
  settings.outliers = settings.outliers === true;
  if (!BUDGETS.includes(Number(settings.points))) settings.points = DEFAULT_BUDGET;
  settings.points = Number(settings.points);
  const steps = settings.steps;
  const stepsOk = Array.isArray(steps) && steps.length === 2 && steps.every(Number.isFinite) && steps[0] <= steps[1];
  settings.steps = stepsOk ? steps : null;
  // metrics remembered from another comparison may not exist here
  const known = new Set(keys);
  if (Array.isArray(settings.metrics)) {
    const kept = settings.metrics.filter((key) => known.has(key));
    // none of another comparison's metrics exist here: the defaults, not an empty page
    settings.metrics = kept.length || !settings.metrics.length ? kept : null;
  } else settings.metrics = null;
  return settings;
}

// A hand-edited link must not break the charts: unreadable settings fall back to the defaults.
function storedSettings(scope) {
  try {
    return readState(scope, DEFAULTS);
  } catch {
    return {};
  }
}

function defaultMetrics(keys) {
  return groupBySection(keys).flatMap((group) => group.keys).slice(0, DEFAULT_CHARTS);
}

// The metric keys of a set of runs and their start times, from runs/get (a few at a time).
async function describeRuns(runs) {
  const keys = new Set();
  const queue = [...runs];
  async function worker() {
    while (queue.length) {
      const run = queue.shift();
      const { run: found } = await mlflow.get("/runs/get", { run_id: run.run_id });
      for (const metric of found.data?.metrics || []) keys.add(metric.key);
      if (run.start_time === undefined) run.start_time = found.info.start_time;
    }
  }
  await Promise.all(Array.from({ length: Math.min(6, runs.length) }, worker));
  return [...keys];
}

class ChartsView {
  constructor(container, { runs, keys, stateScope, legend }) {
    this.container = container;
    this.runs = runs.map((run) => ({ ...run }));
    this.keys = keys ? [...keys] : null;
    this.scope = stateScope;
    this.legend = legend;
    this.charts = new Map(); // metric key -> MetricChart, kept while the metric stays chosen
    this.root = h("div", { class: "metric-charts", dataset: { ready: "false" } });
    clear(container).append(this.root);
  }

  async start() {
    this.root.append(h("div", { class: "muted" }, h("span", { class: "spinner" }), " Loading metrics…"));
    // Plotly (a large script) loads while the charts fetch their data; each draws once both
    // have arrived.
    loadPlotly().catch((error) => showError(error, this.root));
    const keys = await (this.keys ?? describeRuns(this.runs));
    if (this.destroyed) return;
    this.keys = keys;
    const stored = this.scope ? storedSettings(this.scope) : {};
    this.settings = validSettings(stored, keys);
    const labels = runLabels(this.runs);
    this.runs.forEach((run) => { run.label = labels.get(run.run_id); });
    this.colors = runColors(this.runs);
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { rootMargin: LAZY_MARGIN });
    this.stopTheme = onThemeChange(() => this.charts.forEach((chart) => chart.update()));
    this.sections = h("div", { class: "chart-sections" });
    clear(this.root).append(this.toolbar(), this.legend ? this.legendStrip() : "", this.sections);
    this.renderSections();
    this.root.dataset.ready = "true";
  }

  selectedMetrics() {
    return this.settings.metrics ?? defaultMetrics(this.keys);
  }

  // One place for every settings change: persist, then tell the charts what changed.
  change(changes, { persist = true } = {}) {
    Object.assign(this.settings, changes);
    if (persist) this.persist();
    if ("metrics" in changes) {
      this.renderSections();
      return;
    }
    const refetch = "points" in changes || "steps" in changes;
    const resetZoom = "xaxis" in changes || "steps" in changes;
    this.charts.forEach((chart) => chart.update({ refetch, resetZoom }));
  }

  persist() {
    if (this.scope) writeState(this.scope, this.settings, DEFAULTS);
  }

  toolbar() {
    const s = this.settings;
    const select = (label, value, options, onChange) => h("label", { class: "control" }, label, " ", h(
      "select",
      { "aria-label": label, onchange: (event) => onChange(event.target.value) },
      options.map(([optionValue, text]) => h("option", { value: optionValue, selected: String(optionValue) === String(value) }, text)),
    ));
    const smoothingValue = h("output", { class: "mono" }, s.smoothing.toFixed(2));
    const smoothing = h("input", {
      type: "range", min: "0", max: "0.99", step: "0.01", value: String(s.smoothing), "aria-label": "Smoothing",
      // drawing on every input event keeps the slider live; the URL is written when it is let go
      oninput: () => {
        smoothingValue.textContent = Number(smoothing.value).toFixed(2);
        this.change({ smoothing: Number(smoothing.value) }, { persist: false });
      },
      onchange: () => this.persist(),
    });
    return h(
      "div",
      { class: "toolbar chart-toolbar", role: "group", "aria-label": "Chart settings" },
      metricPicker({ keys: this.keys, selected: this.selectedMetrics(), onChange: (metrics) => this.change({ metrics }) }),
      select("X axis", s.xaxis, Object.entries(X_AXES), (xaxis) => this.change({ xaxis })),
      select("Y axis", s.yscale, [["linear", "Linear"], ["log", "Log"]], (yscale) => this.change({ yscale })),
      h("label", { class: "control" }, "Smoothing ", smoothing, " ", smoothingValue),
      h("label", { class: "control" }, h("input", {
        type: "checkbox", checked: s.outliers, onchange: (event) => this.change({ outliers: event.target.checked }),
      }), " Ignore outliers"),
      select("Points per run", s.points, BUDGETS.map((n) => [n, n.toLocaleString("en")]), (points) => this.change({ points: Number(points) })),
      this.stepRangeForm(),
    );
  }

  // A typed step range: the keyboard's way to zoom, applied to every chart at once.
  stepRangeForm() {
    const [from, to] = this.settings.steps || ["", ""];
    const input = (value, label) => h("input", { type: "number", class: "step-input", value: String(value), placeholder: label, "aria-label": `Steps ${label}`, step: "1" });
    const start = input(from, "from");
    const end = input(to, "to");
    const error = h("span", { class: "step-error small", role: "alert" });
    const form = h(
      "form",
      {
        class: "control step-range",
        onsubmit: (event) => {
          event.preventDefault();
          const steps = [start.value, end.value].map((text) => (text.trim() === "" ? NaN : Number(text)));
          if (!steps.every(Number.isFinite) || steps[0] > steps[1]) {
            error.textContent = "Give two steps, the first not greater than the second.";
            return;
          }
          error.textContent = "";
          this.change({ steps: steps.map(Math.round) });
        },
      },
      h("label", { class: "control" }, "Steps ", start, " – ", end),
      h("button", { type: "submit" }, "Zoom"),
      h("button", {
        type: "button",
        onclick: () => {
          start.value = "";
          end.value = "";
          error.textContent = "";
          this.change({ steps: null });
        },
      }, "All steps"),
      error,
    );
    return form;
  }

  legendStrip() {
    return h("ul", { class: "run-legend", "aria-label": "Runs" }, this.runs.map((run) => h(
      "li",
      {},
      h("span", { class: "swatch", style: `background:${this.colors.get(run.run_id)}` }),
      run.label,
    )));
  }

  renderSections() {
    const chosen = this.selectedMetrics();
    for (const [key, chart] of this.charts) {
      if (!chosen.includes(key)) {
        this.observer.unobserve(chart.element);
        chart.destroy();
        this.charts.delete(key);
      }
    }
    clear(this.sections);
    if (!this.keys.length) {
      this.sections.append(h("div", { class: "empty" }, "These runs have logged no metrics."));
      return;
    }
    if (!chosen.length) {
      this.sections.append(h("div", { class: "empty" }, "No metric chosen: pick some under “Metrics”."));
      return;
    }
    for (const group of groupBySection(chosen)) {
      const grid = h("div", { class: "chart-grid", id: `charts-${group.section || "model"}` });
      for (const key of group.keys) grid.append(this.chart(key).element);
      this.sections.append(h(
        "section",
        { class: "chart-section", dataset: { section: group.section } },
        h("h2", { class: "chart-section-title" }, h("button", {
          type: "button",
          class: "section-toggle",
          "aria-expanded": "true",
          "aria-controls": grid.id,
          onclick: (event) => {
            const button = event.currentTarget;
            const open = button.getAttribute("aria-expanded") !== "true";
            button.setAttribute("aria-expanded", String(open));
            grid.hidden = !open;
          },
        }, group.title, " ", h("span", { class: "badge" }, String(group.keys.length)))),
        grid,
      ));
    }
  }

  chart(key) {
    if (!this.charts.has(key)) {
      const chart = new MetricChart({ key, runs: this.runs, colors: this.colors, settings: this.settings });
      this.charts.set(key, chart);
      this.observer.observe(chart.element);
    }
    return this.charts.get(key);
  }

  onVisible(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      this.observer.unobserve(entry.target);
      this.charts.get(entry.target.dataset.metric)?.start();
    }
  }

  refresh() {
    this.charts.forEach((chart) => chart.update({ refetch: true }));
  }

  destroy() {
    this.destroyed = true;
    this.observer?.disconnect();
    this.stopTheme?.();
    this.charts.forEach((chart) => chart.destroy());
    this.charts.clear();
    this.root.remove();
  }
}
