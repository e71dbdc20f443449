// The runs page (/experiments/<id>[,<id>...]): a virtualised table of the experiments' runs.
//
// Its JSON twins: GET /api/2.0/shipyard/experiments/columns (which keys there are) and
// POST /api/2.0/shipyard/runs/table (pages of just the shown columns). The view (filter,
// sort, columns, pins, widths, grouping, view type) lives in the URL and in localStorage per
// set of experiments, so a reload keeps it and a link shares it.

import { mlflow, shipyard, keyValues, pages } from "../lib/api.js";
import { h, clear, showError, describe, toast } from "../lib/ui.js";
import { readState, writeState } from "../lib/state.js";
import {
  columnLabel, columnWidth, defaultColumns, familyOf, isSortable, isValueColumn,
  openColumnChooser, orderClause,
} from "../components/columns.js";
import { RunsTable } from "../components/runs_table.js";
import { treeEntries, groupEntries } from "../components/runs_rows.js";
import { cellContent, nameContent } from "../components/runs_cells.js";
import { RunsLoader, fetchRuns, fetchNewRuns } from "../components/runs_loader.js";
import { toCsv, download } from "../components/runs_csv.js";
import { LiveRefresh } from "../components/run_live.js";
import { updateSelectionBar, deleteRuns, restoreRuns, purgeRuns } from "../components/runs_actions.js";

// cols: the chosen columns in order; empty means "the default choice" for this experiment.
const DEFAULTS = { q: "", sort: "", cols: [], pin: [], widths: {}, group: "", view: "ACTIVE_ONLY" };
const $ = (id) => document.getElementById(id);
// Group rows show min · mean · max in metric cells: wider than one number.
const GROUPED_METRIC_WIDTH = 190;

const main = $("main");
const experimentIds = (main.dataset.experimentIds || "").split(",").filter(Boolean);
const scope = `runs:${experimentIds.join(",")}`;
let state = readState(scope, DEFAULTS);
let keys = { run_count: 0, metrics: [], params: [], tags: [] };
const experimentNames = new Map();

let rows = [];
let rowsById = new Map();
let loadedColumns = new Map(); // column id -> index into row.values
let loading = null; // the promise of the load in flight
const expanded = new Set();
const expandedGroups = new Set();
const loader = new RunsLoader();

const table = new RunsTable($("runs-table"), {
  label: "Runs",
  cell: (columnId, entry) => cellContent(columnId, entry, cellContext),
  nameContent: (entry) => nameContent(entry, cellContext),
  onOpen: openEntry,
  onToggle: toggleEntry,
  onSelectionChange: refreshSelection,
  onSort: cycleSort,
  onColumnAction: columnAction,
  onResize: (id, width) => save({ widths: { ...state.widths, [id]: width } }),
  onMove: moveColumn,
  onRender: () => live.check(),
});

const cellContext = {
  valueOf,
  experimentName: (id) => experimentNames.get(id) || id,
  get groupColumn() {
    return state.group;
  },
};

// Live while a run in view is running; each poll updates the runs in view (and adds new ones).
function runningInView() {
  return table
    .renderedEntries()
    .filter((entry) => entry.kind === "run" && entry.row.status === "RUNNING")
    .map((entry) => entry.row.id);
}

const live = new LiveRefresh({
  isLive: () => runningInView().length > 0,
  describe: () => `${rows.filter((row) => row.status === "RUNNING").length.toLocaleString()} running`,
  refresh: refreshRunning,
});

function valueOf(row, columnId) {
  const index = loadedColumns.get(columnId);
  return index === undefined ? undefined : row.values[index];
}

function save(changes) {
  state = { ...state, ...changes };
  writeState(scope, state, DEFAULTS);
}

// -- columns ---------------------------------------------------------------------------------

// The default choice is made once, from the first keys known (a sample of the newest runs on
// a large experiment), so the columns shown do not change when the full key list arrives.
let defaultChoice = null;
function defaults() {
  defaultChoice ??= defaultColumns(keys, { multipleExperiments: experimentIds.length > 1 });
  return defaultChoice;
}

// Pinned columns first (in their order), then the rest.
function displayOrder() {
  const chosen = state.cols.length ? state.cols : defaults();
  return [...chosen.filter((id) => state.pin.includes(id)), ...chosen.filter((id) => !state.pin.includes(id))];
}

function requestedColumns() {
  const ids = displayOrder().filter(isValueColumn);
  if (state.group && !ids.includes(state.group)) ids.push(state.group);
  return ids;
}

function showColumns() {
  table.setColumns(
    displayOrder().map((id) => ({
      id,
      label: columnLabel(id),
      family: familyOf(id),
      width: state.group && familyOf(id) === "metric" && !state.widths[id] ? GROUPED_METRIC_WIDTH : columnWidth(id, state.widths),
      pinned: state.pin.includes(id),
      sortable: isSortable(id),
      align: familyOf(id) === "metric" ? "right" : null,
    })),
  );
  const sorted = state.sort.replace(/^-/, "");
  table.setSort(state.sort ? { column: sorted, ascending: !state.sort.startsWith("-") } : null);
}

// Show a new choice of columns; fetch again only if it needs values not loaded yet.
function changeColumns(changes) {
  save(changes);
  showColumns();
  if (requestedColumns().some((id) => !loadedColumns.has(id))) reload();
  else refreshEntries();
}

function moveColumn(moved, target) {
  const order = displayOrder().filter((id) => id !== moved);
  order.splice(order.indexOf(target), 0, moved);
  changeColumns({ cols: order });
}

function columnAction(action, id) {
  const order = displayOrder();
  const index = order.indexOf(id);
  if (action === "sort-asc" || action === "sort-desc") setSort(action === "sort-asc" ? id : `-${id}`);
  else if (action === "pin") changeColumns({ pin: [...state.pin, id] });
  else if (action === "unpin") changeColumns({ pin: state.pin.filter((item) => item !== id) });
  else if (action === "hide" && order.length > 1) changeColumns({ cols: order.filter((item) => item !== id), pin: state.pin.filter((item) => item !== id) });
  else if (action === "left" || action === "right") {
    const target = index + (action === "left" ? -1 : 1);
    if (target < 0 || target >= order.length || state.pin.includes(order[target]) !== state.pin.includes(id)) return;
    [order[index], order[target]] = [order[target], order[index]];
    changeColumns({ cols: order });
  }
}

// Header clicks cycle: ascending, descending, back to the default order (newest first).
function cycleSort(id) {
  if (state.sort === id) setSort(`-${id}`);
  else if (state.sort === `-${id}`) setSort("");
  else setSort(id);
}

function setSort(sort) {
  save({ sort });
  showColumns();
  reload();
}

// -- rows ------------------------------------------------------------------------------------

function refreshEntries() {
  if (state.group) {
    const metrics = displayOrder().filter((id) => familyOf(id) === "metric");
    table.setEntries(groupEntries(rows, (row) => valueOf(row, state.group), metrics, valueOf, expandedGroups));
  } else {
    table.setEntries(treeEntries(rows, expanded));
  }
  const parents = parentIds();
  $("expand-all").hidden = Boolean(state.group) || !parents.length;
  $("expand-all").textContent = parents.length && parents.every((id) => expanded.has(id)) ? "Collapse all" : "Expand all";
  table.setEmptyMessage(rows.length || loading ? "" : state.q ? "No runs match this filter." : "No runs here yet.");
  refreshSelection(table.selected);
}

function setRows(next) {
  rows = next;
  rowsById = new Map(rows.map((row) => [row.id, row]));
}

function updateCount(done) {
  const count = `${rows.length.toLocaleString()} run${rows.length === 1 ? "" : "s"}`;
  $("run-count").textContent = done ? count : `${count} (loading…)`;
}

function request(filter = state.q) {
  return {
    experiment_ids: experimentIds,
    filter: filter || null,
    run_view_type: state.view,
    order_by: state.sort ? [orderClause(state.sort.replace(/^-/, ""), !state.sort.startsWith("-"))] : [],
    columns: requestedColumns(),
  };
}

// Load every page of the current view; a filter given here is only kept if the server
// accepts it (its parse error is shown under the box instead).
function reload({ filter = state.q } = {}) {
  const body = request(filter);
  $("run-count").textContent = "Loading…";
  const promise = loader
    .load(body, (pageRows, { first, done }) => {
      if (first) {
        if (filter !== state.q) save({ q: filter });
        showFilterError(null);
        loadedColumns = new Map(body.columns.map((id, index) => [id, index]));
        setRows([]);
      }
      setRows(rows.concat(pageRows));
      if (done) loading = null;
      refreshEntries();
      updateCount(done);
    })
    .catch((error) => {
      if (filter !== state.q || error.code === "INVALID_PARAMETER_VALUE") showFilterError(error);
      else showError(error);
      updateCount(true);
    })
    .finally(() => {
      if (loading === promise) loading = null;
      live.check();
    });
  loading = promise;
  return promise;
}

function showFilterError(error) {
  const box = $("filter-error");
  const input = $("run-filter");
  input.classList.toggle("invalid", Boolean(error));
  input.setAttribute("aria-invalid", String(Boolean(error)));
  clear(box);
  // The server's own message: its last lines echo the filter with a caret under the problem.
  if (error) box.append(h("div", { class: "error-text", role: "alert" }, error.code ? error.message : describe(error)));
}

async function refreshRunning() {
  const body = request();
  for (const fresh of await fetchRuns(body, runningInView())) {
    const row = rowsById.get(fresh.id);
    if (row) Object.assign(row, fresh);
  }
  // New runs appear on top when the table is in its default order (newest first).
  if (!state.sort && !state.group && state.view !== "DELETED_ONLY" && rows.length) {
    const newest = Math.max(...rows.map((row) => row.start || 0));
    const added = (await fetchNewRuns(body, newest)).filter((row) => !rowsById.has(row.id));
    if (added.length) setRows(added.concat(rows));
  }
  setRows(rows.filter((row) => state.view === "ALL" || (row.stage === "deleted") === (state.view === "DELETED_ONLY")));
  refreshEntries();
  updateCount(true);
}

// -- interaction -----------------------------------------------------------------------------

function openEntry(entry) {
  if (entry.kind === "group") toggleEntry(entry);
  else window.location.href = pages.run(entry.row.id);
}

function toggleEntry(entry) {
  const set = entry.kind === "group" ? expandedGroups : expanded;
  const id = entry.kind === "group" ? entry.id : entry.row.id;
  if (set.has(id)) set.delete(id);
  else set.add(id);
  refreshEntries();
}

function selectedRows() {
  return [...table.selected].map((id) => rowsById.get(id)).filter(Boolean);
}

function refreshSelection() {
  updateSelectionBar(
    {
      count: $("selection-count"),
      compare: $("compare-link"),
      remove: $("delete-runs"),
      restore: $("restore-runs"),
      purge: $("purge-runs"),
      clear: $("clear-selection"),
    },
    selectedRows(),
  );
}

async function runAction(action) {
  try {
    const changed = await action(selectedRows());
    if (!changed) return;
    table.setSelected([]);
    await loadKeys();
    reload();
  } catch (error) {
    showError(error);
  }
}

async function exportCsv() {
  if (loading) {
    toast("Exporting once every run has loaded…");
    await loading;
  }
  const columns = displayOrder().filter(isValueColumn);
  const header = ["run_id", "run_name", "experiment_id", "experiment", "status", "start_time", "end_time", "user_id", "parent_run_id", "lifecycle_stage", ...columns];
  const iso = (time) => (time ? new Date(Number(time)).toISOString() : "");
  const data = rows.map((row) => [
    row.id, row.name, row.experimentId, experimentNames.get(row.experimentId) || "", row.status,
    iso(row.start), iso(row.end), row.user, row.parent || "", row.stage,
    ...columns.map((id) => valueOf(row, id)),
  ]);
  download(toCsv(header, data), `runs-${experimentIds.join("-")}.csv`);
}

function fillSelect(select, options, value) {
  clear(select);
  for (const option of options) {
    if (option.group) select.append(h("optgroup", { label: option.group }, ...option.items.map((item) => h("option", { value: item.value }, item.label))));
    else select.append(h("option", { value: option.value }, option.label));
  }
  select.value = value;
}

function fillGroupBy() {
  const items = (family, prefix) => keys[family].map((item) => ({ value: `${prefix}.${item.key}`, label: item.key }));
  const options = [{ value: "", label: "No grouping" }, { group: "Params", items: items("params", "params") }, { group: "Tags", items: items("tags", "tags") }];
  fillSelect($("group-by"), options, state.group);
}

function wireToolbar() {
  const filter = $("run-filter");
  filter.value = state.q;
  $("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    reload({ filter: filter.value.trim() });
  });
  filter.addEventListener("search", () => {
    if (!filter.value) reload({ filter: "" });
  });
  $("view-type").value = state.view;
  $("view-type").addEventListener("change", async (event) => {
    save({ view: event.target.value });
    table.setSelected([]);
    await loadKeys();
    reload();
  });
  $("group-by").addEventListener("change", (event) => changeColumns({ group: event.target.value }));
  $("columns-button").addEventListener("click", () =>
    openColumnChooser({ keys, columns: displayOrder(), pinned: state.pin, defaults: defaults(), onApply: ({ columns, pinned }) => changeColumns({ cols: columns, pin: pinned }) }),
  );
  $("export-csv").addEventListener("click", () => exportCsv().catch(showError));
  $("compare-link").addEventListener("click", (event) => {
    if (!table.selected.size) event.preventDefault();
  });
  $("delete-runs").addEventListener("click", () => runAction(deleteRuns));
  $("restore-runs").addEventListener("click", () => runAction(restoreRuns));
  $("purge-runs").addEventListener("click", () => runAction(purgeRuns));
  $("clear-selection").addEventListener("click", () => {
    table.setSelected([]);
    refreshSelection();
  });
  $("expand-all").addEventListener("click", toggleAll);
  // "/" jumps to the filter box from anywhere but a text field.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    filter.focus();
  });
}

function parentIds() {
  return [...new Set(rows.filter((row) => row.parent && rowsById.has(row.parent)).map((row) => row.parent))];
}

// "Expand all" opens every parent; once all are open the same button closes them.
function toggleAll() {
  const parents = parentIds();
  const opening = !parents.every((id) => expanded.has(id));
  expanded.clear();
  if (opening) parents.forEach((id) => expanded.add(id));
  refreshEntries();
}

// Keys of the newest runs first (fast on a sweep of thousands of runs), enough to choose the
// default columns and load rows; the full list with run counts follows for the column chooser
// and grouping.
const KEY_SAMPLE_RUNS = 500;
let keysGeneration = 0; // a newer loadKeys wins over the full list of an older one

async function loadKeys() {
  const generation = ++keysGeneration;
  const query = { experiment_ids: experimentIds, view_type: state.view };
  keys = await shipyard.get("/experiments/columns", { ...query, sample_runs: KEY_SAMPLE_RUNS });
  fillGroupBy();
  if (keys.sampled_runs === undefined) return;
  shipyard
    .get("/experiments/columns", query)
    .then((full) => {
      if (generation !== keysGeneration) return;
      keys = full;
      fillGroupBy();
    })
    .catch((error) => showError(error));
}

async function loadExperiments() {
  const found = await Promise.all(
    experimentIds.map((id) =>
      mlflow.get("/experiments/get", { experiment_id: id }).then((body) => body.experiment),
    ),
  );
  for (const experiment of found) experimentNames.set(experiment.experiment_id, experiment.name);
  const names = found.map((experiment) => experiment.name).join(", ");
  document.title = `${names} · Shipyard`;
  $("runs-title").textContent = names;
  $("runs-crumb").textContent = names;
  const note = found.length === 1 ? keyValues(found[0].tags)["mlflow.note.content"] : "";
  $("runs-description").textContent = note ? note.split("\n")[0] : "";
  if (found.some((experiment) => experiment.lifecycle_stage === "deleted")) {
    $("runs-description").prepend(h("span", { class: "badge danger" }, "deleted experiment"), " ");
  }
}

async function start() {
  wireToolbar();
  if (!experimentIds.length) {
    showError(new Error("No experiment named in the address: open one from the experiments list."));
    return;
  }
  try {
    // With a saved column choice the table can load while the keys do.
    const first = state.cols.length ? reload() : null;
    await Promise.all([loadExperiments(), loadKeys()]);
    showColumns();
    if (!first) reload();
  } catch (error) {
    showError(error, $("runs-table"));
  }
}

start();
