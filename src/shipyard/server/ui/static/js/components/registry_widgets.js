// Pieces the registry pages share: approval badges, alias chips, an editable Markdown
// description, and a tags editor. Each editor calls the API it is given and re-renders
// itself, so the pages only decide what to save, not how forms behave.

import { pages } from "../lib/api.js";
import { clear, describe, formatTime, h, toast } from "../lib/ui.js";
import { renderMarkdown } from "./preview_markdown.js";

export const APPROVAL = {
  Approved: { label: "Approved", kind: "ok" },
  Rejected: { label: "Rejected", kind: "danger" },
  PendingManualApproval: { label: "Pending approval", kind: "warn" },
};

export function approvalBadge(status) {
  const known = APPROVAL[status] || { label: status || "Unknown", kind: "" };
  return h("span", { class: `badge ${known.kind} approval-badge`, "data-approval": status || "" }, known.label);
}

export function aliasChip(name, alias, version) {
  const label = version === undefined ? `@${alias}` : `@${alias} → v${version}`;
  const href = version === undefined ? undefined : pages.version(name, version);
  return href
    ? h("a", { class: "badge accent alias-chip", href, "data-alias": alias }, label)
    : h("span", { class: "badge accent alias-chip", "data-alias": alias }, label);
}

export function stageBadge(stage) {
  if (!stage || stage === "None") return h("span", { class: "muted" }, "—");
  const kind = { Production: "ok", Staging: "accent", Archived: "" }[stage] ?? "";
  return h("span", { class: `badge ${kind}` }, stage);
}

export function kvTable(rows) {
  return h(
    "table",
    { class: "data kv" },
    h(
      "tbody",
      {},
      rows
        .filter(([, value]) => value !== undefined && value !== null && value !== "")
        .map(([key, value]) => h("tr", {}, h("td", {}, key), h("td", {}, value))),
    ),
  );
}

export function timeCell(milliseconds) {
  return milliseconds ? h("time", { datetime: new Date(Number(milliseconds)).toISOString() }, formatTime(milliseconds)) : "";
}

function button(label, onClick, attributes = {}) {
  return h("button", { type: "button", ...attributes, onclick: onClick }, label);
}

// Run `action` with `control` disabled; a failure becomes an error toast.
export async function busy(control, action) {
  control.disabled = true;
  try {
    return await action();
  } catch (error) {
    toast(describe(error), { error: true, timeout: 9000 });
    return undefined;
  } finally {
    control.disabled = false;
  }
}

// A Markdown description with Edit / Save / Cancel; `save(text)` persists it.
export function descriptionEditor(container, { text, save, empty = "No description." }) {
  let current = text || "";
  const view = () => {
    const body = current.trim() ? renderMarkdown(current) : h("p", { class: "muted" }, empty);
    clear(container).append(
      h("div", { class: "description-view", "data-testid": "description" }, body),
      h("div", { class: "row" }, button("Edit description", edit, { class: "edit-description" })),
    );
  };
  const edit = () => {
    const area = h("textarea", { "aria-label": "Description (Markdown)", rows: "8" }, current);
    const saveButton = button("Save", () =>
      busy(saveButton, async () => {
        await save(area.value);
        current = area.value;
        view();
      }),
      { class: "primary" },
    );
    clear(container).append(
      area,
      h("div", { class: "row" }, saveButton, button("Cancel", view), h("span", { class: "muted small" }, "Markdown is supported.")),
    );
    area.focus();
  };
  view();
}

// Tags as a table with remove buttons, and a key/value form to add or change one.
export function tagsEditor(container, { tags, set, remove, hidePrefix = "mlflow." }) {
  let current = { ...tags };
  const render = () => {
    const shown = Object.entries(current)
      .filter(([key]) => !key.startsWith(hidePrefix))
      .sort(([a], [b]) => a.localeCompare(b));
    const rows = shown.map(([key, value]) => {
      const removeButton = button("Remove", () =>
        busy(removeButton, async () => {
          await remove(key);
          delete current[key];
          render();
        }),
        { class: "danger small-button", "aria-label": `Remove tag ${key}` },
      );
      return h(
        "tr",
        { "data-tag": key },
        h("td", { class: "mono" }, key),
        h("td", { class: "mono tag-value" }, value),
        h("td", { class: "right" }, removeButton),
      );
    });
    const key = h("input", { type: "text", placeholder: "key", "aria-label": "Tag key", required: true });
    const value = h("input", { type: "text", placeholder: "value", "aria-label": "Tag value" });
    const addButton = h("button", { type: "submit" }, "Set tag");
    const form = h("form", { class: "row tag-form" }, key, value, addButton);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = key.value.trim();
      if (!name) return;
      busy(addButton, async () => {
        await set(name, value.value);
        current[name] = value.value;
        render();
      });
    });
    clear(container).append(
      rows.length
        ? h("table", { class: "data tags-table" }, h("tbody", {}, rows))
        : h("p", { class: "muted" }, "No tags."),
      form,
    );
  };
  render();
}

// A small form inside a card: used by alias and approval forms for a consistent layout.
export function field(label, control) {
  return h("label", { class: "field" }, h("span", {}, label), control);
}
