// The artifact browser: a lazily listed folder tree beside a preview pane. The run page mounts
// it on a run's artifacts ({runId, artifactUri}), the version page on a registered version's
// files ({artifactUri: "mlflow-artifacts:/...", modelUri: "models:/name/3"}).
//
//   const browser = mountArtifactBrowser(container, { runId, artifactUri });
//   await browser.select("plots/roc.png");   // open a path, e.g. from a link
//   browser.destroy();

import { BASE } from "../lib/api.js";
import { clear, describe, formatBytes, h } from "../lib/ui.js";
import { previewFile } from "./artifact_preview.js";
import { artifactSource, baseName } from "./artifact_source.js";
import { ArtifactTree } from "./artifact_tree.js";
import { packagePreview } from "./preview_mlmodel.js";

// The browser brings its own stylesheet, so a page that mounts it needs no extra <link>.
function ensureStylesheet() {
  const href = `${BASE}/static/css/artifacts.css`;
  if (document.querySelector(`link[rel="stylesheet"][href="${href}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}

function zipLink(source, folder, label) {
  const url = source.archiveUrl(folder);
  if (!url) {
    const why = "Only folders of this server's proxied store can be zipped.";
    return h("span", { class: "muted small", title: why }, "No zip download for this location");
  }
  const name = `${baseName(folder) || "artifacts"}.zip`;
  return h("a", { class: "button", href: url, download: name, "data-action": "download-zip" }, label);
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function folderHead(node, source, title) {
  const files = node.children.filter((child) => !child.isDir);
  const total = files.reduce((sum, child) => sum + (child.entry.size || 0), 0);
  const count = plural(node.children.length, "item", "items");
  const summary = `${count} · ${formatBytes(total)} in ${plural(files.length, "file", "files")}`;
  const label = node.path ? "Download folder (.zip)" : "Download all (.zip)";
  return h(
    "header",
    { class: "ab-preview-head" },
    h(
      "div",
      { class: "ab-preview-title" },
      h("span", { class: "ab-preview-name mono" }, title),
      h("span", { class: "muted small" }, summary),
    ),
    h("div", { class: "row" }, zipLink(source, node.path, label)),
  );
}

// A folder's contents as a list of links into the tree (the tree stays the one navigation).
function folderListing(node, tree) {
  if (!node.children.length) {
    return h("p", { class: "empty" }, node.path ? "This folder is empty." : "No artifacts were logged.");
  }
  const open = (child) => (event) => {
    event.preventDefault();
    tree.select(child.path).catch(() => {});
  };
  return h(
    "table",
    { class: "data ab-listing" },
    h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", { class: "num" }, "Size"))),
    h(
      "tbody",
      {},
      node.children.map((child) =>
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: "#", onclick: open(child) }, child.entry.name + (child.isDir ? "/" : ""))),
          h("td", { class: "num" }, child.isDir ? "" : formatBytes(child.entry.size)),
        ),
      ),
    ),
  );
}

function showFolder(pane, source, node, tree) {
  const controller = new AbortController();
  const body = h("div", { class: "ab-preview-body ab-folder-body" });
  let title = node.path ? `${node.path}/` : "All artifacts";
  if (node.isPackage) title = node.path ? `Model package: ${node.path}` : "Model package";
  clear(pane).append(folderHead(node, source, title), body);
  if (!node.isPackage) {
    body.append(folderListing(node, tree));
  } else {
    body.append(h("div", { class: "ab-loading muted" }, h("span", { class: "spinner" }), " Reading the MLmodel file…"));
    const files = node.children.map((child) => child.entry);
    packagePreview(body, source, node.path, files, controller.signal).catch((error) => {
      if (error.name === "AbortError") return;
      clear(body).append(h("div", { class: "error-text", role: "alert" }, describe(error)), folderListing(node, tree));
    });
  }
  return () => controller.abort();
}

export function mountArtifactBrowser(container, options = {}) {
  ensureStylesheet();
  clear(container);
  let source;
  try {
    source = artifactSource(options);
  } catch (error) {
    container.append(h("div", { class: "error-text", role: "alert" }, describe(error)));
    return null;
  }
  const pane = h("section", { class: "ab-preview", "aria-label": "Artifact preview", "aria-live": "polite" });
  let cancel = null;
  const tree = new ArtifactTree(source, {
    rootLabel: options.rootLabel || "artifacts",
    onSelect(node) {
      if (cancel) cancel();
      cancel = node.isDir ? showFolder(pane, source, node, tree) : previewFile(pane, source, node.entry);
    },
    onError(node, error) {
      if (cancel) cancel();
      cancel = null;
      const message = `Cannot list ${node.path || "the artifacts"}: ${describe(error)}`;
      clear(pane).append(h("div", { class: "error-text", role: "alert" }, message));
    },
  });
  const element = h(
    "div",
    { class: "ab", "data-artifact-browser": source.kind },
    h("div", { class: "ab-tree-pane" }, tree.element),
    pane,
  );
  container.append(element);
  const ready = tree.select(options.initialPath || "").catch((error) => {
    clear(pane).append(h("div", { class: "error-text", role: "alert" }, describe(error)));
  });
  return {
    source,
    element,
    ready,
    select: (path) => tree.select(path),
    destroy() {
      if (cancel) cancel();
      element.remove();
    },
  };
}
