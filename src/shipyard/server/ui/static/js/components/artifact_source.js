// Where an artifact browser reads from: a run's artifacts (run-scoped routes, any server mode)
// or a folder of the proxied store named by an `mlflow-artifacts:/<path>` URI (model versions,
// logged models). Both answer the same questions: list a folder, a file's URL, a folder's zip.

import { BASE, mlflow, runArtifactUrl } from "../lib/api.js";

const PROXY_SCHEME = "mlflow-artifacts:";

// The store path an `mlflow-artifacts:` URI names, or null for any other URI.
// `mlflow-artifacts:/a/b` and `mlflow-artifacts://host:port/a/b` both name `a/b`.
export function proxiedPath(uri) {
  if (!uri || !uri.startsWith(PROXY_SCHEME)) return null;
  let rest = uri.slice(PROXY_SCHEME.length);
  if (rest.startsWith("//")) rest = rest.slice(2).replace(/^[^/]*/, "");
  return decodeURIComponent(rest).replace(/^\/+/, "").replace(/\/+$/, "");
}

export function joinPath(...parts) {
  return parts.filter((part) => part).join("/");
}

export function baseName(path) {
  return path.split("/").pop();
}

// "model.PKL" -> "pkl"; "" for names without one (a leading dot is no extension).
export function extensionOf(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

// Each segment encoded on its own, so the slashes stay path separators.
function encodePath(path) {
  return path.split("/").map(encodeURIComponent).join("/");
}

function archiveUrl(storePath) {
  return `${BASE}/api/2.0/shipyard/artifacts/archive/${encodePath(storePath)}`;
}

// Listing entries as {path, name, isDir, size}, with `path` relative to the browser's root.
// The run route answers with root-relative paths, the proxied one with bare names: both end
// in the name, so the name is what we keep.
function entries(folder, files) {
  return (files || [])
    .map((file) => {
      const name = baseName(file.path);
      return { path: joinPath(folder, name), name, isDir: Boolean(file.is_dir), size: file.file_size };
    })
    .sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name));
}

function runSource(runId, artifactUri) {
  let rootUri = artifactUri || "";
  return {
    kind: "run",
    runId,
    get rootUri() {
      return rootUri;
    },
    async list(folder, signal) {
      const payload = await mlflow.get("/artifacts/list", { run_id: runId, path: folder }, { signal });
      if (payload.root_uri) rootUri = payload.root_uri;
      return entries(folder, payload.files);
    },
    fileUrl: (path) => runArtifactUrl(runId, path),
    // Zips come from the store path, which only a proxied root URI reveals.
    archiveUrl(folder) {
      const root = proxiedPath(rootUri);
      return root === null ? null : archiveUrl(joinPath(root, folder));
    },
    // What `load_model` accepts for a package at `path` of this run.
    modelUri: (path) => `runs:/${runId}${path ? `/${path}` : ""}`,
  };
}

function proxiedSource(artifactUri, modelUri) {
  const root = proxiedPath(artifactUri);
  if (root === null) {
    throw new Error(`Cannot browse ${artifactUri}: only mlflow-artifacts:/ locations are served by this server.`);
  }
  return {
    kind: "proxied",
    rootUri: artifactUri,
    async list(folder, signal) {
      // api.js prefixes "/ajax-api/2.0/mlflow"; the proxied service sits beside it, at
      // "/ajax-api/2.0/mlflow-artifacts", so its path continues that prefix.
      const payload = await mlflow.get("-artifacts/artifacts", { path: joinPath(root, folder) }, { signal });
      return entries(folder, payload.files);
    },
    fileUrl: (path) => `${BASE}/ajax-api/2.0/mlflow-artifacts/artifacts/${encodePath(joinPath(root, path))}`,
    archiveUrl: (folder) => archiveUrl(joinPath(root, folder)),
    modelUri: (path) => (path ? `${artifactUri.replace(/\/+$/, "")}/${path}` : modelUri || artifactUri),
  };
}

// The source for a browser's options: a run's artifacts when a run id is given.
export function artifactSource({ runId, artifactUri, modelUri }) {
  return runId ? runSource(runId, artifactUri) : proxiedSource(artifactUri, modelUri);
}
