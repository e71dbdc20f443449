// Metric histories for charts and the arithmetic done on them in the browser: x-axis values,
// EMA smoothing, percentile-based y ranges, and step windows for zoomed re-fetches.
//
// Downsampling is the server's (min/max buckets, never more than `max_results` points per run),
// so whatever a metric's length, a chart receives at most its point budget per run.

import { mlflow } from "../lib/api.js";

export const BUDGETS = [200, 500, 1000, 2000, 5000];
export const DEFAULT_BUDGET = 1000;
const RUNS_PER_REQUEST = 100; // the server's cap for one bulk-interval call

export const X_AXES = {
  step: "Step",
  wall: "Wall time",
  relative: "Relative time",
};

function number(value) {
  const parsed = typeof value === "number" ? value : Number(value);
  return Number.isFinite(parsed) ? parsed : null; // NaN and infinities draw as gaps
}

// Sampled histories of one metric: run id -> [{step, timestamp, value}], step order.
export async function fetchHistories(runIds, key, { budget, window, signal }) {
  const byRun = new Map(runIds.map((id) => [id, []]));
  const requests = [];
  for (let first = 0; first < runIds.length; first += RUNS_PER_REQUEST) {
    const params = {
      run_ids: runIds.slice(first, first + RUNS_PER_REQUEST),
      metric_key: key,
      max_results: budget,
    };
    if (window) {
      params.start_step = Math.floor(window[0]);
      params.end_step = Math.ceil(window[1]);
    }
    requests.push(mlflow.get("/metrics/get-history-bulk-interval", params, { signal }));
  }
  for (const response of await Promise.all(requests)) {
    for (const point of response.metrics || []) {
      byRun.get(point.run_id)?.push({
        step: Number(point.step),
        timestamp: Number(point.timestamp),
        value: number(point.value),
      });
    }
  }
  for (const points of byRun.values()) points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  return byRun;
}

// TensorBoard's debiased exponential moving average: the first points are not pulled to zero.
export function smooth(values, weight) {
  if (!(weight > 0)) return values.slice();
  const out = [];
  let last = 0;
  let count = 0;
  for (const value of values) {
    if (value === null) {
      out.push(null);
      continue;
    }
    last = last * weight + (1 - weight) * value;
    count += 1;
    out.push(last / (1 - weight ** count));
  }
  return out;
}

function quantile(sorted, q) {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

// A y range that leaves out the most extreme 2% at each end (in log10 units on a log axis,
// as Plotly wants them), padded so the kept lines do not touch the frame; null when there is
// nothing to clip.
export function clippedRange(valueLists, { log = false, lower = 0.02, upper = 0.98 } = {}) {
  const values = [];
  for (const list of valueLists) {
    for (const value of list) {
      if (value === null) continue;
      if (log) {
        if (value > 0) values.push(Math.log10(value));
      } else values.push(value);
    }
  }
  if (values.length < 3) return null;
  values.sort((a, b) => a - b);
  const low = quantile(values, lower);
  const high = quantile(values, upper);
  if (!(high > low)) return null;
  const pad = (high - low) * 0.08;
  return [low - pad, high + pad];
}

// Relative time in the largest unit that keeps the numbers readable.
export function relativeUnit(spanMs) {
  if (spanMs >= 2 * 3600_000) return { label: "h", ms: 3600_000 };
  if (spanMs >= 2 * 60_000) return { label: "min", ms: 60_000 };
  return { label: "s", ms: 1000 };
}

// A timestamp as Plotly reads a local date ("YYYY-MM-DD HH:MM:SS.sss"): the axis then shows
// the viewer's local time, like the rest of the UI.
export function localDate(milliseconds) {
  const date = new Date(milliseconds);
  const pad = (value, width = 2) => String(value).padStart(width, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

// What a point is on the chosen x-axis, as a number (milliseconds for wall time).
export function xNumber(point, axis, origin, unit) {
  if (axis === "wall") return point.timestamp;
  if (axis === "relative") return (point.timestamp - origin) / unit.ms;
  return point.step;
}

// A Plotly x-axis range value back to a number on the same scale as xNumber.
export function rangeNumber(value, axis) {
  if (axis === "wall" && typeof value === "string") return new Date(value.replace(" ", "T")).getTime();
  return Number(value);
}

// The step range behind a visible x range: for a step axis the range itself, for a time axis
// the steps of the points shown, widened to the neighbours just outside so lines reach the edges.
export function stepWindow(histories, axis, from, to, toNumber) {
  if (axis === "step") return [Math.floor(from), Math.ceil(to)];
  let low = Infinity;
  let high = -Infinity;
  for (const points of histories) {
    for (let index = 0; index < points.length; index += 1) {
      const x = toNumber(points[index]);
      if (x < from || x > to) continue;
      low = Math.min(low, points[Math.max(0, index - 1)].step);
      high = Math.max(high, points[Math.min(points.length - 1, index + 1)].step);
    }
  }
  return low <= high ? [low, high] : null;
}
