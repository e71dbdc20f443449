// The experiments page (/): find, create, rename, delete, restore and purge experiments, and open the
// runs of several at once. Its JSON twins: MLflow's experiments/search (and create, update,
// delete, restore) and Shipyard's experiments/run-counts and experiments/purge.

import { mlflow, shipyard, allPages, keyValues, pages } from "../lib/api.js";
import { h, clear, showError, toast, formatTime } from "../lib/ui.js";
import { readState, writeState } from "../lib/state.js";
import { confirmDialog, promptDialog } from "../components/run_dialogs.js";

const DEFAULTS = { q: "", deleted: false, sort: "-creation_time" };
const SCOPE = "experiments";
const MAX_EXPERIMENTS = 10_000;
const COUNTS_CHUNK = 200; // ids per run-counts request: keeps the query string short
const $ = (id) => document.getElementById(id);

let state = readState(SCOPE, DEFAULTS);
let experiments = [];
let counts = new Map();
const selected = new Set();
let searchTimer = 0;

function save(changes) {
  state = { ...state, ...changes };
  writeState(SCOPE, state, DEFAULTS);
}

// A name filter in the search grammar: a case-insensitive substring match, with LIKE's
// wildcards and the grammar's quote and backslash escaped so any text is matched literally.
function nameFilter(text) {
  if (!text) return null;
  const literal = text.replace(/\\/g, "\\\\").replace(/[%_]/g, "\\$&");
  return `name ILIKE '%${literal.replace(/\\/g, "\\\\").replace(/'/g, "''")}%'`;
}

function orderBy() {
  const field = state.sort.replace(/^-/, "");
  return [`${field} ${state.sort.startsWith("-") ? "DESC" : "ASC"}`];
}

async function load() {
  const view = state.deleted ? "DELETED_ONLY" : "ACTIVE_ONLY";
  const search = (token) =>
    mlflow.get("/experiments/search", { max_results: 1000, view_type: view, filter: nameFilter(state.q), order_by: orderBy(), page_token: token });
  experiments = await allPages(search, "experiments", MAX_EXPERIMENTS);
  counts = new Map();
  for (const id of [...selected]) if (!experiments.some((item) => item.experiment_id === id)) selected.delete(id);
  render();
  await loadCounts(experiments.map((item) => item.experiment_id));
  render();
}

async function loadCounts(ids) {
  const requests = [];
  for (let start = 0; start < ids.length; start += COUNTS_CHUNK) {
    requests.push(shipyard.get("/experiments/run-counts", { experiment_ids: ids.slice(start, start + COUNTS_CHUNK) }));
  }
  for (const body of await Promise.all(requests)) {
    for (const item of body.experiments) counts.set(item.experiment_id, item);
  }
}

function refresh() {
  load().catch((error) => showError(error, $("experiments-error")));
}

// -- rendering -------------------------------------------------------------------------------

function actionsCell(experiment) {
  const name = experiment.name;
  if (experiment.lifecycle_stage === "deleted") {
    return h(
      "td",
      { class: "actions" },
      h("button", { type: "button", onclick: () => restore(experiment), "aria-label": `Restore ${name}` }, "Restore"),
      " ",
      h("button", { type: "button", class: "danger", onclick: () => purge(experiment), "aria-label": `Delete ${name} permanently` }, "Delete permanently"),
    );
  }
  return h(
    "td",
    { class: "actions" },
    h("button", { type: "button", onclick: () => rename(experiment), "aria-label": `Rename ${name}` }, "Rename"),
    " ",
    h("button", { type: "button", class: "danger", onclick: () => remove(experiment), "aria-label": `Delete ${name}` }, "Delete"),
  );
}

function experimentRow(experiment) {
  const id = experiment.experiment_id;
  const count = counts.get(id);
  const note = keyValues(experiment.tags)["mlflow.note.content"] || "";
  const checkbox = h("input", {
    type: "checkbox",
    checked: selected.has(id),
    "aria-label": `Select ${experiment.name}`,
    onchange: (event) => {
      if (event.target.checked) selected.add(id);
      else selected.delete(id);
      updateSelection();
    },
  });
  const runs = count ? count.active_runs.toLocaleString() + (count.deleted_runs ? ` (+${count.deleted_runs.toLocaleString()} deleted)` : "") : "…";
  return h(
    "tr",
    { class: selected.has(id) ? "selected" : "", dataset: { experimentId: id } },
    h("td", { class: "check" }, checkbox),
    h("td", {}, h("a", { href: pages.runs(id) }, experiment.name)),
    h("td", { class: "mono muted" }, id),
    h("td", { class: "num" }, runs),
    h("td", { class: "nowrap" }, count && count.last_run_start_time ? formatTime(count.last_run_start_time) : ""),
    h("td", { class: "nowrap" }, formatTime(experiment.creation_time)),
    h("td", { class: "experiment-note muted", title: note }, note.split("\n")[0]),
    actionsCell(experiment),
  );
}

function render() {
  const body = $("experiments-body");
  clear(body).append(...experiments.map(experimentRow));
  if (!experiments.length) {
    const message = state.q ? `No experiment matches “${state.q}”.` : state.deleted ? "No deleted experiments." : "No experiments yet: create one.";
    body.append(h("tr", {}, h("td", { colspan: "8", class: "empty" }, message)));
  }
  const noun = state.deleted ? "deleted experiment" : "experiment";
  $("experiment-count").textContent = `${experiments.length.toLocaleString()} ${noun}${experiments.length === 1 ? "" : "s"}`;
  for (const header of document.querySelectorAll("#experiments-table th[data-sort]")) {
    const field = header.dataset.sort;
    const sorted = state.sort.replace(/^-/, "") === field;
    header.setAttribute("aria-sort", sorted ? (state.sort.startsWith("-") ? "descending" : "ascending") : "none");
  }
  updateSelection();
}

function updateSelection() {
  const link = $("open-selected");
  const ids = experiments.map((item) => item.experiment_id).filter((id) => selected.has(id));
  link.classList.toggle("disabled", ids.length === 0);
  link.setAttribute("aria-disabled", String(ids.length === 0));
  link.textContent = ids.length ? `Open runs of ${ids.length} selected` : "Open runs of selected";
  if (ids.length) link.href = pages.runs(ids);
  else link.removeAttribute("href");
  const all = $("select-all-experiments");
  all.checked = ids.length > 0 && ids.length === experiments.length;
  all.indeterminate = ids.length > 0 && ids.length < experiments.length;
  for (const row of document.querySelectorAll("#experiments-body tr[data-experiment-id]")) {
    row.classList.toggle("selected", selected.has(row.dataset.experimentId));
  }
}

// -- actions ---------------------------------------------------------------------------------

async function act(work, message) {
  try {
    await work();
    toast(message);
    await load();
  } catch (error) {
    showError(error);
  }
}

async function create() {
  const name = await promptDialog({ title: "New experiment", label: "Name", confirm: "Create" });
  if (!name) return;
  try {
    const body = await mlflow.post("/experiments/create", { name });
    window.location.href = pages.runs(body.experiment_id);
  } catch (error) {
    showError(error);
  }
}

async function rename(experiment) {
  const name = await promptDialog({ title: `Rename ${experiment.name}`, label: "New name", value: experiment.name, confirm: "Rename" });
  if (!name || name === experiment.name) return;
  act(() => mlflow.post("/experiments/update", { experiment_id: experiment.experiment_id, new_name: name }), `Renamed to ${name}.`);
}

async function remove(experiment) {
  const confirmed = await confirmDialog({
    title: `Delete ${experiment.name}?`,
    message: "The experiment and its runs move to the deleted experiments, from where they can be restored.",
    confirm: "Delete",
    danger: true,
  });
  if (!confirmed) return;
  selected.delete(experiment.experiment_id);
  act(() => mlflow.post("/experiments/delete", { experiment_id: experiment.experiment_id }), `Deleted ${experiment.name}.`);
}

// Asks first: a purge cannot be undone. Runs, logged models and artifacts go with it.
async function purge(experiment) {
  const confirmed = await confirmDialog({
    title: `Delete ${experiment.name} permanently?`,
    message: "The experiment, all of its runs and logged models, and their artifacts are deleted for good. This cannot be undone.",
    confirm: "Delete permanently",
    danger: true,
  });
  if (!confirmed) return;
  try {
    const result = await shipyard.post("/experiments/purge", { experiment_ids: [experiment.experiment_id] });
    toast(`Permanently deleted ${experiment.name}, ${result.runs_purged} run(s) and ${result.artifact_files_deleted} artifact file(s).`);
    await load();
  } catch (error) {
    showError(error);
  }
}

function restore(experiment) {
  act(() => mlflow.post("/experiments/restore", { experiment_id: experiment.experiment_id }), `Restored ${experiment.name}.`);
}

// -- wiring ------------------------------------------------------------------------------------

function wire() {
  const filter = $("experiment-filter");
  filter.value = state.q;
  $("show-deleted").checked = state.deleted;
  // Filter as the user types (debounced): the list is short and the search is one query.
  filter.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      save({ q: filter.value.trim() });
      refresh();
    }, 200);
  });
  $("experiment-search").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    save({ q: filter.value.trim() });
    refresh();
  });
  $("show-deleted").addEventListener("change", (event) => {
    save({ deleted: event.target.checked });
    selected.clear();
    refresh();
  });
  $("new-experiment").addEventListener("click", create);
  $("select-all-experiments").addEventListener("change", (event) => {
    for (const item of experiments) {
      if (event.target.checked) selected.add(item.experiment_id);
      else selected.delete(item.experiment_id);
    }
    render();
  });
  for (const header of document.querySelectorAll("#experiments-table th[data-sort]")) {
    header.querySelector("button").addEventListener("click", () => {
      // A new column starts in its natural order (names A-Z, newest first); a click flips it.
      const field = header.dataset.sort;
      const current = state.sort.replace(/^-/, "");
      const first = field === "name" ? field : `-${field}`;
      const flipped = state.sort.startsWith("-") ? field : `-${field}`;
      save({ sort: current === field ? flipped : first });
      refresh();
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    filter.focus();
  });
}

wire();
refresh();
