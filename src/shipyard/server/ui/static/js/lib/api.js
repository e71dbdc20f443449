// The JSON API, as the pages use it: MLflow's /ajax-api routes and Shipyard's own.
// Every call returns parsed JSON or throws an ApiError carrying the server's error code.

const meta = document.querySelector('meta[name="shipyard-base"]');
export const BASE = meta ? meta.content : "";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((item) => search.append(key, item));
    else search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function request(method, path, { params, body, signal } = {}) {
  const init = { method, headers: { Accept: "application/json" }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${BASE}${path}${query(params)}`, init);
  const text = await response.text();
  let payload = {};
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = { message: text };
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, payload.error_code || "ERROR", payload.message || response.statusText);
  }
  return payload;
}

export const mlflow = {
  get: (path, params, options = {}) => request("GET", `/ajax-api/2.0/mlflow${path}`, { params, ...options }),
  post: (path, body, options = {}) => request("POST", `/ajax-api/2.0/mlflow${path}`, { body, ...options }),
  patch: (path, body) => request("PATCH", `/ajax-api/2.0/mlflow${path}`, { body }),
  delete: (path, body) => request("DELETE", `/ajax-api/2.0/mlflow${path}`, { body }),
};

export const shipyard = {
  get: (path, params, options = {}) => request("GET", `/api/2.0/shipyard${path}`, { params, ...options }),
  post: (path, body, options = {}) => request("POST", `/api/2.0/shipyard${path}`, { body, ...options }),
};

// Pages of a search, concatenated, up to `limit` items.
export async function allPages(fetchPage, itemsKey, limit = Infinity) {
  const items = [];
  let token;
  do {
    const page = await fetchPage(token);
    items.push(...(page[itemsKey] || []));
    token = page.next_page_token;
  } while (token && items.length < limit);
  return items;
}

// Key/value lists of MLflow's JSON as plain objects.
export function keyValues(list) {
  const out = {};
  for (const item of list || []) out[item.key] = item.value;
  return out;
}

// URLs of the UI's own pages.
export const pages = {
  experiments: () => `${BASE}/`,
  runs: (experimentIds) => `${BASE}/experiments/${[].concat(experimentIds).map(encodeURIComponent).join(",")}`,
  run: (runId) => `${BASE}/runs/${encodeURIComponent(runId)}`,
  compare: (runIds) => `${BASE}/compare?runs=${runIds.map(encodeURIComponent).join(",")}`,
  models: () => `${BASE}/models`,
  model: (name) => `${BASE}/models/${encodeURIComponent(name)}`,
  version: (name, version) => `${BASE}/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`,
  compareVersions: (name, versions) =>
    `${BASE}/models/${encodeURIComponent(name)}/compare?versions=${versions.map(encodeURIComponent).join(",")}`,
};

// Where a run's file can be fetched (the server sends it as an attachment; fetch() reads it).
export function runArtifactUrl(runId, path) {
  return `${BASE}/get-artifact${query({ run_id: runId, path })}`;
}
