// Versions of one model side by side: who they are (aliases, approval, source run), then the
// params and metrics of their source runs and their signatures, with every row whose values
// differ highlighted (and, on request, only those rows). Versions are chosen with toggles
// and kept in the URL (?versions=1,2).

import { keyValues, pages } from "../lib/api.js";
import { $, clear, describe, formatNumber, h, showError } from "../lib/ui.js";
import { approvals, runs, versions } from "../components/registry_api.js";
import { aliasChip, approvalBadge, timeCell } from "../components/registry_widgets.js";

const name = document.getElementById("main").dataset.name;
const onlyDifferences = $("#only-differences");
const MISSING = undefined;

function chosenVersions() {
  const raw = new URL(window.location.href).searchParams.get("versions") || "";
  return [...new Set(raw.split(",").map((part) => part.trim()).filter(Boolean))];
}

// The same URL the model page links to (commas kept readable, not %2C).
function setChosen(list) {
  window.history.replaceState(null, "", pages.compareVersions(name, list));
}

// Everything shown about one version: the version, its approval, run and signature.
async function details(version, approvalByVersion) {
  const [run, signature] = await Promise.all([
    version.run_id ? runs.get(version.run_id).catch(() => null) : null,
    versions.signature(name, version.version).catch(() => null),
  ]);
  return { version, approval: approvalByVersion[version.version], run, signature };
}

function differs(values) {
  const present = values.map((value) => (value === MISSING ? "\u0000missing" : String(value)));
  return new Set(present).size > 1;
}

// A table with one column per version under a header row of `headCells`.
function versionsTable(className, headCells, bodyRows) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: `data compare-table ${className}` },
      h("thead", {}, h("tr", {}, h("th", {}, ""), headCells.map((cell) => h("th", { scope: "col" }, cell)))),
      h("tbody", {}, bodyRows),
    ),
  );
}

function valueCell(value, format) {
  if (value === MISSING) return h("td", { class: "missing" }, "—");
  return h("td", { class: "mono" }, format(value));
}

// Keys (rows) by versions (columns); rows whose values differ carry class "diff".
function comparisonTable(title, keys, valueOf, format, columns) {
  const rows = keys.map((key) => {
    const values = columns.map((column) => valueOf(column, key));
    const different = differs(values);
    return h(
      "tr",
      { class: different ? "diff" : undefined, "data-key": key, "data-differs": String(different) },
      h("th", { scope: "row", class: "mono" }, key),
      values.map((value) => valueCell(value, format)),
    );
  });
  const differing = rows.filter((row) => row.dataset.differs === "true").length;
  const count = h("span", { class: "muted small" }, `${differing} of ${keys.length} differ`);
  const section = h(
    "section",
    { class: "card compare-section", "data-section": title.toLowerCase() },
    h("div", { class: "card-head" }, h("h2", {}, title), count),
  );
  if (!keys.length) {
    section.append(h("p", { class: "muted" }, "Nothing to compare."));
    return section;
  }
  const heads = columns.map((column) => `Version ${column.version.version}`);
  section.append(versionsTable("", heads, rows));
  return section;
}

function sourceRun(column) {
  const runId = column.version.run_id;
  if (!runId) return "—";
  return h("a", { href: pages.run(runId) }, column.run?.info.run_name || runId.slice(0, 8));
}

// Who each version is: aliases, approval, source run, creation, description.
function header(columns) {
  const facts = [
    ["Aliases", (c) => (c.version.aliases || []).map((alias) => aliasChip(name, alias))],
    ["Approval", (c) => (c.approval ? approvalBadge(c.approval.status) : "")],
    ["Source run", sourceRun],
    ["Created", (c) => timeCell(c.version.creation_timestamp)],
    ["Description", (c) => (c.version.description || "").split("\n")[0]],
  ];
  const rows = facts.map(([label, content]) =>
    h("tr", {}, h("th", { scope: "row" }, label), columns.map((column) => h("td", {}, content(column)))),
  );
  const heads = columns.map((c) => h("a", { href: pages.version(name, c.version.version) }, `Version ${c.version.version}`));
  return h("section", { class: "card compare-section" }, versionsTable("compare-head", heads, rows));
}

function unionKeys(maps) {
  return [...new Set(maps.flatMap((map) => Object.keys(map)))].sort((a, b) => a.localeCompare(b));
}

// {column name: type} of one side of a version's signature.
function signatureRows(column, part) {
  if (!column.signature) return {};
  const typeOf = (row) => (row.required === false ? `${row.type} (optional)` : row.type);
  return Object.fromEntries(column.signature[part].map((row) => [row.name, typeOf(row)]));
}

function render(columns) {
  const params = columns.map((c) => keyValues(c.run?.data.params));
  const metrics = columns.map((c) => Object.fromEntries((c.run?.data.metrics || []).map((m) => [m.key, m.value])));
  const inputs = columns.map((c) => signatureRows(c, "inputs"));
  const outputs = columns.map((c) => signatureRows(c, "outputs"));
  const indexOf = (column) => columns.indexOf(column);
  const from = (maps) => (column, key) => (key in maps[indexOf(column)] ? maps[indexOf(column)][key] : MISSING);
  const text = (value) => String(value);
  const noSignature = columns.filter((c) => !c.signature).map((c) => `v${c.version.version}`);
  clear($("#comparison")).append(
    header(columns),
    comparisonTable("Parameters", unionKeys(params), from(params), text, columns),
    comparisonTable("Metrics", unionKeys(metrics), from(metrics), formatNumber, columns),
    comparisonTable("Signature inputs", unionKeys(inputs), from(inputs), text, columns),
    comparisonTable("Signature outputs", unionKeys(outputs), from(outputs), text, columns),
    noSignature.length ? h("p", { class: "muted small" }, `Without a signature: ${noSignature.join(", ")}.`) : "",
  );
  applyFilter();
}

function applyFilter() {
  $("#comparison").classList.toggle("only-differences", onlyDifferences.checked);
}

function picker(all, chosen, onChange) {
  clear($("#version-picker")).append(
    ...all.map((version) => {
      const box = h("input", { type: "checkbox", value: version.version, checked: chosen.includes(version.version) });
      box.addEventListener("change", () => {
        const next = all.map((v) => v.version).filter((v) => (v === version.version ? box.checked : chosen.includes(v)));
        onChange(next.sort((a, b) => Number(a) - Number(b)));
      });
      const aliases = (version.aliases || []).map((alias) => h("span", { class: "muted small" }, ` @${alias}`));
      return h("label", { class: "version-toggle" }, box, ` v${version.version}`, aliases);
    }),
  );
}

async function load() {
  let all;
  let approvalByVersion;
  try {
    [all, approvalByVersion] = await Promise.all([versions.of(name), approvals.of(name)]);
  } catch (error) {
    showError(error, $("#compare-error"));
    clear($("#comparison"));
    return;
  }
  all.sort((a, b) => Number(a.version) - Number(b.version));
  const cache = new Map();
  const show = async (chosen) => {
    setChosen(chosen);
    picker(all, chosen, show);
    const picked = all.filter((version) => chosen.includes(version.version));
    if (picked.length < 2) {
      clear($("#comparison")).append(h("p", { class: "empty card" }, "Choose at least two versions to compare."));
      return;
    }
    try {
      const columns = await Promise.all(
        picked.map((version) => {
          if (!cache.has(version.version)) cache.set(version.version, details(version, approvalByVersion));
          return cache.get(version.version);
        }),
      );
      render(columns);
    } catch (error) {
      clear($("#comparison")).append(h("div", { class: "error-text", role: "alert" }, describe(error)));
    }
  };
  const requested = chosenVersions().filter((v) => all.some((version) => version.version === v));
  const missing = chosenVersions().filter((v) => !requested.includes(v));
  if (missing.length) showError(new Error(`${name} has no version ${missing.join(", ")}.`), $("#compare-error"));
  show(requested.length ? requested : all.slice(-2).map((version) => version.version));
}

onlyDifferences.addEventListener("change", applyFilter);
load();
