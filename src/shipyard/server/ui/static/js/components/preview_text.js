// Text and code with line numbers. The numbers are CSS counters, so copying the text copies
// the code alone. YAML keys and whole-line comments get a colour; nothing else is parsed, since
// a highlighter per language would outweigh the rest of the browser.

import { h } from "../lib/ui.js";
import { extensionOf } from "./artifact_source.js";

const COMMENT_PREFIX = {
  yaml: "#", yml: "#", py: "#", sh: "#", bash: "#", r: "#", toml: "#", cfg: "#", ini: ";", conf: "#",
  sql: "--", js: "//", ts: "//", go: "//", rs: "//", java: "//", c: "//", cpp: "//", MLmodel: "#",
};
const YAML_KEY = /^(\s*(?:- )?)((?:[^\s:#'"][^:#]*?)|'[^']*'|"[^"]*")(:)(?=\s|$)/;

function lineNode(line, language) {
  const comment = COMMENT_PREFIX[language];
  if (comment && line.trimStart().startsWith(comment)) return h("span", { class: "ln tok-comment" }, line);
  if (language === "yaml" || language === "yml" || language === "MLmodel") {
    const key = YAML_KEY.exec(line);
    if (key) {
      return h("span", { class: "ln" }, key[1], h("span", { class: "tok-key" }, key[2]), key[3], line.slice(key[0].length));
    }
  }
  return h("span", { class: "ln" }, line);
}

// A code block of `text`, one numbered line per source line.
export function codeView(text, { language = "", wrap = false } = {}) {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const pre = h("pre", { class: `ab-code${wrap ? " wrap" : ""}`, tabindex: "0", "data-lines": lines.length });
  const code = h("code", {});
  // a block span per line lets CSS number and colour them; copying still yields one line each
  for (const line of lines) code.append(lineNode(line, language));
  pre.append(code);
  pre.style.setProperty("--gutter", `${String(lines.length).length + 1}ch`);
  return pre;
}

export function truncationNote(context) {
  return context.truncated
    ? h("p", { class: "notice small" }, "Showing the first part of the file only: download it for the rest.")
    : null;
}

// Drops the last, probably cut, line of a head read.
export function wholeLines(text, truncated) {
  if (!truncated) return text;
  const end = text.lastIndexOf("\n");
  return end > 0 ? text.slice(0, end + 1) : text;
}

export async function textPreview(file, context, options = {}) {
  const text = wholeLines(await context.text(options), context.truncated);
  const language = file.name === "MLmodel" ? "MLmodel" : extensionOf(file.name);
  const view = codeView(text, { language });
  const wrap = h("input", { type: "checkbox", id: `wrap-${Math.random().toString(36).slice(2)}` });
  wrap.addEventListener("change", () => view.classList.toggle("wrap", wrap.checked));
  const bar = h(
    "div",
    { class: "ab-subbar" },
    h("span", { class: "muted small" }, `${view.dataset.lines} lines`),
    h("label", { class: "row small", for: wrap.id }, wrap, "Wrap long lines"),
  );
  return h("div", { class: "ab-text" }, truncationNote(context), bar, view);
}
