// Exports of what a chart shows: PNG through Plotly, CSV built in the browser (the data is
// already here, so nothing is asked of the server).

import { h } from "../lib/ui.js";
import { fileName } from "./chart_plotly.js";

function csvField(value) {
  if (value === undefined || value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows) {
  return rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

export function downloadText(name, text, type = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // the click has started the download; the URL is released once it is no longer needed
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadCsv(name, rows) {
  downloadText(`${fileName(name)}.csv`, toCsv(rows));
}

export function downloadPng(graph, name) {
  return window.Plotly.downloadImage(graph, { format: "png", filename: fileName(name), scale: 2 });
}

// "PNG" and "CSV" buttons for a chart's header; `target()` returns the Plotly graph div (or
// null while nothing is drawn) and `rows()` the CSV rows, header first.
export function exportButtons({ name, target, rows }) {
  const png = h("button", {
    type: "button",
    class: "chart-action",
    title: "Download the chart as a PNG image",
    onclick: () => {
      const graph = target();
      if (graph) downloadPng(graph, typeof name === "function" ? name() : name);
    },
  }, "PNG");
  const csv = h("button", {
    type: "button",
    class: "chart-action",
    title: "Download the chart's data as CSV",
    onclick: () => downloadCsv(typeof name === "function" ? name() : name, rows()),
  }, "CSV");
  return [png, csv];
}
