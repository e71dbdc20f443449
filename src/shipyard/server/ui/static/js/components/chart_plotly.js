// Plotly as every chart of the UI uses it: loaded from this server, themed from the stylesheet's
// variables, configured so that it never reaches the network, and colored the same for a run
// in every chart of a page.

import { BASE } from "../lib/api.js";

let loading = null;

// Plotly, from the script tag of the page or, when a page did not include one (a page that
// mounts charts in a tab), from a script element added here: same origin, so the CSP allows it.
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const existing = document.querySelector('script[src$="/static/vendor/plotly.min.js"]');
      const script = existing || document.createElement("script");
      script.addEventListener("load", () => resolve(window.Plotly));
      script.addEventListener("error", () => reject(new Error("Plotly could not be loaded from this server.")));
      if (!existing) {
        script.src = `${BASE}/static/vendor/plotly.min.js`;
        document.head.append(script);
      }
    });
  }
  return loading;
}

// The chart stylesheet, for pages that mount charts without linking it themselves.
export function ensureChartStyles() {
  if (document.querySelector('link[href$="/static/css/charts.css"]')) return;
  document.head.append(Object.assign(document.createElement("link"), {
    rel: "stylesheet",
    href: `${BASE}/static/css/charts.css`,
  }));
}

// Every chart's Plotly config. Plotly's defaults point at plot.ly's CDN (topojson) and would
// typeset "$...$" names with MathJax if a page had it: both off, so no request leaves the server.
export function plotlyConfig(filename) {
  return {
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    plotlyServerURL: "",
    typesetMath: false,
    topojsonURL: `${BASE}/static/vendor/`,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", filename: fileName(filename), scale: 2 },
  };
}

function cssVariable(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// Colors of the current theme, read from app.css so the charts match the page exactly.
export function themeColors() {
  return {
    bg: cssVariable("--bg"),
    soft: cssVariable("--bg-soft"),
    strong: cssVariable("--bg-strong"),
    fg: cssVariable("--fg"),
    fgSoft: cssVariable("--fg-soft"),
    border: cssVariable("--border"),
    accent: cssVariable("--accent"),
    font: cssVariable("--sans") || "sans-serif",
  };
}

export function themedAxis(extra = {}) {
  const colors = themeColors();
  return {
    gridcolor: colors.strong,
    linecolor: colors.border,
    zerolinecolor: colors.border,
    tickcolor: colors.border,
    automargin: true,
    ...extra,
    title: { font: { size: 12, color: colors.fgSoft }, standoff: 6, ...(extra.title || {}) },
  };
}

// A layout in the current theme; `extra` adds to it (axes are merged, not replaced).
export function themedLayout(extra = {}) {
  const colors = themeColors();
  const { xaxis, yaxis, ...rest } = extra;
  return {
    paper_bgcolor: colors.bg,
    plot_bgcolor: colors.bg,
    font: { family: colors.font, size: 12, color: colors.fg },
    hoverlabel: { bgcolor: colors.soft, bordercolor: colors.border, font: { color: colors.fg } },
    margin: { l: 56, r: 20, t: 12, b: 44 },
    colorway: PALETTE,
    xaxis: themedAxis(xaxis),
    yaxis: themedAxis(yaxis),
    ...rest,
  };
}

// Calls `redraw` whenever the theme changes (the user's choice or the OS's).
export function onThemeChange(redraw) {
  document.addEventListener("shipyard:theme", redraw);
  return () => document.removeEventListener("shipyard:theme", redraw);
}

// Distinguishable on white and on the dark background alike (Tableau 10, then 10 more).
const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
  "#9c755f", "#bab0ac", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#17becf", "#bcbd22",
  "#8c564b", "#e377c2", "#ff7f0e", "#7f7f7f",
];

export function runColor(index) {
  if (index < PALETTE.length) return PALETTE[index];
  // golden-angle hues keep neighbours apart however many runs there are
  return `hsl(${Math.round((index * 137.508) % 360)}, 62%, 52%)`;
}

// A run id -> color map, in the order the runs were given.
export function runColors(runs) {
  return new Map(runs.map((run, index) => [run.run_id, runColor(index)]));
}

export function fileName(text) {
  return String(text).replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "") || "chart";
}

// A label per run that tells runs apart in a chart: the name, with the start of the id added
// when two runs share a name (category axes would otherwise merge them).
export function runLabels(runs) {
  const counts = new Map();
  for (const run of runs) {
    const name = run.name || run.run_id;
    counts.set(name, (counts.get(name) || 0) + 1);
  }
  return new Map(runs.map((run) => {
    const name = run.name || run.run_id;
    return [run.run_id, counts.get(name) > 1 ? `${name} (${run.run_id.slice(0, 6)})` : name];
  }));
}
