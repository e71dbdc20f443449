// The registry calls the model pages make: MLflow's registry routes for models, versions,
// tags and aliases; Shipyard's for approval and alias history. Each returns the message
// itself (a model, a version list...), not the envelope around it.

import { allPages, mlflow, shipyard } from "../lib/api.js";
import { fetchMlmodel, signatureOf, versionFileUrl } from "./artifact_mlmodel.js";

// A quoted string literal of the search grammar (a backslash escapes quotes and itself).
export function quote(value) {
  return `'${String(value).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

// What the models search box sends: its text as a filter when it looks like one, or else a
// case-insensitive name match, so typing "fraud" finds "fraud-detector".
export function modelFilter(text) {
  const trimmed = (text || "").trim();
  if (!trimmed) return "";
  const grammar = /(=|!=|<|>|\bI?LIKE\b|\bIN\b|\bIS\b|^tags?\.|^name\b|^`|^"|^')/i;
  if (grammar.test(trimmed)) return trimmed;
  const escaped = trimmed.replace(/[%_]/g, (c) => `\\${c}`);
  return `name ILIKE ${quote(`%${escaped}%`)}`;
}

export const models = {
  search: (filter, pageToken, maxResults = 100) =>
    mlflow.get("/registered-models/search", {
      filter,
      page_token: pageToken,
      max_results: maxResults,
      order_by: ["name ASC"],
    }),
  get: (name) => mlflow.get("/registered-models/get", { name }).then((payload) => payload.registered_model),
  updateDescription: (name, description) => mlflow.patch("/registered-models/update", { name, description }),
  setTag: (name, key, value) => mlflow.post("/registered-models/set-tag", { name, key, value }),
  deleteTag: (name, key) => mlflow.delete("/registered-models/delete-tag", { name, key }),
  setAlias: (name, alias, version) => mlflow.post("/registered-models/alias", { name, alias, version: String(version) }),
  deleteAlias: (name, alias) => mlflow.delete("/registered-models/alias", { name, alias }),
  aliasHistory: (name, alias) =>
    shipyard.get("/registered-models/alias-history", { name, alias }).then((payload) => payload.changes || []),
};

const NAMES_PER_SEARCH = 25;

function searchVersions(filter, limit = Infinity) {
  return allPages(
    (token) =>
      mlflow.get("/model-versions/search", {
        filter,
        page_token: token,
        max_results: 10000,
        order_by: ["version_number DESC"],
      }),
    "model_versions",
    limit,
  );
}

export const versions = {
  // Every version of a model, newest first.
  of: (name) => searchVersions(`name = ${quote(name)}`),
  // Versions of several models, a few searches for a whole page of models (the models list
  // counts them); names go in groups so that no query string grows past what servers accept.
  ofModels: async (names) => {
    const groups = [];
    for (let start = 0; start < names.length; start += NAMES_PER_SEARCH) {
      groups.push(names.slice(start, start + NAMES_PER_SEARCH));
    }
    const found = await Promise.all(groups.map((group) => searchVersions(`name IN (${group.map(quote).join(", ")})`)));
    return found.flat();
  },
  get: (name, version) => mlflow.get("/model-versions/get", { name, version }).then((payload) => payload.model_version),
  updateDescription: (name, version, description) =>
    mlflow.patch("/model-versions/update", { name, version: String(version), description }),
  setTag: (name, version, key, value) => mlflow.post("/model-versions/set-tag", { name, version: String(version), key, value }),
  deleteTag: (name, version, key) => mlflow.delete("/model-versions/delete-tag", { name, version: String(version), key }),
  location: (name, version) =>
    mlflow.get("/model-versions/get-download-uri", { name, version }).then((payload) => payload.artifact_uri),
  // The signature rows of a version's package (null without one).
  signature: async (name, version) => signatureOf(await fetchMlmodel(versionFileUrl(name, version, "MLmodel"))),
};

export const approvals = {
  // {version: approval} for every version of a model, in one call.
  of: async (name) => {
    const payload = await shipyard.get("/model-versions/approvals", { name });
    return Object.fromEntries((payload.approvals || []).map((item) => [item.version, item]));
  },
  get: (name, version) => shipyard.get("/model-versions/approval", { name, version }).then((payload) => payload.approval),
  set: (name, version, status, comment) =>
    shipyard
      .post("/model-versions/approval", { name, version: String(version), status, comment: comment || null })
      .then((payload) => payload.approval),
};

export const runs = {
  get: (runId) => mlflow.get("/runs/get", { run_id: runId }).then((payload) => payload.run),
};
