// The registered models: a searchable list with each model's version count, aliases and
// latest version. The search box takes the server's filter grammar; plain words search names.
// The filter is kept in the URL, so a search can be shared as a link.

import { keyValues, pages } from "../lib/api.js";
import { readState, writeState } from "../lib/state.js";
import { $, clear, describe, h } from "../lib/ui.js";
import { modelFilter, models, versions } from "../components/registry_api.js";
import { aliasChip, timeCell } from "../components/registry_widgets.js";

const DEFAULTS = { filter: "" };
const state = readState("models", DEFAULTS);
const list = $("#models-list");
const input = $("#models-filter");
const more = $("#models-more");
const errorBox = $("#models-filter-error");
const help = $("#models-filter-help");

let shown = [];
let nextToken = null;
let generation = 0; // a newer search makes older answers stale

function firstLine(text) {
  return (text || "").split("\n").find((line) => line.trim()) || "";
}

const NONE = () => h("span", { class: "muted" }, "—");

// The newest of the model's latest versions (MLflow sends one per stage).
function newestVersion(model) {
  const newest = (model.latest_versions || []).reduce(
    (best, version) => (!best || Number(version.version) > Number(best.version) ? version : best),
    null,
  );
  return newest ? h("a", { href: pages.version(model.name, newest.version) }, `v${newest.version}`) : NONE();
}

function row(model, counts) {
  const aliases = (model.aliases || []).slice().sort((a, b) => a.alias.localeCompare(b.alias));
  const tags = Object.entries(keyValues(model.tags)).filter(([key]) => !key.startsWith("mlflow."));
  return h(
    "tr",
    { "data-model": model.name },
    h("td", {}, h("a", { href: pages.model(model.name), class: "model-name" }, model.name)),
    h("td", { class: "num versions-count" }, String(counts.get(model.name) || 0)),
    h("td", { class: "aliases-cell" }, aliases.length ? aliases.map((a) => aliasChip(model.name, a.alias, a.version)) : NONE()),
    h("td", {}, newestVersion(model)),
    h("td", { class: "tags-cell" }, tags.map(([key, value]) => h("span", { class: "badge tag-chip" }, `${key}: ${value}`))),
    h("td", { class: "description-cell" }, firstLine(model.description)),
    h("td", { class: "nowrap" }, timeCell(model.last_updated_timestamp)),
  );
}

function renderTable(counts) {
  if (!shown.length) {
    const message = state.filter
      ? "No model matches this search."
      : "No registered models yet. Register one with registered_model_name=... when you log a model.";
    clear(list).append(h("div", { class: "empty" }, message));
    return;
  }
  const headers = ["Name", "Versions", "Aliases", "Latest", "Tags", "Description", "Last modified"];
  clear(list).append(
    h(
      "table",
      { class: "data models-table" },
      h("thead", {}, h("tr", {}, headers.map((label) => h("th", { class: label === "Versions" ? "num" : undefined }, label)))),
      h("tbody", {}, shown.map((model) => row(model, counts))),
    ),
  );
}

async function countVersions(names) {
  const counts = new Map();
  for (const version of await versions.ofModels(names)) counts.set(version.name, (counts.get(version.name) || 0) + 1);
  return counts;
}

let counts = new Map();

async function load({ append = false } = {}) {
  const mine = ++generation;
  const filter = modelFilter(state.filter);
  help.textContent = filter && filter !== state.filter.trim() ? `Searching with: ${filter}` : "";
  try {
    const page = await models.search(filter, append ? nextToken : undefined);
    const found = page.registered_models || [];
    const more = await countVersions(found.map((model) => model.name));
    if (mine !== generation) return;
    errorBox.replaceChildren();
    input.classList.remove("invalid");
    shown = append ? shown.concat(found) : found;
    counts = append ? new Map([...counts, ...more]) : more;
    nextToken = page.next_page_token || null;
    renderTable(counts);
    $("#models-count").textContent = `${shown.length}${nextToken ? "+" : ""} ${shown.length === 1 ? "model" : "models"}`;
  } catch (error) {
    if (mine !== generation) return;
    // a filter the grammar refuses is shown where it was typed, with the server's message
    input.classList.add("invalid");
    errorBox.replaceChildren(h("div", { class: "error-text", role: "alert" }, describe(error)));
    shown = [];
    nextToken = null;
    clear(list).append(h("div", { class: "empty" }, "Fix the search to see models."));
  }
  more.hidden = !nextToken;
}

function search() {
  state.filter = input.value;
  writeState("models", state, DEFAULTS);
  load();
}

let debounce = null;
input.value = state.filter;
input.addEventListener("input", () => {
  clearTimeout(debounce);
  debounce = setTimeout(search, 300);
});
$("#models-search").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(debounce);
  search();
});
more.addEventListener("click", () => load({ append: true }));
load();
