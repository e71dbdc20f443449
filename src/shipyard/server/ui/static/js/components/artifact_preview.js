// The preview pane of the artifact browser: picks a preview by the file's name, fetches the
// file only when its listed size is under that preview's limit (larger files show their size
// and a download button, and text-like ones offer to read just their head with a Range
// request), and frees blob URLs and pending requests when the selection changes.

import { clear, describe, formatBytes, h } from "../lib/ui.js";
import { baseName, extensionOf } from "./artifact_source.js";
import { jsonPreview } from "./preview_json.js";
import { markdownPreview } from "./preview_markdown.js";
import { audioPreview, imagePreview, videoPreview } from "./preview_media.js";
import { htmlPreview, pdfPreview } from "./preview_frame.js";
import { tablePreview } from "./preview_table.js";
import { textPreview } from "./preview_text.js";

const MB = 1024 * 1024;
export const TEXT_LIMIT = 2 * MB;
export const HEAD_BYTES = 256 * 1024;
const SNIFF_LIMIT = 1 * MB;

const TEXT_EXTENSIONS =
  "txt log py pyi ipynb js mjs ts tsx jsx java scala kt go rs c h cc cpp hpp cs rb php r jl lua pl sh bash zsh " +
  "ps1 bat sql toml ini cfg conf properties env gitignore dockerignore xml rst tex css scss proto graphql " +
  "gradle make cmake mlproject lock";
const TEXT_NAMES = ["Dockerfile", "Makefile", "LICENSE", "NOTICE", "MLproject", "Procfile", "CODEOWNERS"];
const BINARY_EXTENSIONS =
  "pkl pickle joblib pt pth ckpt bin safetensors onnx pb h5 hdf5 keras npy npz parquet feather arrow avro orc " +
  "zip gz tgz bz2 xz zst tar 7z whl egg jar so dll dylib exe ubj lgb skops db sqlite tflite mar";

// Each kind: how it is recognised, the largest file it fetches, and its renderer.
// `head`: when too large, the first HEAD_BYTES can still be shown (text and tables).
const KINDS = [
  { kind: "image", label: "Image", extensions: "png jpg jpeg gif svg webp bmp ico avif", limit: 20 * MB, render: imagePreview },
  { kind: "markdown", label: "Markdown", extensions: "md markdown", limit: TEXT_LIMIT, render: markdownPreview },
  { kind: "json", label: "JSON", extensions: "json geojson", limit: TEXT_LIMIT, render: jsonPreview },
  { kind: "yaml", label: "YAML", extensions: "yaml yml", names: ["MLmodel"], limit: TEXT_LIMIT, render: textPreview, head: true },
  { kind: "table", label: "Table", extensions: "csv tsv", limit: TEXT_LIMIT, render: tablePreview, head: true },
  { kind: "html", label: "HTML", extensions: "html htm", limit: 5 * MB, render: htmlPreview },
  { kind: "pdf", label: "PDF", extensions: "pdf", limit: 50 * MB, render: pdfPreview },
  // media elements stream from the file URL with Range requests: no size limit applies
  { kind: "audio", label: "Audio", extensions: "mp3 wav ogg oga flac m4a aac opus", limit: Infinity, render: audioPreview },
  { kind: "video", label: "Video", extensions: "mp4 webm ogv mov m4v", limit: Infinity, render: videoPreview },
  { kind: "text", label: "Text", extensions: TEXT_EXTENSIONS, names: TEXT_NAMES, limit: TEXT_LIMIT, render: textPreview, head: true },
  { kind: "binary", label: "Binary", extensions: BINARY_EXTENSIONS, limit: 0, render: null },
];
for (const kind of KINDS) kind.extensions = new Set(kind.extensions.split(" "));

// Files we cannot name a kind for: read if small, shown as text unless they look binary.
const UNKNOWN = { kind: "unknown", label: "File", limit: SNIFF_LIMIT, render: textPreview, sniff: true };

export function kindOf(name) {
  const extension = extensionOf(name);
  return KINDS.find((kind) => (kind.names || []).includes(name) || kind.extensions.has(extension)) || UNKNOWN;
}

// -- what previews get -------------------------------------------------------------------------

class PreviewContext {
  constructor(source, file) {
    this.source = source;
    this.file = file;
    this.url = source.fileUrl(file.path);
    this.controller = new AbortController();
    this.cleanups = [];
    this.truncated = false;
  }

  get signal() {
    return this.controller.signal;
  }

  // The file's bytes; `head` asks for the first HEAD_BYTES only (a Range request).
  async bytes({ head = false, url = this.url } = {}) {
    const headers = head ? { Range: `bytes=0-${HEAD_BYTES - 1}` } : {};
    const response = await fetch(url, { signal: this.signal, headers });
    if (!response.ok) throw new Error(await errorText(response));
    const buffer = await response.arrayBuffer();
    if (head && response.status === 206) this.truncated = true;
    return buffer;
  }

  async text(options) {
    const buffer = await this.bytes(options);
    return new TextDecoder("utf-8").decode(buffer);
  }

  // A blob: URL for bytes with a type we choose (the server sends attachments), freed later.
  blobUrl(buffer, type) {
    const url = URL.createObjectURL(new Blob([buffer], { type }));
    this.onDispose(() => URL.revokeObjectURL(url));
    return url;
  }

  onDispose(cleanup) {
    this.cleanups.push(cleanup);
  }

  dispose() {
    this.controller.abort();
    this.cleanups.forEach((cleanup) => cleanup());
    this.cleanups = [];
  }
}

async function errorText(response) {
  const text = await response.text().catch(() => "");
  try {
    const payload = JSON.parse(text);
    return `${payload.message || response.statusText} (${payload.error_code || response.status})`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function looksBinary(buffer) {
  const bytes = new Uint8Array(buffer, 0, Math.min(buffer.byteLength, 8000));
  return bytes.includes(0);
}

// -- the pane ----------------------------------------------------------------------------------

export function downloadLink(url, name, label = "Download") {
  return h("a", { class: "button", href: url, download: name, "data-action": "download" }, label);
}

function header(file, kind, source, extra = []) {
  return h(
    "header",
    { class: "ab-preview-head" },
    h(
      "div",
      { class: "ab-preview-title" },
      h("span", { class: "ab-preview-name mono", title: file.path }, file.path || baseName(file.path)),
      h("span", { class: "muted small" }, [kind.label, formatBytes(file.size)].filter(Boolean).join(" · ")),
    ),
    h("div", { class: "row" }, extra, downloadLink(source.fileUrl(file.path), file.name)),
  );
}

function noPreview(what) {
  return h("p", { class: "muted ab-no-preview" }, `${what}: no preview. Download it to open it.`);
}

function tooLarge(file, kind, context, body) {
  const message = `${file.name} is ${formatBytes(file.size)}: too large to preview here.`;
  const box = h("div", { class: "ab-too-large", "data-testid": "too-large" }, h("p", {}, message));
  if (kind.head) {
    const button = h("button", { type: "button" }, `Show the first ${HEAD_BYTES / 1024} KB`);
    button.addEventListener("click", () => render(kind, context, body, { head: true }));
    box.append(h("div", { class: "row" }, button, downloadLink(context.url, file.name, "Download the whole file")));
  } else {
    box.append(h("div", { class: "row" }, downloadLink(context.url, file.name, "Download")));
  }
  return box;
}

async function render(kind, context, body, options = {}) {
  clear(body).append(h("div", { class: "ab-loading muted" }, h("span", { class: "spinner" }), " Loading…"));
  try {
    let renderer = kind.render;
    if (kind.sniff) {
      const buffer = await context.bytes(options);
      if (looksBinary(buffer)) {
        clear(body).append(noPreview("A binary file"));
        return;
      }
      context.bytes = async () => buffer; // already read: the text preview reuses it
      renderer = textPreview;
    }
    const element = await renderer(context.file, context, options);
    if (context.signal.aborted) return;
    clear(body).append(element);
  } catch (error) {
    if (error.name === "AbortError" || context.signal.aborted) return;
    const message = `Cannot preview ${context.file.name}: ${describe(error)}`;
    clear(body).append(h("div", { class: "error-text", role: "alert" }, message));
  }
}

// Show `file` ({path, name, size}) of `source` in `pane`; returns a function that cancels it.
export function previewFile(pane, source, file) {
  const kind = kindOf(file.name);
  const context = new PreviewContext(source, file);
  const body = h("div", { class: `ab-preview-body ab-kind-${kind.kind}` });
  clear(pane).append(header(file, kind, source), body);
  if (!kind.render) {
    body.append(noPreview(`A ${kind.label.toLowerCase()} file`));
  } else if ((file.size ?? 0) > kind.limit) {
    body.append(tooLarge(file, kind, context, body));
  } else {
    render(kind, context, body);
  }
  return () => context.dispose();
}
