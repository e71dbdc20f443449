// CSV and TSV as a table of the first rows. Fields follow RFC 4180 (quoted fields may hold the
// delimiter, doubled quotes and line breaks); columns whose values are all numbers align right; values
// show as written.

import { h } from "../lib/ui.js";
import { extensionOf } from "./artifact_source.js";
import { truncationNote, wholeLines } from "./preview_text.js";

export const SHOWN_ROWS = 500;

// Rows of `text` (at most `limit` + 1, to know whether more follow).
export function parseDelimited(text, delimiter, limit = Infinity) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length <= limit; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^(nan|NaN|inf|-inf)$/;

function numericColumns(rows, width) {
  return Array.from({ length: width }, (_, column) => {
    const values = rows.map((row) => row[column]).filter((value) => value !== undefined && value !== "");
    return values.length > 0 && values.every((value) => NUMBER.test(value.trim()));
  });
}

export function dataTable(header, rows) {
  const width = Math.max(header.length, ...rows.map((row) => row.length));
  const numeric = numericColumns(rows, width);
  const cell = (tag, value, column) => h(tag, { class: numeric[column] ? "num" : undefined }, value ?? "");
  return h(
    "table",
    { class: "data ab-table" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", { class: "num muted" }, "#"), Array.from({ length: width }, (_, i) => cell("th", header[i] ?? "", i))),
    ),
    h(
      "tbody",
      {},
      rows.map((row, index) =>
        h(
          "tr",
          {},
          h("td", { class: "num muted" }, String(index + 1)),
          Array.from({ length: width }, (_, i) => cell("td", row[i], i)),
        ),
      ),
    ),
  );
}

export async function tablePreview(file, context, options = {}) {
  const text = wholeLines(await context.text(options), context.truncated);
  const delimiter = extensionOf(file.name) === "tsv" ? "\t" : ",";
  const parsed = parseDelimited(text.replace(/^\uFEFF/, ""), delimiter, SHOWN_ROWS + 1);
  if (!parsed.length) return h("p", { class: "muted" }, "An empty table.");
  const [header, ...body] = parsed;
  const more = body.length > SHOWN_ROWS || context.truncated;
  const rows = body.slice(0, SHOWN_ROWS);
  const count = more ? `The first ${rows.length} rows` : `${rows.length} ${rows.length === 1 ? "row" : "rows"}`;
  const caption = h("span", { class: "muted small" }, `${count} · ${header.length} columns`);
  return h(
    "div",
    { class: "ab-table-preview" },
    truncationNote(context),
    h("div", { class: "ab-subbar" }, caption),
    h("div", { class: "ab-table-scroll" }, dataTable(header, rows)),
  );
}
