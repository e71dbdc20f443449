// One metric's chart for a set of runs: fetched from the server's downsampling endpoint,
// drawn with Plotly, and fetched again, finer, for the step range a zoom leaves visible.
// A metric logged once per run (a final score) is drawn as bars: a line of one point says little.

import { describe, h } from "../lib/ui.js";
import {
  X_AXES, clippedRange, fetchHistories, localDate, rangeNumber, relativeUnit, smooth, stepWindow, xNumber,
} from "./chart_data.js";
import { exportButtons } from "./chart_export.js";
import { loadPlotly, plotlyConfig, themedLayout } from "./chart_plotly.js";

const HEIGHT = 260;
const ZOOM_DELAY_MS = 150; // a pan fires many relayouts; fetch once it settles
const UNIFIED_HOVER_RUNS = 10; // beyond this a hover listing every run hides the chart

export class MetricChart {
  // runs: [{run_id, label, start_time?}]; colors: run id -> color; settings: shared, read on each draw.
  constructor({ key, runs, colors, settings }) {
    this.key = key;
    this.runs = runs;
    this.colors = colors;
    this.settings = settings;
    this.histories = new Map();
    this.zoom = null; // the step window of the user's zoom, or null
    this.loadedWindow = null;
    this.cache = new Map(); // unzoomed histories by [window, budget], so un-zooming is instant
    this.origins = new Map(); // run id -> timestamp that relative time counts from
    this.started = false;
    this.drawn = false;
    this.fetching = null;
    this.zoomTimer = 0;
    this.graph = h("div", { class: "chart-plot" });
    this.message = h("div", { class: "chart-message" });
    this.status = h("span", { class: "chart-status muted small", "aria-live": "polite" });
    this.element = h(
      "article",
      { class: "chart-card", dataset: { metric: key, state: "idle" }, "aria-label": `Chart of ${key}` },
      h(
        "header",
        { class: "chart-header" },
        h("h3", { class: "chart-title", title: key }, key),
        this.status,
        h("div", { class: "chart-actions" }, ...exportButtons({
          name: key,
          target: () => (this.drawn ? this.graph : null),
          rows: () => this.csvRows(),
        })),
      ),
      this.message,
      this.graph,
    );
  }

  // Settings changed: `refetch` when the data itself must change (budget, step range).
  update({ refetch = false, resetZoom = false } = {}) {
    if (resetZoom) this.zoom = null;
    if (refetch) this.cache.clear();
    if (!this.started) return;
    if (refetch || resetZoom) this.load();
    else this.draw();
  }

  start() {
    if (this.started) return;
    this.started = true;
    this.load();
  }

  async load() {
    const window = this.zoom || this.settings.steps || null;
    const cacheKey = JSON.stringify([window, this.settings.points]);
    this.fetching?.abort();
    const controller = new AbortController();
    this.fetching = controller;
    this.setState("loading", window ? `steps ${window[0]}–${window[1]}` : "");
    try {
      let histories = this.cache.get(cacheKey);
      if (!histories) {
        histories = await fetchHistories(this.runs.map((run) => run.run_id), this.key, {
          budget: this.settings.points,
          window,
          signal: controller.signal,
        });
        if (!this.zoom) this.cache.set(cacheKey, histories);
      }
      // The data was fetched while Plotly loaded; drawing needs it.
      await loadPlotly();
      if (controller.signal.aborted || this.destroyed) return;
      this.histories = histories;
      this.loadedWindow = window;
      this.element.dataset.window = window ? window.join("-") : "";
      if (!window) this.rememberOrigins(histories);
      this.setState("ready", window ? `steps ${window[0]}–${window[1]}` : "");
      this.draw();
    } catch (error) {
      if (error.name === "AbortError" || this.destroyed) return;
      this.setState("error", "");
      this.message.replaceChildren(h("div", { class: "error-text", role: "alert" }, describe(error)));
    }
  }

  setState(state, text) {
    this.element.dataset.state = state;
    this.status.textContent = state === "loading" ? "loading…" : text;
    if (state !== "error") this.message.replaceChildren();
  }

  // Relative time counts from the run's start, or from its first point if that came earlier.
  rememberOrigins(histories) {
    for (const run of this.runs) {
      const first = histories.get(run.run_id)?.[0];
      const start = Number(run.start_time) || Infinity;
      this.origins.set(run.run_id, Math.min(start, first ? first.timestamp : Infinity));
    }
  }

  origin(runId, points) {
    const origin = this.origins.get(runId);
    return Number.isFinite(origin) ? origin : points[0]?.timestamp ?? 0;
  }

  isBars() {
    if (this.loadedWindow) return false;
    const lengths = [...this.histories.values()].map((points) => points.length);
    return lengths.some((n) => n === 1) && lengths.every((n) => n <= 1);
  }

  unit() {
    let span = 0;
    for (const run of this.runs) {
      const points = this.histories.get(run.run_id) || [];
      if (points.length) span = Math.max(span, points[points.length - 1].timestamp - this.origin(run.run_id, points));
    }
    return relativeUnit(span);
  }

  xTitle(unit) {
    return this.settings.xaxis === "relative" ? `${X_AXES.relative} (${unit.label})` : X_AXES[this.settings.xaxis];
  }

  draw() {
    if (this.destroyed || !this.started || !window.Plotly) return; // load() draws once it is there
    const hasPoints = [...this.histories.values()].some((points) => points.length);
    if (this.element.dataset.state !== "error") {
      this.message.replaceChildren(hasPoints ? "" : h("div", { class: "empty small" }, "No points in this range."));
    }
    const { traces, layout } = this.isBars() ? this.bars() : this.lines();
    window.Plotly.react(this.graph, traces, layout, plotlyConfig(this.key));
    if (!this.drawn) {
      this.graph.on("plotly_relayout", (event) => this.onRelayout(event));
      this.drawn = true;
    }
  }

  lines() {
    const settings = this.settings;
    const unit = this.unit();
    const traces = [];
    const stepHover = settings.xaxis === "step" ? "" : "  ·  step %{customdata}";
    for (const run of this.runs) {
      const points = this.histories.get(run.run_id) || [];
      if (!points.length) continue;
      const origin = this.origin(run.run_id, points);
      const x = points.map((point) =>
        settings.xaxis === "wall" ? localDate(point.timestamp) : xNumber(point, settings.xaxis, origin, unit));
      const y = points.map((point) => point.value);
      const color = this.colors.get(run.run_id);
      // a lone point has no line to draw
      const mode = points.length === 1 ? "markers" : "lines";
      const common = { type: "scatter", mode, x, name: run.label, customdata: points.map((point) => point.step) };
      const hovertemplate = `%{fullData.name}: <b>%{y:.5g}</b>${stepHover}<extra></extra>`;
      if (settings.smoothing > 0) {
        traces.push({
          ...common, y, opacity: 0.28, hoverinfo: "skip",
          line: { color, width: 1 }, marker: { color, size: 5 }, meta: { run_id: run.run_id, role: "raw" },
        });
        traces.push({
          ...common, y: smooth(y, settings.smoothing), hovertemplate,
          line: { color, width: 2 }, marker: { color, size: 6 }, meta: { run_id: run.run_id, role: "smoothed" },
        });
      } else {
        traces.push({
          ...common, y, hovertemplate,
          line: { color, width: 1.5 }, marker: { color, size: 6 }, meta: { run_id: run.run_id, role: "raw" },
        });
      }
    }
    const shown = traces.filter((trace) => trace.meta.role !== "raw" || settings.smoothing === 0);
    const clip = settings.outliers
      ? clippedRange(shown.map((trace) => trace.y), { log: settings.yscale === "log" })
      : null;
    const revision = `${settings.xaxis}|${JSON.stringify(settings.steps)}`;
    const layout = themedLayout({
      height: HEIGHT,
      showlegend: false,
      hovermode: this.runs.length <= UNIFIED_HOVER_RUNS ? "x unified" : "closest",
      uirevision: this.key,
      xaxis: {
        title: { text: this.xTitle(unit) },
        type: settings.xaxis === "wall" ? "date" : "linear",
        uirevision: revision,
        autorange: true,
      },
      yaxis: {
        type: settings.yscale === "log" ? "log" : "linear",
        uirevision: `${revision}|${settings.yscale}|${settings.outliers}`,
        ...(clip ? { range: clip, autorange: false } : { autorange: true }),
        exponentformat: "power",
      },
    });
    return { traces, layout };
  }

  bars() {
    const settings = this.settings;
    const runs = this.runs.filter((run) => (this.histories.get(run.run_id) || []).length);
    const first = (run) => this.histories.get(run.run_id)[0];
    const traces = [{
      type: "bar",
      x: runs.map((run) => run.label),
      y: runs.map((run) => first(run).value),
      customdata: runs.map((run) => first(run).step),
      marker: { color: runs.map((run) => this.colors.get(run.run_id)) },
      hovertemplate: "%{x}: <b>%{y:.5g}</b>  ·  step %{customdata}<extra></extra>",
      meta: { role: "bars" },
    }];
    const layout = themedLayout({
      height: HEIGHT,
      showlegend: false,
      hovermode: "closest",
      uirevision: this.key,
      xaxis: { type: "category", title: { text: "Run" }, tickangle: runs.length > 6 ? -30 : 0 },
      yaxis: { type: settings.yscale === "log" ? "log" : "linear", uirevision: settings.yscale, exponentformat: "power" },
    });
    return { traces, layout };
  }

  onRelayout(event) {
    if (event["xaxis.autorange"]) {
      // the user went back to the whole history (double click, "reset axes")
      if (this.zoom) {
        this.zoom = null;
        this.scheduleLoad();
      }
      return;
    }
    const range = event["xaxis.range"];
    const from = event["xaxis.range[0]"] ?? range?.[0];
    const to = event["xaxis.range[1]"] ?? range?.[1];
    if (from === undefined || to === undefined || this.isBars()) return;
    const axis = this.settings.xaxis;
    const unit = this.unit();
    const histories = this.runs.map((run) => {
      const points = this.histories.get(run.run_id) || [];
      const origin = this.origin(run.run_id, points);
      return points.map((point) => ({ ...point, x: xNumber(point, axis, origin, unit) }));
    });
    const window = stepWindow(histories, axis, rangeNumber(from, axis), rangeNumber(to, axis), (point) => point.x);
    if (!window || (this.zoom && window[0] === this.zoom[0] && window[1] === this.zoom[1])) return;
    this.zoom = window;
    this.scheduleLoad();
  }

  scheduleLoad() {
    clearTimeout(this.zoomTimer);
    this.zoomTimer = setTimeout(() => this.load(), ZOOM_DELAY_MS);
  }

  csvRows() {
    const smoothing = this.settings.smoothing;
    const header = ["run_id", "run_name", "metric", "step", "timestamp", "value"];
    if (smoothing > 0) header.push(`smoothed_${smoothing}`);
    const rows = [header];
    for (const run of this.runs) {
      const points = this.histories.get(run.run_id) || [];
      const smoothed = smoothing > 0 ? smooth(points.map((point) => point.value), smoothing) : [];
      points.forEach((point, index) => {
        const row = [run.run_id, run.label, this.key, point.step, point.timestamp, point.value];
        if (smoothing > 0) row.push(smoothed[index]);
        rows.push(row);
      });
    }
    return rows;
  }

  destroy() {
    this.destroyed = true;
    clearTimeout(this.zoomTimer);
    this.fetching?.abort();
    if (this.drawn) window.Plotly.purge(this.graph);
    this.element.remove();
  }
}
