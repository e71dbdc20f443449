// Small modal dialogs (confirm, ask for a name) on <dialog>: focus is trapped and restored,
// Escape cancels, and no inline handlers are needed (the page's CSP forbids them).

import { h } from "../lib/ui.js";

function openDialog(content, { label, onClose }) {
  const opener = document.activeElement;
  const dialog = h("dialog", { "aria-label": label }, ...content);
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose(dialog.returnValue);
    if (opener && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// Resolves true when the user confirms.
export function confirmDialog({ title, message, confirm = "OK", danger = false }) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "submit", value: "ok", class: danger ? "danger solid" : "primary" }, confirm);
    const form = h(
      "form",
      { method: "dialog", class: "stack" },
      h("h2", {}, title),
      h("p", {}, message),
      h("div", { class: "row dialog-actions" }, h("span", { class: "grow" }), h("button", { type: "submit", value: "cancel" }, "Cancel"), ok),
    );
    openDialog([form], { label: title, onClose: (value) => resolve(value === "ok") });
    ok.focus();
  });
}

// Resolves the text entered, or null when cancelled.
export function promptDialog({ title, label, value = "", confirm = "Save" }) {
  return new Promise((resolve) => {
    const input = h("input", { type: "text", value, required: true, "aria-label": label, class: "grow", maxlength: "500" });
    const form = h(
      "form",
      { method: "dialog", class: "stack" },
      h("h2", {}, title),
      h("label", { class: "stack" }, label, input),
      h("div", { class: "row dialog-actions" }, h("span", { class: "grow" }), h("button", { type: "submit", value: "cancel", formnovalidate: true }, "Cancel"), h("button", { type: "submit", value: "ok", class: "primary" }, confirm)),
    );
    openDialog([form], { label: title, onClose: (result) => resolve(result === "ok" ? input.value.trim() : null) });
    input.focus();
    input.select();
  });
}
