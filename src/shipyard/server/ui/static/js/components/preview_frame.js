// HTML and PDF in frames. HTML goes into an iframe with sandbox="" (no scripts, no forms, an
// opaque origin) loaded from a blob: URL, so a report's scripts can neither run nor reach the
// page; the page's Content-Security-Policy applies to the blob document as well. PDFs use the
// browser's viewer on a blob: URL (the server sends files as sandboxed attachments, which a
// frame would download rather than show). The viewer refuses to work in a sandboxed frame, and
// a PDF runs no page script, so that frame carries no sandbox.

import { h } from "../lib/ui.js";
import { codeView } from "./preview_text.js";

export async function htmlPreview(file, context) {
  const buffer = await context.bytes();
  const frame = h("iframe", {
    class: "ab-frame",
    sandbox: "",
    referrerpolicy: "no-referrer",
    title: `${file.name} (sandboxed: scripts do not run)`,
    src: context.blobUrl(buffer, "text/html"),
  });
  const source = codeView(new TextDecoder().decode(buffer), { language: "html" });
  source.hidden = true;
  const toggle = h("button", { type: "button" }, "Show source");
  toggle.addEventListener("click", () => {
    const showSource = source.hidden;
    source.hidden = !showSource;
    frame.hidden = showSource;
    toggle.textContent = showSource ? "Show page" : "Show source";
  });
  const note = h("span", { class: "muted small" }, "Sandboxed: scripts, forms and plugins are disabled.");
  return h("div", { class: "ab-html" }, h("div", { class: "ab-subbar" }, note, toggle), frame, source);
}

export async function pdfPreview(file, context) {
  const buffer = await context.bytes();
  return h("iframe", {
    class: "ab-frame ab-pdf",
    title: file.name,
    src: context.blobUrl(buffer, "application/pdf"),
  });
}
