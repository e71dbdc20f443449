// A model's aliases: where each points, a form to set or move one (setting an existing alias
// moves it), removal, and the alias history (which version held each alias when, and who
// moved it), newest first.

import { pages } from "../lib/api.js";
import { clear, h, toast } from "../lib/ui.js";
import { models } from "./registry_api.js";
import { aliasChip, busy, field, timeCell } from "./registry_widgets.js";

const ALIAS_PATTERN = "[A-Za-z0-9_\\-]+";

function aliasRows(name, aliases, onChange) {
  if (!aliases.length) return h("p", { class: "muted" }, "No aliases yet: give a version one below, e.g. champion.");
  const rows = aliases.map(({ alias, version }) => {
    const label = `Remove alias ${alias}`;
    const remove = h("button", { type: "button", class: "danger small-button", "aria-label": label }, "Remove");
    remove.addEventListener("click", () =>
      busy(remove, async () => {
        await models.deleteAlias(name, alias);
        toast(`Removed @${alias}.`);
        onChange();
      }),
    );
    return h(
      "tr",
      { "data-alias": alias },
      h("td", {}, aliasChip(name, alias)),
      h("td", {}, h("a", { href: pages.version(name, version) }, `Version ${version}`)),
      h("td", { class: "right" }, remove),
    );
  });
  return h("table", { class: "data aliases-table" }, h("tbody", {}, rows));
}

function aliasForm(name, aliases, versionNumbers, onChange) {
  const aliasInput = h("input", {
    type: "text",
    name: "alias",
    list: "alias-names",
    required: true,
    pattern: ALIAS_PATTERN,
    placeholder: "champion",
    title: "Letters, digits, - and _",
  });
  const names = h("datalist", { id: "alias-names" }, aliases.map(({ alias }) => h("option", { value: alias })));
  const versionSelect = h(
    "select",
    { name: "version" },
    versionNumbers.map((version) => h("option", { value: version }, `Version ${version}`)),
  );
  const submit = h("button", { type: "submit", class: "primary" }, "Set alias");
  const form = h(
    "form",
    { class: "row alias-form", "aria-label": "Set or move an alias" },
    field("Alias", aliasInput),
    names,
    field("Version", versionSelect),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const alias = aliasInput.value.trim();
    if (!alias) return;
    const moving = aliases.find((item) => item.alias === alias);
    busy(submit, async () => {
      await models.setAlias(name, alias, versionSelect.value);
      const target = versionSelect.value;
      toast(moving ? `Moved @${alias} from v${moving.version} to v${target}.` : `@${alias} now points at v${target}.`);
      onChange();
    });
  });
  return form;
}

// The aliases card: list and form. `onChange()` after any change (the page reloads).
export function aliasesEditor(container, { name, aliases, versionNumbers, onChange }) {
  const sorted = [...aliases].sort((a, b) => a.alias.localeCompare(b.alias));
  clear(container).append(
    aliasRows(name, sorted, onChange),
    versionNumbers.length
      ? aliasForm(name, sorted, versionNumbers, onChange)
      : h("p", { class: "muted" }, "Register a version to give it an alias."),
    h("p", { class: "muted small" }, "Setting an alias that exists moves it; the move is kept in the alias history."),
  );
}

function versionLink(name, version) {
  if (version === null || version === undefined) return h("span", { class: "muted" }, "—");
  return h("a", { href: pages.version(name, version) }, `v${version}`);
}

function changeText(change) {
  if (change.from_version === null) return "set";
  if (change.to_version === null) return "removed";
  return "moved";
}

// The history table, newest first, with a filter by alias.
export function aliasHistory(container, { name, changes }) {
  const aliases = [...new Set(changes.map((change) => change.alias))].sort();
  const select = h(
    "select",
    { "aria-label": "Show the history of" },
    h("option", { value: "" }, "All aliases"),
    aliases.map((alias) => h("option", { value: alias }, `@${alias}`)),
  );
  const body = h("tbody", {});
  const render = () => {
    const shown = changes.filter((change) => !select.value || change.alias === select.value).slice().reverse();
    body.replaceChildren(
      ...shown.map((change) =>
        h(
          "tr",
          { "data-alias": change.alias, "data-change": changeText(change) },
          h("td", { class: "nowrap" }, timeCell(change.timestamp)),
          h("td", {}, aliasChip(name, change.alias)),
          h("td", {}, changeText(change)),
          h("td", {}, versionLink(name, change.from_version)),
          h("td", {}, versionLink(name, change.to_version)),
          h("td", {}, change.changed_by || h("span", { class: "muted" }, "unknown")),
        ),
      ),
    );
  };
  select.addEventListener("change", render);
  render();
  if (!changes.length) {
    clear(container).append(h("p", { class: "muted" }, "No alias has been set yet."));
    return;
  }
  clear(container).append(
    h("div", { class: "toolbar" }, select),
    h(
      "table",
      { class: "data alias-history" },
      h("thead", {}, h("tr", {}, ["When", "Alias", "Change", "From", "To", "By"].map((label) => h("th", {}, label)))),
      body,
    ),
  );
}
