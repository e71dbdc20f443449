// Columns of the runs table: identifiers, labels, widths, the default choice, and the chooser.
//
// A column is named by an identifier that is also how the server's grammar spells it:
// "attributes.<name>", "metrics.<key>", "params.<key>", "tags.<key>" (the key keeps its dots).

import { h, clear } from "../lib/ui.js";

export const ATTRIBUTES = {
  "attributes.status": { label: "Status", width: 100, sortable: true },
  "attributes.start_time": { label: "Started", width: 150, sortable: true },
  "attributes.duration": { label: "Duration", width: 90, sortable: false },
  "attributes.user_id": { label: "User", width: 110, sortable: true },
  "attributes.experiment_id": { label: "Experiment", width: 170, sortable: false },
  "attributes.end_time": { label: "Ended", width: 150, sortable: true },
  "attributes.run_id": { label: "Run ID", width: 120, sortable: true },
};

const FAMILY = { metrics: "metric", params: "param", tags: "tag", attributes: "attribute" };
const DEFAULT_WIDTH = 130;
// How many metrics and params a table shows before the user chooses: enough to be useful,
// few enough that a sweep with thousands of keys still loads quickly.
const DEFAULT_PER_FAMILY = 12;
const CHOOSER_LIMIT = 300;

export function familyOf(id) {
  return FAMILY[id.slice(0, id.indexOf("."))] || "attribute";
}

export function keyOf(id) {
  return id.slice(id.indexOf(".") + 1);
}

export function isValueColumn(id) {
  return ["metric", "param", "tag"].includes(familyOf(id));
}

export function columnLabel(id) {
  return ATTRIBUTES[id] ? ATTRIBUTES[id].label : keyOf(id);
}

// The order_by clause for sorting on a column; keys are quoted since they may hold spaces.
export function orderClause(id, ascending) {
  const direction = ascending ? "ASC" : "DESC";
  if (familyOf(id) === "attribute") return `${id} ${direction}`;
  const prefix = id.slice(0, id.indexOf("."));
  return `${prefix}.\`${keyOf(id)}\` ${direction}`;
}

export function isSortable(id) {
  return ATTRIBUTES[id] ? ATTRIBUTES[id].sortable : true;
}

export function columnWidth(id, widths) {
  if (widths && widths[id]) return widths[id];
  return ATTRIBUTES[id] ? ATTRIBUTES[id].width : DEFAULT_WIDTH;
}

// What a table shows before the user picks: the main attributes, then the first metrics
// (system metrics last) and params.
export function defaultColumns(keys, { multipleExperiments = false } = {}) {
  const attributes = ["attributes.status", "attributes.start_time", "attributes.duration", "attributes.user_id"];
  if (multipleExperiments) attributes.push("attributes.experiment_id");
  const metrics = (keys.metrics || [])
    .map((item) => item.key)
    .sort((a, b) => Number(a.startsWith("system/")) - Number(b.startsWith("system/")))
    .slice(0, DEFAULT_PER_FAMILY)
    .map((key) => `metrics.${key}`);
  const params = (keys.params || []).slice(0, DEFAULT_PER_FAMILY).map((item) => `params.${item.key}`);
  return [...attributes, ...metrics, ...params];
}

// -- the chooser dialog ------------------------------------------------------------------------

function availableColumns(keys) {
  const list = Object.keys(ATTRIBUTES).map((id) => ({ id, count: null }));
  for (const [family, prefix] of [["metrics", "metrics"], ["params", "params"], ["tags", "tags"]]) {
    for (const item of keys[family] || []) list.push({ id: `${prefix}.${item.key}`, count: item.count });
  }
  return list;
}

function chooserItem(entry, chosen, runCount, onToggle) {
  const checkbox = h("input", { type: "checkbox", checked: chosen.includes(entry.id), onchange: () => onToggle(entry.id) });
  const count = entry.count === null ? "" : `${entry.count.toLocaleString()} / ${runCount.toLocaleString()} runs`;
  return h(
    "li",
    {},
    h("label", { class: "cc-option" }, checkbox, h("span", { class: `rt-kind rt-kind-${familyOf(entry.id)}` }, familyOf(entry.id)[0].toUpperCase()), h("span", { class: "cc-key" }, columnLabel(entry.id)), h("span", { class: "muted small" }, count)),
  );
}

function chosenItem(id, index, draft, rerender) {
  const move = (delta) => {
    const target = index + delta;
    if (target < 0 || target >= draft.columns.length) return;
    draft.columns.splice(index, 1);
    draft.columns.splice(target, 0, id);
    rerender();
  };
  const pinned = draft.pinned.includes(id);
  const label = columnLabel(id);
  return h(
    "li",
    { class: "cc-chosen" },
    h("span", { class: `rt-kind rt-kind-${familyOf(id)}` }, familyOf(id)[0].toUpperCase()),
    h("span", { class: "cc-key", title: id }, label),
    h("button", { type: "button", class: "icon-button", "aria-label": `Move ${label} up`, onclick: () => move(-1) }, "↑"),
    h("button", { type: "button", class: "icon-button", "aria-label": `Move ${label} down`, onclick: () => move(1) }, "↓"),
    h(
      "button",
      {
        type: "button",
        class: pinned ? "icon-button pinned" : "icon-button",
        "aria-pressed": String(pinned),
        "aria-label": `Pin ${label}`,
        onclick: () => {
          draft.pinned = pinned ? draft.pinned.filter((item) => item !== id) : [...draft.pinned, id];
          rerender();
        },
      },
      pinned ? "Unpin" : "Pin",
    ),
    h("button", { type: "button", class: "icon-button", "aria-label": `Remove ${label}`, onclick: () => { draft.columns = draft.columns.filter((item) => item !== id); rerender(); } }, "×"),
  );
}

// Let the user choose, order and pin columns; onApply({columns, pinned}) runs on "Apply".
export function openColumnChooser({ keys, columns, pinned, defaults, onApply }) {
  const draft = { columns: [...columns], pinned: [...pinned] };
  const available = availableColumns(keys);
  const search = h("input", { type: "search", placeholder: "Find a column…", "aria-label": "Find a column", class: "cc-search" });
  const options = h("ul", { class: "cc-list", "aria-label": "Available columns" });
  const chosenList = h("ol", { class: "cc-list", "aria-label": "Shown columns, in order" });
  const note = h("p", { class: "muted small" });
  const dialog = h("dialog", { class: "column-chooser", "aria-label": "Columns" });

  const toggle = (id) => {
    draft.columns = draft.columns.includes(id) ? draft.columns.filter((item) => item !== id) : [...draft.columns, id];
    rerender();
  };
  // Only the first matches are listed: with thousands of keys a filter is the way to find one.
  function rerender() {
    const needle = search.value.trim().toLowerCase();
    const matches = available.filter((entry) => !needle || entry.id.toLowerCase().includes(needle));
    clear(options).append(...matches.slice(0, CHOOSER_LIMIT).map((entry) => chooserItem(entry, draft.columns, keys.run_count || 0, toggle)));
    note.textContent =
      matches.length > CHOOSER_LIMIT
        ? `Showing ${CHOOSER_LIMIT} of ${matches.length.toLocaleString()} columns: type to narrow the list.`
        : `${matches.length.toLocaleString()} columns`;
    draft.pinned = draft.pinned.filter((id) => draft.columns.includes(id));
    clear(chosenList).append(...draft.columns.map((id, index) => chosenItem(id, index, draft, rerender)));
  }
  search.addEventListener("input", rerender);

  const addMatching = () => {
    const needle = search.value.trim().toLowerCase();
    const ids = available.filter((entry) => entry.id.toLowerCase().includes(needle)).map((entry) => entry.id);
    draft.columns = [...draft.columns, ...ids.filter((id) => !draft.columns.includes(id))];
    rerender();
  };
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  dialog.append(
    h("h2", {}, "Columns"),
    h(
      "div",
      { class: "cc-panes" },
      h("section", {}, h("h3", {}, "Available"), search, note, options, h("button", { type: "button", onclick: addMatching }, "Add all matching")),
      h("section", {}, h("h3", {}, "Shown (top = leftmost)"), chosenList),
    ),
    h(
      "div",
      { class: "row dialog-actions" },
      h("button", { type: "button", onclick: () => { draft.columns = [...defaults]; draft.pinned = []; rerender(); } }, "Reset to default"),
      h("span", { class: "grow" }),
      h("button", { type: "button", onclick: close }, "Cancel"),
      h("button", { type: "button", class: "primary", onclick: () => { close(); onApply({ columns: draft.columns, pinned: draft.pinned }); } }, "Apply"),
    ),
  );
  dialog.addEventListener("cancel", () => dialog.remove());
  document.body.append(dialog);
  rerender();
  dialog.showModal();
  search.focus();
}
