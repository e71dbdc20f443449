// The model package view: a folder holding an MLmodel file shown as what it is, a model:
// its flavors, its signature as tables, its input example, its requirements, and the lines
// of Python that load it (with Shipyard's client and with MLflow's).

import { BASE } from "../lib/api.js";
import { clear, describe, formatBytes, h, toast } from "../lib/ui.js";
import { MLMODEL, fetchMlmodel, flavorsOf, signatureOf } from "./artifact_mlmodel.js";
import { joinPath } from "./artifact_source.js";
import { jsonTree } from "./preview_json.js";
import { dataTable } from "./preview_table.js";
import { codeView } from "./preview_text.js";

const EXAMPLE_LIMIT = 256 * 1024;

function signatureTable(title, rows, { withDefault = false } = {}) {
  if (!rows || !rows.length) return null;
  const head = ["Name", "Type", withDefault ? "Default" : "Required"];
  return h(
    "div",
    { class: "sig-block" },
    h("h4", {}, title),
    h(
      "table",
      { class: "data sig-table", "data-schema": title.toLowerCase() },
      h("thead", {}, h("tr", {}, head.map((label) => h("th", {}, label)))),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            {},
            h("td", { class: "mono" }, row.name),
            h("td", { class: "mono" }, row.type),
            h("td", {}, withDefault ? row.default : row.required === null ? "—" : row.required ? "yes" : "no"),
          ),
        ),
      ),
    ),
  );
}

// The signature as Inputs / Outputs / Params tables (the version page shows the same).
export function signatureView(signature) {
  if (!signature) return h("p", { class: "muted" }, "This model was saved without a signature.");
  return h(
    "div",
    { class: "signature" },
    signatureTable("Inputs", signature.inputs),
    signatureTable("Outputs", signature.outputs),
    signatureTable("Params", signature.params, { withDefault: true }),
  );
}

function detailRow([key, value]) {
  return h("tr", {}, h("td", {}, key), h("td", { class: "mono" }, String(value)));
}

function section(title, ...content) {
  return h("section", { class: "pkg-section" }, h("h3", {}, title), ...content);
}

function flavorsView(mlmodel) {
  const flavors = flavorsOf(mlmodel);
  if (!flavors.length) return h("p", { class: "muted" }, "No flavors listed.");
  return h(
    "div",
    { class: "flavors" },
    flavors.map((flavor) =>
      h(
        "div",
        { class: "flavor", "data-flavor": flavor.name },
        h("div", { class: "flavor-name" }, h("span", { class: "badge accent" }, flavor.name)),
        h(
          "table",
          { class: "pkg-kv small" },
          h("tbody", {}, flavor.details.map(detailRow)),
        ),
      ),
    ),
  );
}

function copyButton(text) {
  const button = h("button", { type: "button", class: "copy-button", title: "Copy to the clipboard" }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 1500);
    } catch {
      toast("The browser refused the clipboard: select the code and copy it.");
    }
  });
  return button;
}

export function snippet(title, code) {
  return h(
    "div",
    { class: "snippet" },
    h("div", { class: "snippet-head" }, h("span", { class: "small muted" }, title), copyButton(code)),
    h("pre", { class: "snippet-code", tabindex: "0" }, h("code", {}, code)),
  );
}

// Load snippets for a model URI, with this server as the tracking URI.
export function loadSnippets(modelUri) {
  const server = `${window.location.origin}${BASE}`;
  const ours = [
    "import os",
    "import shipyard.pyfunc",
    "",
    `os.environ["SHIPYARD_TRACKING_URI"] = "${server}"`,
    `model = shipyard.pyfunc.load_model("${modelUri}")`,
    "predictions = model.predict(data)",
  ].join("\n");
  const theirs = [
    "import mlflow",
    "",
    `mlflow.set_tracking_uri("${server}")`,
    `model = mlflow.pyfunc.load_model("${modelUri}")`,
    "predictions = model.predict(data)",
  ].join("\n");
  return h("div", { class: "snippets" }, snippet("Shipyard", ours), snippet("MLflow", theirs));
}

const EXAMPLE_ROWS = 50;

function isScalar(value) {
  return value === null || typeof value !== "object";
}

function exampleTable(columns, rows) {
  const text = (value) => (isScalar(value) ? String(value) : JSON.stringify(value));
  const cells = rows.slice(0, EXAMPLE_ROWS).map((row) => row.map(text));
  return h("div", { class: "ab-table-scroll" }, dataTable(columns.map(String), cells));
}

// Tabular examples as a table: pandas "split" orient ({columns, data}), a 2-D array (numpy),
// or a list of records; anything else as a JSON tree.
function exampleView(value) {
  if (value && Array.isArray(value.columns) && Array.isArray(value.data)) return exampleTable(value.columns, value.data);
  if (Array.isArray(value) && value.length && value.every((row) => Array.isArray(row) && row.every(isScalar))) {
    const width = Math.max(...value.map((row) => row.length));
    return exampleTable(Array.from({ length: width }, (_, i) => i), value);
  }
  if (Array.isArray(value) && value.length && value.every((row) => row && !Array.isArray(row) && typeof row === "object")) {
    const columns = [...new Set(value.flatMap((row) => Object.keys(row)))];
    return exampleTable(columns, value.map((row) => columns.map((column) => row[column] ?? "")));
  }
  return jsonTree(value);
}

async function exampleSection(mlmodel, folder, files, source, signal) {
  const info = mlmodel.saved_input_example_info;
  if (!info || !info.artifact_path) return null;
  const path = joinPath(folder, info.artifact_path);
  const entry = files.find((file) => file.path === path);
  if (!entry) return null; // named but not saved beside MLmodel: nothing to fetch
  const part = section("Input example");
  if (entry.size > EXAMPLE_LIMIT) {
    const message = `${info.artifact_path} (${formatBytes(entry.size)}) is too large to show here.`;
    part.append(h("p", { class: "muted" }, message));
    return part;
  }
  try {
    const response = await fetch(source.fileUrl(path), { signal });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const text = await response.text();
    let value = null;
    try {
      value = JSON.parse(text);
    } catch {
      part.append(codeView(text));
      return part;
    }
    part.append(exampleView(value));
  } catch (error) {
    if (error.name === "AbortError") throw error;
    part.append(h("p", { class: "muted" }, `Cannot read ${info.artifact_path}: ${describe(error)}`));
  }
  return part;
}

async function requirementsSection(folder, files, source, signal) {
  const path = joinPath(folder, "requirements.txt");
  const entry = files.find((file) => file.path === path);
  if (!entry || entry.size > EXAMPLE_LIMIT) return null;
  const response = await fetch(source.fileUrl(path), { signal });
  if (!response.ok) return null;
  return section("Requirements", codeView(await response.text()));
}

function metadata(mlmodel) {
  const rows = [
    ["Model id", mlmodel.model_id],
    ["Run id", mlmodel.run_id],
    ["Created (UTC)", mlmodel.utc_time_created],
    ["Size", mlmodel.model_size_bytes ? formatBytes(mlmodel.model_size_bytes) : null],
    ["MLflow format", mlmodel.mlflow_version],
    ["Saved by Shipyard", mlmodel.shipyard_version],
  ].filter(([, value]) => value !== undefined && value !== null && value !== "");
  return h("table", { class: "pkg-kv small" }, h("tbody", {}, rows.map(detailRow)));
}

// Render the package in `folder` (its listing in `files`) into `body`.
export async function packagePreview(body, source, folder, files, signal) {
  const mlmodel = await fetchMlmodel(source.fileUrl(joinPath(folder, MLMODEL)), { signal });
  let signature = null;
  let signatureError = null;
  try {
    signature = signatureOf(mlmodel);
  } catch (error) {
    signatureError = error;
  }
  const [example, requirements] = await Promise.all([
    exampleSection(mlmodel, folder, files, source, signal),
    requirementsSection(folder, files, source, signal),
  ]);
  if (signal && signal.aborted) return;
  clear(body).append(
    h(
      "div",
      { class: "pkg", "data-testid": "model-package" },
      h("div", { class: "pkg-grid" }, section("Flavors", flavorsView(mlmodel)), section("Details", metadata(mlmodel))),
      section(
        "Signature",
        signatureError ? h("div", { class: "error-text" }, describe(signatureError)) : signatureView(signature),
      ),
      example,
      section("Load it", loadSnippets(source.modelUri(folder))),
      requirements,
    ),
  );
}
