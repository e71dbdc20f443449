// JSON as a collapsible tree: <details> elements, so folding works by mouse and keyboard with
// no script of ours. The first levels start open; long arrays and objects show their first
// items and a count of the rest, so a 2 MB file does not build a million nodes at once.

import { h } from "../lib/ui.js";
import { codeView } from "./preview_text.js";

const OPEN_DEPTH = 2;
const SHOWN_ITEMS = 200;

function scalar(value) {
  if (value === null) return h("span", { class: "tok-null" }, "null");
  if (typeof value === "string") return h("span", { class: "tok-string" }, JSON.stringify(value));
  if (typeof value === "number") return h("span", { class: "tok-number" }, String(value));
  return h("span", { class: "tok-bool" }, String(value));
}

function keyLabel(key) {
  return key === null ? null : h("span", { class: "tok-key" }, typeof key === "number" ? `${key}` : JSON.stringify(key), ": ");
}

function summary(value) {
  const count = Array.isArray(value) ? value.length : Object.keys(value).length;
  const noun = Array.isArray(value) ? (count === 1 ? "item" : "items") : count === 1 ? "key" : "keys";
  return h("span", { class: "muted small" }, ` ${count} ${noun}`);
}

// One value, its children built only when first opened (large files stay fast).
function node(key, value, depth) {
  if (value === null || typeof value !== "object") {
    return h("div", { class: "jt-leaf" }, keyLabel(key), scalar(value));
  }
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  if (!entries.length) return h("div", { class: "jt-leaf" }, keyLabel(key), `${open}${close}`);
  const details = h("details", { class: "jt-node" }, h("summary", {}, keyLabel(key), open, summary(value)));
  const fill = () => {
    if (details.dataset.filled) return;
    details.dataset.filled = "1";
    const children = h("div", { class: "jt-children" });
    for (const [childKey, child] of entries.slice(0, SHOWN_ITEMS)) children.append(node(childKey, child, depth + 1));
    if (entries.length > SHOWN_ITEMS) {
      children.append(h("div", { class: "muted small" }, `… ${entries.length - SHOWN_ITEMS} more not shown`));
    }
    details.append(children, h("div", { class: "jt-close" }, close));
  };
  details.addEventListener("toggle", () => details.open && fill());
  if (depth < OPEN_DEPTH) {
    fill();
    details.open = true;
  }
  return details;
}

export function jsonTree(value) {
  return h("div", { class: "json-tree mono" }, node(null, value, 0));
}

function setAll(tree, open) {
  // opening fills children, which may add more closed nodes: repeat until none is left
  for (let round = 0; round < 50; round += 1) {
    const targets = [...tree.querySelectorAll("details")].filter((item) => item.open !== open);
    if (!targets.length) return;
    targets.forEach((item) => {
      item.open = open;
      item.dispatchEvent(new Event("toggle"));
    });
    if (!open) return;
  }
}

export async function jsonPreview(file, context) {
  const text = await context.text();
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return h("div", {}, h("div", { class: "error-text", role: "alert" }, `Not valid JSON: ${error.message}`), codeView(text));
  }
  const tree = jsonTree(value);
  const raw = codeView(JSON.stringify(value, null, 2), { language: "json" });
  raw.hidden = true;
  const button = (label, action) => {
    const element = h("button", { type: "button" }, label);
    element.addEventListener("click", action);
    return element;
  };
  const rawToggle = button("Show raw", () => {
    const showRaw = raw.hidden;
    raw.hidden = !showRaw;
    tree.hidden = showRaw;
    rawToggle.textContent = showRaw ? "Show tree" : "Show raw";
  });
  const bar = h(
    "div",
    { class: "ab-subbar" },
    button("Expand all", () => setAll(tree, true)),
    button("Collapse all", () => setAll(tree, false)),
    rawToggle,
  );
  return h("div", { class: "ab-json" }, bar, tree, raw);
}
