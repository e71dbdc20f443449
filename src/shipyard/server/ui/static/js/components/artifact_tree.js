// The folder tree of the artifact browser. Folders are listed when first opened, never ahead
// of time (a run may hold thousands of files). It follows the WAI-ARIA tree pattern: one
// tab stop, arrow keys move and open/close, Enter or Space opens the item.

import { describe, formatBytes, h } from "../lib/ui.js";
import { MLMODEL } from "./artifact_mlmodel.js";

const SHOWN_CHILDREN = 2000;
const SVG = "http://www.w3.org/2000/svg";

// A 16px outline icon drawn with DOM calls (no markup strings, no icon font).
function icon(kind) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", `ab-icon ab-icon-${kind}`);
  const path = document.createElementNS(SVG, "path");
  const shapes = {
    folder: "M1.5 3.5h4l1.5 1.5h7.5v8h-13z",
    package: "M8 1.5l6 3v7l-6 3-6-3v-7zM2 4.5l6 3 6-3M8 7.5v7",
    file: "M3.5 1.5h6l3 3v10h-9zM9.5 1.5v3h3",
  };
  path.setAttribute("d", shapes[kind] || shapes.file);
  svg.append(path);
  return svg;
}

class Node {
  constructor(entry, depth, parent) {
    this.entry = entry;
    this.depth = depth;
    this.parent = parent;
    this.children = null; // null until listed
    this.isPackage = false;
    this.loading = null;
    this.build();
  }

  get path() {
    return this.entry.path;
  }

  get isDir() {
    return this.entry.isDir;
  }

  build() {
    const { entry } = this;
    this.twisty = h("span", { class: "ab-twisty", "aria-hidden": "true" });
    this.icon = icon(entry.isDir ? "folder" : "file");
    this.meta = h("span", { class: "ab-size" }, entry.isDir ? "" : formatBytes(entry.size));
    this.row = h(
      "div",
      { class: "ab-row", title: entry.path || entry.name },
      this.twisty,
      this.icon,
      h("span", { class: "ab-name" }, entry.name),
      this.meta,
    );
    this.row.style.setProperty("--depth", String(this.depth));
    this.item = h(
      "li",
      {
        role: "treeitem",
        tabindex: "-1",
        "aria-level": String(this.depth + 1),
        "aria-selected": "false",
        "data-path": entry.path,
        "data-kind": entry.isDir ? "folder" : "file",
      },
      this.row,
    );
    this.item.node = this;
    if (entry.isDir) {
      this.group = h("ul", { role: "group", hidden: true });
      this.item.setAttribute("aria-expanded", "false");
      this.item.append(this.group);
    }
  }

  get expanded() {
    return this.item.getAttribute("aria-expanded") === "true";
  }
}

export class ArtifactTree {
  // `onSelect(node)` is called when an item is opened (click, Enter, Space or select()).
  // `onError(node, error)` when listing a folder failed.
  constructor(source, { rootLabel = "artifacts", onSelect, onError = () => {} }) {
    this.source = source;
    this.onSelect = onSelect;
    this.onError = onError;
    this.root = new Node({ path: "", name: rootLabel, isDir: true }, 0, null);
    this.root.item.setAttribute("tabindex", "0");
    this.element = h("ul", { class: "ab-tree", role: "tree", "aria-label": "Artifact files" }, this.root.item);
    this.element.addEventListener("click", (event) => this.onClick(event));
    this.element.addEventListener("keydown", (event) => this.onKey(event));
  }

  // List a folder once; later calls share the first listing.
  load(node) {
    if (!node.loading) {
      node.loading = this.source.list(node.path).then(
        (entries) => this.fill(node, entries),
        (error) => {
          node.loading = null;
          node.group.replaceChildren(h("li", { role: "none", class: "ab-tree-note error-text" }, describe(error)));
          throw error;
        },
      );
      node.group.replaceChildren(h("li", { role: "none", class: "ab-tree-note muted" }, "Loading…"));
    }
    return node.loading;
  }

  fill(node, entries) {
    node.children = entries.map((entry) => new Node(entry, node.depth + 1, node));
    node.isPackage = entries.some((entry) => !entry.isDir && entry.name === MLMODEL);
    node.group.replaceChildren(...node.children.slice(0, SHOWN_CHILDREN).map((child) => child.item));
    if (!entries.length) node.group.append(h("li", { role: "none", class: "ab-tree-note muted" }, "(empty)"));
    if (entries.length > SHOWN_CHILDREN) {
      const more = entries.length - SHOWN_CHILDREN;
      const note = `… ${more} more: download the folder to see them`;
      node.group.append(h("li", { role: "none", class: "ab-tree-note muted" }, note));
    }
    const fileCount = entries.filter((entry) => !entry.isDir).length;
    node.meta.textContent = `${entries.length} ${entries.length === 1 ? "item" : "items"}`;
    node.meta.title = `${fileCount} files, ${formatBytes(entries.reduce((sum, entry) => sum + (entry.size || 0), 0))}`;
    if (node.isPackage) {
      node.icon.replaceWith((node.icon = icon("package")));
      node.row.append(h("span", { class: "badge accent ab-package-badge" }, "model"));
    }
    return node.children;
  }

  async expand(node, open = true) {
    if (!node.isDir) return;
    node.item.setAttribute("aria-expanded", String(open));
    node.group.hidden = !open;
    if (open) await this.load(node);
  }

  // The tree is one tab stop: the item last moved to or opened.
  makeTabStop(node) {
    const stops = this.element.querySelectorAll('[role="treeitem"][tabindex="0"]');
    stops.forEach((item) => item.setAttribute("tabindex", "-1"));
    node.item.setAttribute("tabindex", "0");
  }

  focus(node) {
    this.makeTabStop(node);
    node.item.focus();
  }

  // Open an item: mark it selected, list it if it is a folder, tell the browser.
  async activate(node, { toggle = true } = {}) {
    const selected = this.element.querySelectorAll('[aria-selected="true"]');
    selected.forEach((item) => item.setAttribute("aria-selected", "false"));
    node.item.setAttribute("aria-selected", "true");
    this.makeTabStop(node);
    if (node.isDir) {
      const open = toggle ? !(node.expanded && node.children) : true;
      try {
        await this.expand(node, open);
      } catch (error) {
        this.onError(node, error); // also shown inside the folder
        return;
      }
    }
    this.onSelect(node);
  }

  // Select the item at `path` ("" is the root), opening the folders on the way.
  async select(path) {
    let node = this.root;
    const parts = path ? path.split("/") : [];
    for (let i = 0; i < parts.length; i += 1) {
      await this.expand(node, true);
      const wanted = parts.slice(0, i + 1).join("/");
      node = (node.children || []).find((child) => child.path === wanted);
      if (!node) throw new Error(`No artifact at ${path}`);
    }
    await this.activate(node, { toggle: false });
    return node;
  }

  nodeOf(target) {
    const item = target.closest('[role="treeitem"]');
    return item && this.element.contains(item) ? item.node : null;
  }

  onClick(event) {
    const node = this.nodeOf(event.target);
    if (!node) return;
    node.item.focus();
    if (event.target.closest(".ab-twisty") && node.isDir) {
      this.expand(node, !node.expanded).catch(() => {});
      return;
    }
    this.activate(node);
  }

  visibleNodes() {
    const items = [...this.element.querySelectorAll('[role="treeitem"]')];
    return items.filter((item) => !item.parentElement.closest('[role="group"][hidden]')).map((item) => item.node);
  }

  onKey(event) {
    const node = this.nodeOf(event.target);
    if (!node) return;
    const visible = this.visibleNodes();
    const index = visible.indexOf(node);
    const moves = {
      ArrowDown: () => visible[index + 1],
      ArrowUp: () => visible[index - 1],
      Home: () => visible[0],
      End: () => visible[visible.length - 1],
      ArrowRight: () => {
        if (!node.isDir) return null;
        if (!node.expanded) {
          this.expand(node, true).catch(() => {});
          return null;
        }
        return node.children && node.children[0];
      },
      ArrowLeft: () => {
        if (node.isDir && node.expanded) {
          this.expand(node, false);
          return null;
        }
        return node.parent;
      },
    };
    if (event.key in moves) {
      event.preventDefault();
      const next = moves[event.key]();
      if (next) this.focus(next);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      this.activate(node);
    }
  }
}
