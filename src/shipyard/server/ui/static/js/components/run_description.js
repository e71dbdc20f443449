// A run's description: the mlflow.note.content tag, shown as Markdown and edited in place
// (saved with MLflow's runs/set-tag, so the MLflow client and UI see the same note).

import { mlflow } from "../lib/api.js";
import { h, clear, showError, toast } from "../lib/ui.js";
import { renderMarkdown } from "./markdown.js";

const NOTE_TAG = "mlflow.note.content";

export class RunDescription {
  constructor(target, editButton, runId) {
    this.target = target;
    this.button = editButton;
    this.runId = runId;
    this.text = "";
    this.editing = false;
    editButton.addEventListener("click", () => this.edit());
  }

  // Show the note from freshly loaded tags, unless the user is in the middle of editing it.
  update(tags, editable) {
    this.text = tags[NOTE_TAG] || "";
    this.button.disabled = !editable;
    if (!this.editing) this.show();
  }

  show() {
    this.editing = false;
    this.button.hidden = false;
    const body = this.text
      ? h("div", { class: "markdown", id: "description-text" }, renderMarkdown(this.text))
      : h("p", { class: "muted", id: "description-text" }, "No description. Edit to add one (Markdown).");
    clear(this.target).append(body);
  }

  edit() {
    this.editing = true;
    this.button.hidden = true;
    const area = h("textarea", { "aria-label": "Description (Markdown)", id: "description-editor", spellcheck: "true" });
    area.value = this.text;
    const preview = h("div", { class: "markdown card", hidden: true, "aria-live": "polite" });
    const previewButton = h("button", { type: "button" }, "Preview");
    previewButton.addEventListener("click", () => {
      preview.hidden = !preview.hidden;
      previewButton.textContent = preview.hidden ? "Preview" : "Hide preview";
      clear(preview).append(renderMarkdown(area.value));
    });
    const save = h("button", { type: "button", class: "primary" }, "Save");
    save.addEventListener("click", () => this.save(area.value, save));
    const cancel = h("button", { type: "button" }, "Cancel");
    cancel.addEventListener("click", () => this.show());
    // Ctrl/Cmd+Enter saves, Escape cancels: the editor works without the mouse.
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) this.save(area.value, save);
      else if (event.key === "Escape") this.show();
    });
    clear(this.target).append(
      area,
      h("div", { class: "row dialog-actions" }, h("span", { class: "muted small grow" }, "Markdown. Ctrl+Enter saves, Escape cancels."), previewButton, cancel, save),
      preview,
    );
    area.focus();
  }

  async save(text, button) {
    button.disabled = true;
    try {
      await mlflow.post("/runs/set-tag", { run_id: this.runId, key: NOTE_TAG, value: text });
      this.text = text;
      this.show();
      this.button.focus();
      toast("Description saved.");
    } catch (error) {
      showError(error);
      button.disabled = false;
    }
  }
}
