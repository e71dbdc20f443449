// Markdown rendered safely: our own small CommonMark-like renderer that builds DOM nodes and
// text, never HTML strings, so raw HTML in a file shows as text and cannot run. Links keep
// only http(s), mailto, relative and #fragment targets; images load only through
// `resolveImage` (the artifact store), never from another host, since the UI makes no
// external requests.

import { h } from "../lib/ui.js";

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(\s+|$)(.*)$/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const SAFE_LINK = /^(https?:|mailto:|#|\/|\.{0,2}\/|[^:]*$)/i;

function startsBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

// -- inline ----------------------------------------------------------------------------------

// [label](url "title") starting at `start` (the "["), or null.
function parseLink(text, start) {
  let depth = 0;
  let close = -1;
  for (let i = start; i < text.length; i += 1) {
    if (text[i] === "\\") i += 1;
    else if (text[i] === "[") depth += 1;
    else if (text[i] === "]" && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0 || text[close + 1] !== "(") return null;
  depth = 0;
  for (let i = close + 1; i < text.length; i += 1) {
    if (text[i] === "(") depth += 1;
    else if (text[i] === ")" && --depth === 0) {
      const target = text.slice(close + 2, i).trim();
      const match = /^<?([^\s>]*)>?(?:\s+["'(](.*)["')])?$/.exec(target);
      if (!match) return null;
      return { label: text.slice(start + 1, close), url: match[1], title: match[2], end: i + 1 };
    }
  }
  return null;
}

// Where an emphasis run opened at `start` (with `marker`) closes, or -1.
function closingDelimiter(text, start, marker) {
  let at = start + marker.length;
  if (/\s/.test(text[at] || " ")) return -1;
  while ((at = text.indexOf(marker, at)) >= 0) {
    const before = text[at - 1];
    const after = text[at + marker.length] || " ";
    const intraword = marker[0] === "_" && /\w/.test(after);
    if (at > start + marker.length && !/\s/.test(before) && !intraword) return at;
    at += 1;
  }
  return -1;
}

function link(label, url, title, options) {
  if (!SAFE_LINK.test(url)) return document.createTextNode(`[${label}](${url})`);
  const external = /^(https?:|mailto:)/i.test(url);
  return h(
    "a",
    { href: url, title, rel: external ? "noopener noreferrer" : undefined, target: external ? "_blank" : undefined },
    inline(label, options),
  );
}

function image(alt, url, options) {
  const local = !/^[a-z][\w+.-]*:/i.test(url) && !url.startsWith("//");
  const data = /^data:image\/(png|gif|jpe?g|webp);/i.test(url);
  if (data) return h("img", { src: url, alt });
  if (!local || !options.resolveImage) {
    return h("span", { class: "md-image-placeholder", title: url }, `[image: ${alt || url}]`);
  }
  const element = h("img", { alt, title: url });
  Promise.resolve(options.resolveImage(url))
    .then((src) => {
      if (src) element.src = src;
    })
    .catch(() => element.replaceWith(h("span", { class: "md-image-placeholder" }, `[image not found: ${url}]`)));
  return element;
}

const EMPHASIS = { "**": "strong", __: "strong", "~~": "del", "*": "em", _: "em" };

export function inline(text, options = {}) {
  const out = [];
  let buffer = "";
  const flush = () => {
    if (buffer) out.push(document.createTextNode(buffer));
    buffer = "";
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === "\\" && /[!-/:-@[-`{-~]/.test(text[i + 1] || "")) {
      buffer += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "\\" && text[i + 1] === "\n") {
      flush();
      out.push(h("br"));
      i += 2;
      continue;
    }
    if (c === "`") {
      const run = /^`+/.exec(text.slice(i))[0];
      const end = text.indexOf(run, i + run.length);
      if (end > 0) {
        flush();
        out.push(h("code", {}, text.slice(i + run.length, end).replace(/\n/g, " ").trim()));
        i = end + run.length;
        continue;
      }
    }
    if (c === "!" && text[i + 1] === "[") {
      const found = parseLink(text, i + 1);
      if (found) {
        flush();
        out.push(image(found.label, found.url, options));
        i = found.end;
        continue;
      }
    }
    if (c === "[") {
      const found = parseLink(text, i);
      if (found) {
        flush();
        out.push(link(found.label, found.url, found.title, options));
        i = found.end;
        continue;
      }
    }
    if (c === "<") {
      const auto = /^<((?:https?:\/\/|mailto:)[^>\s]+)>/i.exec(text.slice(i));
      if (auto) {
        flush();
        out.push(link(auto[1], auto[1], undefined, options));
        i += auto[0].length;
        continue;
      }
    }
    if (c === "*" || c === "_" || c === "~") {
      const marker = text.startsWith(c + c, i) ? c + c : c;
      const intraword = c === "_" && /\w/.test(text[i - 1] || "");
      const end = marker === "~" || intraword ? -1 : closingDelimiter(text, i, marker);
      if (end > 0) {
        flush();
        out.push(h(EMPHASIS[marker], {}, inline(text.slice(i + marker.length, end), options)));
        i = end + marker.length;
        continue;
      }
      buffer += marker;
      i += marker.length;
      continue;
    }
    if (c === "\n") {
      // two trailing spaces make a hard break; otherwise a soft break is a space
      if (buffer.endsWith("  ")) {
        buffer = buffer.trimEnd();
        flush();
        out.push(h("br"));
      } else {
        buffer = `${buffer.trimEnd()} `;
      }
      i += 1;
      continue;
    }
    buffer += c;
    i += 1;
  }
  flush();
  return out;
}

// -- blocks ----------------------------------------------------------------------------------

function splitRow(line) {
  const cells = [];
  let cell = "";
  const text = line.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "");
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === "\\" && text[i + 1] === "|") {
      cell += "|";
      i += 1;
    } else if (text[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += text[i];
  }
  cells.push(cell.trim());
  return cells;
}

function table(lines, options) {
  const header = splitRow(lines[0]);
  const align = splitRow(lines[1]).map((spec) =>
    spec.startsWith(":") && spec.endsWith(":") ? "center" : spec.endsWith(":") ? "right" : undefined,
  );
  const cell = (tag, text, index) =>
    h(tag, { style: align[index] ? `text-align:${align[index]}` : undefined }, inline(text, options));
  return h(
    "div",
    { class: "md-table" },
    h(
      "table",
      { class: "data" },
      h("thead", {}, h("tr", {}, header.map((text, i) => cell("th", text, i)))),
      h(
        "tbody",
        {},
        lines.slice(2).map((line) => h("tr", {}, header.map((_, i) => cell("td", splitRow(line)[i] || "", i)))),
      ),
    ),
  );
}

// The lines of one list item (its continuation dedented), from `start`; and where it ends.
function listItemLines(lines, start, contentIndent) {
  const first = LIST_ITEM.exec(lines[start]);
  const body = [first[4]];
  let i = start + 1;
  let loose = false;
  for (; i < lines.length; i += 1) {
    const line = lines[i];
    const indent = line.length - line.trimStart().length;
    if (line.trim() === "") {
      const next = lines.slice(i + 1).find((l) => l.trim() !== "");
      const nextIndent = next === undefined ? 0 : next.length - next.trimStart().length;
      if (next === undefined || nextIndent < contentIndent) break;
      loose = true;
      body.push("");
    } else if (indent >= contentIndent) {
      body.push(line.slice(contentIndent));
    } else if (!startsBlock(line) && body[body.length - 1] !== "") {
      body.push(line.trim()); // a lazy continuation of the item's paragraph
    } else break;
  }
  return { body, end: i, loose };
}

function list(lines, start, options) {
  const first = LIST_ITEM.exec(lines[start]);
  const ordered = /\d/.test(first[2]);
  const items = [];
  let i = start;
  let loose = false;
  while (i < lines.length) {
    const match = LIST_ITEM.exec(lines[i]);
    if (!match || /\d/.test(match[2]) !== ordered) break;
    const contentIndent = match[1].length + match[2].length + Math.max(1, Math.min(match[3].length, 4));
    const item = listItemLines(lines, i, contentIndent);
    loose = loose || item.loose;
    items.push(item.body);
    i = item.end;
    while (i < lines.length && lines[i].trim() === "" && LIST_ITEM.test(lines[i + 1] || "")) {
      loose = true;
      i += 1;
    }
  }
  const number = ordered ? Number.parseInt(first[2], 10) : 1;
  const element = h(ordered ? "ol" : "ul", { start: number !== 1 ? number : undefined });
  for (const body of items) {
    const task = /^\[([ xX])\]\s+/.exec(body[0]);
    if (task) body[0] = body[0].slice(task[0].length);
    const children = blocks(body, options);
    // tight lists hold their text directly, without paragraph margins
    const unwrap = !loose && children.length && children[0].tagName === "P";
    const content = unwrap ? [...children[0].childNodes, ...children.slice(1)] : children;
    const checkbox = task ? h("input", { type: "checkbox", disabled: true, checked: task[1] !== " " }) : null;
    element.append(h("li", { class: task ? "md-task" : undefined }, checkbox, content));
  }
  return { element, end: i };
}

function blocks(lines, options) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "") {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const code = [];
      for (i += 1; i < lines.length && !lines[i].trim().startsWith(marker); i += 1) code.push(lines[i]);
      i += 1;
      const language = fence[2] ? `language-${fence[2]}` : undefined;
      out.push(h("pre", {}, h("code", { class: language }, code.join("\n"))));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push(h(`h${heading[1].length}`, {}, inline(heading[2] || "", options)));
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      out.push(h("hr"));
      i += 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted = [];
      for (; i < lines.length && lines[i].trim() !== ""; i += 1) quoted.push(lines[i].replace(QUOTE, ""));
      out.push(h("blockquote", {}, blocks(quoted, options)));
      continue;
    }
    if (LIST_ITEM.test(line) && (LIST_ITEM.exec(line)[4] !== "" || /\S/.test(lines[i + 1] || ""))) {
      const found = list(lines, i, options);
      out.push(found.element);
      i = found.end;
      continue;
    }
    if (line.includes("|") && TABLE_SEPARATOR.test(lines[i + 1] || "") && (lines[i + 1] || "").includes("-")) {
      const rows = [line, lines[i + 1]];
      for (i += 2; i < lines.length && lines[i].includes("|") && lines[i].trim() !== ""; i += 1) rows.push(lines[i]);
      out.push(table(rows, options));
      continue;
    }
    if (/^ {4}/.test(line)) {
      const code = [];
      for (; i < lines.length && (/^ {4}/.test(lines[i]) || lines[i].trim() === ""); i += 1) code.push(lines[i].slice(4));
      while (code.length && code[code.length - 1].trim() === "") code.pop();
      out.push(h("pre", {}, h("code", {}, code.join("\n"))));
      continue;
    }
    const paragraph = [];
    for (; i < lines.length && lines[i].trim() !== "" && (paragraph.length === 0 || !startsBlock(lines[i])); i += 1) {
      paragraph.push(lines[i].replace(/^\s+/, ""));
    }
    out.push(h("p", {}, inline(paragraph.join("\n"), options)));
  }
  return out;
}

// Markdown text as a <div class="markdown">; `resolveImage(relativePath)` -> URL or promise.
export function renderMarkdown(text, options = {}) {
  const lines = String(text || "").replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n");
  return h("div", { class: "markdown" }, blocks(lines, options));
}

// The artifact browser's Markdown preview: rendered, with the source a click away; relative
// images are other files of the same store, loaded as blobs.
export async function markdownPreview(file, context) {
  const text = await context.text();
  const folder = file.path.includes("/") ? file.path.slice(0, file.path.lastIndexOf("/")) : "";
  const resolveImage = async (relative) => {
    const path = normalise(folder ? `${folder}/${relative}` : relative);
    if (path === null) return null;
    const buffer = await context.bytes({ url: context.source.fileUrl(path) });
    return context.blobUrl(buffer, imageType(path));
  };
  const rendered = renderMarkdown(text, { resolveImage });
  const source = h("pre", { class: "ab-markdown-source", hidden: true }, text);
  const toggle = h("button", { type: "button", "aria-pressed": "false" }, "Show source");
  toggle.addEventListener("click", () => {
    const showSource = rendered.hidden === false;
    rendered.hidden = showSource;
    source.hidden = !showSource;
    toggle.textContent = showSource ? "Show rendered" : "Show source";
    toggle.setAttribute("aria-pressed", String(showSource));
  });
  return h("div", { class: "ab-markdown" }, h("div", { class: "ab-subbar" }, toggle), rendered, source);
}

// "a/./b/../c" -> "a/c"; null when the path climbs out of the store's root.
function normalise(path) {
  const parts = [];
  for (const part of path.split(/[?#]/)[0].split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (!parts.length) return null;
      parts.pop();
    } else parts.push(decodeURIComponent(part));
  }
  return parts.join("/");
}

function imageType(path) {
  const extension = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  const types = { svg: "image/svg+xml", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" };
  return types[extension] || "image/png";
}
