// The "which metrics" chooser: a disclosure with a filter box and one checkbox per metric,
// grouped like the charts are. Native <details> and checkboxes, so the keyboard works as usual.

import { h } from "../lib/ui.js";
import { groupBySection } from "./chart_sections.js";

export function metricPicker({ keys, selected, onChange }) {
  const chosen = new Set(selected);
  const summary = h("summary", { class: "button" });
  const boxes = new Map();
  const filter = h("input", {
    type: "search",
    class: "picker-filter",
    placeholder: "Filter metrics",
    "aria-label": "Filter metrics",
    oninput: () => applyFilter(),
  });

  function count() {
    summary.textContent = `Metrics (${chosen.size} of ${keys.length})`;
  }

  function changed() {
    count();
    onChange(keys.filter((key) => chosen.has(key)));
  }

  function applyFilter() {
    const text = filter.value.trim().toLowerCase();
    for (const [key, box] of boxes) box.closest("label").hidden = Boolean(text) && !key.toLowerCase().includes(text);
  }

  // "All" and "None" act on the metrics the filter shows, so a filter + "All" picks a family.
  function setVisible(on) {
    for (const [key, box] of boxes) {
      if (box.closest("label").hidden) continue;
      box.checked = on;
      if (on) chosen.add(key);
      else chosen.delete(key);
    }
    changed();
  }

  const groups = groupBySection(keys).map((group) => h(
    "fieldset",
    { class: "picker-group" },
    h("legend", {}, group.title),
    group.keys.map((key) => {
      const box = h("input", {
        type: "checkbox",
        value: key,
        checked: chosen.has(key),
        onchange: () => {
          if (box.checked) chosen.add(key);
          else chosen.delete(key);
          changed();
        },
      });
      boxes.set(key, box);
      return h("label", { class: "picker-item" }, box, " ", key);
    }),
  ));

  count();
  return h(
    "details",
    { class: "metric-picker" },
    summary,
    h(
      "div",
      { class: "picker-panel" },
      h("div", { class: "row" },
        filter,
        h("button", { type: "button", onclick: () => setVisible(true) }, "All"),
        h("button", { type: "button", onclick: () => setVisible(false) }, "None")),
      h("div", { class: "picker-list" }, groups),
    ),
  );
}
