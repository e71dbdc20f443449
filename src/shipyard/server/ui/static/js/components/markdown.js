// A small Markdown renderer that builds DOM nodes, never HTML strings: whatever a run's
// description contains, raw HTML shows as text and no script can run.
//
// Supported: headings, paragraphs, line breaks, emphasis, strong, strikethrough, inline code,
// fenced and indented code blocks, block quotes, ordered and unordered (nested) lists, horizontal
// rules, pipe tables, links and images. Links keep only http(s), mailto and relative targets;
// images load only from this server (relative URLs), anything else becomes a link.

import { h } from "../lib/ui.js";

const SAFE_LINK = /^(https?:|mailto:|\/|\.{0,2}\/|#|[^:]*$)/i;
const SAME_ORIGIN = /^(\/(?!\/)|\.{1,2}\/|[^:/?#]+(\/|$))/;

// -- inline ------------------------------------------------------------------------------------

const INLINE = [
  { re: /^`([^`]+)`/, make: (m) => h("code", {}, m[1]) },
  { re: /^!\[([^\]]*)\]\(([^)\s]+)(?:\s+"([^"]*)")?\)/, make: (m) => image(m[1], m[2], m[3]) },
  { re: /^\[([^\]]+)\]\(([^)\s]+)(?:\s+"([^"]*)")?\)/, make: (m) => link(m[1], m[2], m[3]) },
  { re: /^<(https?:\/\/[^>\s]+)>/, make: (m) => link(m[1], m[1]) },
  { re: /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/, make: (m) => h("strong", {}, ...inline(m[2])) },
  { re: /^(\*|_)(?=\S)([\s\S]*?\S)\1(?![*_\w])/, make: (m) => h("em", {}, ...inline(m[2])) },
  { re: /^~~(?=\S)([\s\S]*?\S)~~/, make: (m) => h("del", {}, ...inline(m[1])) },
  { re: /^ {2,}\n|^\\\n/, make: () => h("br") },
  { re: /^\\([\\`*_{}[\]()#+\-.!~|<>])/, make: (m) => m[1] },
];

function link(text, href, title) {
  if (!SAFE_LINK.test(href)) return text;
  const external = /^https?:/i.test(href);
  return h("a", { href, title, rel: external ? "noopener noreferrer" : null, target: external ? "_blank" : null }, ...inline(text));
}

function image(alt, src, title) {
  if (!SAME_ORIGIN.test(src)) return link(alt || src, src, title);
  return h("img", { src, alt, title, loading: "lazy" });
}

// Text with inline markup as a list of nodes and strings.
export function inline(text) {
  const out = [];
  let plain = "";
  let rest = text;
  while (rest.length) {
    let matched = false;
    // Only where markup can start: keeps long plain text linear.
    if ("`![<*_~ \\".includes(rest[0])) {
      for (const rule of INLINE) {
        const match = rule.re.exec(rest);
        if (!match) continue;
        if (plain) out.push(plain);
        plain = "";
        out.push(rule.make(match));
        rest = rest.slice(match[0].length);
        matched = true;
        break;
      }
    }
    if (!matched) {
      plain += rest[0];
      rest = rest.slice(1);
    }
  }
  if (plain) out.push(plain);
  return out;
}

// -- blocks ------------------------------------------------------------------------------------

const FENCE = /^ {0,3}(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function cells(line) {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => cell.trim());
}

function parseBlocks(lines) {
  const nodes = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i += 1;
      nodes.push(h("pre", {}, h("code", { class: fence[2] ? `language-${fence[2]}` : null }, body.join("\n"))));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      nodes.push(h(`h${heading[1].length}`, {}, ...inline(heading[2])));
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      nodes.push(h("hr"));
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && QUOTE.test(lines[i])) body.push(lines[i++].replace(QUOTE, ""));
      nodes.push(h("blockquote", {}, ...parseBlocks(body)));
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const body = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]) || !lines[i].trim())) body.push(lines[i++].replace(/^( {4}|\t)/, ""));
      nodes.push(h("pre", {}, h("code", {}, body.join("\n").replace(/\n+$/, ""))));
      continue;
    }
    if (LIST_ITEM.test(line)) {
      i = parseList(lines, i, nodes);
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1])) {
      i = parseTable(lines, i, nodes);
      continue;
    }
    const body = [];
    while (i < lines.length && lines[i].trim() && !startsBlock(lines[i])) body.push(lines[i++]);
    if (!body.length) body.push(lines[i++]);
    nodes.push(h("p", {}, ...inline(body.join("\n"))));
  }
  return nodes;
}

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

// A list and its nested lists: an item's continuation lines are those indented deeper than it.
function parseList(lines, start, nodes) {
  const first = LIST_ITEM.exec(lines[start]);
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const list = h(ordered ? "ol" : "ul", { start: ordered && parseInt(first[2], 10) !== 1 ? String(parseInt(first[2], 10)) : null });
  let i = start;
  while (i < lines.length) {
    const item = LIST_ITEM.exec(lines[i]);
    if (!item || item[1].length !== indent || /\d/.test(item[2]) !== ordered) break;
    const body = [item[3]];
    i += 1;
    while (i < lines.length && lines[i].trim() && (lines[i].length - lines[i].trimStart().length > indent) && !(LIST_ITEM.test(lines[i]) && LIST_ITEM.exec(lines[i])[1].length === indent)) {
      body.push(lines[i].slice(Math.min(indent + 2, lines[i].length - lines[i].trimStart().length)));
      i += 1;
    }
    const [text, ...nested] = body;
    const children = nested.length ? parseBlocks(nested) : [];
    list.append(h("li", {}, ...inline(text), ...children));
    while (i < lines.length && !lines[i].trim() && i + 1 < lines.length && LIST_ITEM.test(lines[i + 1]) && LIST_ITEM.exec(lines[i + 1])[1].length === indent) i += 1;
  }
  nodes.push(list);
  return i;
}

function parseTable(lines, start, nodes) {
  const header = cells(lines[start]);
  const aligns = cells(lines[start + 1]).map((cell) => (cell.endsWith(":") ? (cell.startsWith(":") ? "center" : "right") : null));
  const rows = [];
  let i = start + 2;
  while (i < lines.length && lines[i].includes("|") && lines[i].trim()) rows.push(cells(lines[i++]));
  const cell = (tag, text, index) => h(tag, { style: aligns[index] ? `text-align:${aligns[index]}` : null }, ...inline(text));
  nodes.push(
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ...header.map((text, index) => cell("th", text, index)))),
      h("tbody", {}, ...rows.map((row) => h("tr", {}, ...header.map((_, index) => cell("td", row[index] || "", index))))),
    ),
  );
  return i;
}

// Markdown text as a DocumentFragment.
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  fragment.append(...parseBlocks(String(text || "").replace(/\r\n?/g, "\n").split("\n")));
  return fragment;
}
