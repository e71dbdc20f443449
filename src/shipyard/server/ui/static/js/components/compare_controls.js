// Controls shared by the compare views: a column chooser (params and metrics in two groups),
// a multi-column checklist, and the card a view draws its chart in.

import { clear, h } from "../lib/ui.js";
import { exportButtons } from "./chart_export.js";

// <label>Text <select> with "Params" and "Metrics" groups</select></label>
export function columnSelect({ label, columns, value, onChange, name }) {
  const select = h(
    "select",
    { name, "aria-label": label, onchange: () => onChange(select.value) },
    [["param", "Params"], ["metric", "Metrics"]].map(([kind, title]) => {
      const options = columns.filter((col) => col.kind === kind);
      return options.length
        ? h("optgroup", { label: title }, options.map((col) => h("option", { value: col.id, selected: col.id === value }, col.label)))
        : null;
    }),
  );
  return h("label", { class: "control" }, label, " ", select);
}

// A disclosure listing columns with checkboxes; onChange gets the chosen ids in column order.
export function columnChecklist({ label, columns, selected, onChange }) {
  const chosen = new Set(selected);
  const summary = h("summary", { class: "button" });
  const count = () => { summary.textContent = `${label} (${chosen.size})`; };
  const filter = h("input", {
    type: "search", class: "picker-filter", placeholder: "Filter columns", "aria-label": `Filter ${label.toLowerCase()}`,
    oninput: () => {
      const text = filter.value.trim().toLowerCase();
      list.querySelectorAll("label").forEach((item) => { item.hidden = Boolean(text) && !item.textContent.toLowerCase().includes(text); });
    },
  });
  const list = h("div", { class: "picker-list" }, [["param", "Params"], ["metric", "Metrics"]].map(([kind, title]) => {
    const group = columns.filter((col) => col.kind === kind);
    if (!group.length) return null;
    return h("fieldset", { class: "picker-group" }, h("legend", {}, title), group.map((col) => h(
      "label",
      { class: "picker-item" },
      h("input", {
        type: "checkbox", value: col.id, checked: chosen.has(col.id),
        onchange: (event) => {
          if (event.target.checked) chosen.add(col.id);
          else chosen.delete(col.id);
          count();
          onChange(columns.filter((item) => chosen.has(item.id)).map((item) => item.id));
        },
      }),
      " ",
      col.label,
    )));
  }));
  count();
  return h("details", { class: "metric-picker" }, summary, h("div", { class: "picker-panel" }, filter, list));
}

// A chart card: title, PNG/CSV buttons, a note line (what was left out and why), the plot.
export function viewCard({ title, name, rows }) {
  const plot = h("div", { class: "chart-plot" });
  const note = h("div", { class: "chart-note muted small" });
  const message = h("div", { class: "chart-message" });
  let drawn = false;
  const element = h(
    "article",
    { class: "chart-card compare-card" },
    h("header", { class: "chart-header" }, h("h3", { class: "chart-title" }, title),
      h("div", { class: "chart-actions" }, ...exportButtons({ name, target: () => (drawn ? plot : null), rows }))),
    message,
    plot,
    note,
  );
  return {
    element,
    plot,
    setNote: (text) => { note.textContent = text || ""; },
    // a view that cannot draw says why instead, and the stale plot goes away
    setMessage: (text) => {
      clear(message);
      if (text) message.append(h("div", { class: "empty small" }, text));
      plot.hidden = Boolean(text);
    },
    markDrawn: () => { drawn = true; },
  };
}

// The runs that have a value in every given column, as indexes into the runs list.
export function runsWithValues(runs, cols, hasValue) {
  return runs.map((_, index) => index).filter((index) => cols.every((col) => hasValue(col, index)));
}

export function leftOutNote(total, kept) {
  const left = total - kept;
  return left > 0 ? `${left} of ${total} runs have no value for a chosen column and are not shown.` : "";
}
