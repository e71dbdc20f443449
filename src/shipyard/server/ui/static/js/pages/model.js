// One registered model: its versions (with aliases, stage, approval and source run), the
// alias history, and the editable description, aliases and tags. Versions can be selected
// for the compare page, and reviewed (approved or rejected) from the table.

import { keyValues, pages } from "../lib/api.js";
import { $, clear, h, showError } from "../lib/ui.js";
import { approvals, models, versions } from "../components/registry_api.js";
import { approvalPanel } from "../components/registry_approval.js";
import { aliasHistory, aliasesEditor } from "../components/registry_aliases.js";
import {
  aliasChip,
  approvalBadge,
  descriptionEditor,
  stageBadge,
  tagsEditor,
  timeCell,
} from "../components/registry_widgets.js";

const name = document.getElementById("main").dataset.name;
const selected = new Set();
let approvalByVersion = {};

function shortRun(runId) {
  if (!runId) return h("span", { class: "muted" }, "—");
  return h("a", { href: pages.run(runId), class: "mono", title: runId }, runId.slice(0, 8));
}

function updateCompareLink() {
  const link = $("#compare-link");
  const chosen = [...selected].sort((a, b) => Number(a) - Number(b));
  if (chosen.length >= 2) {
    link.href = pages.compareVersions(name, chosen);
    link.removeAttribute("aria-disabled");
    link.classList.add("primary");
  } else {
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    link.classList.remove("primary");
  }
  $("#compare-hint").textContent =
    chosen.length >= 2 ? `${chosen.length} versions selected` : "Select two or more versions to compare them.";
}

function reviewButton(version) {
  const label = `Review version ${version.version}`;
  const open = () => openReview(version);
  return h("button", { type: "button", class: "small-button review", "aria-label": label, onclick: open }, "Review");
}

function versionRow(version) {
  const approval = approvalByVersion[version.version];
  const label = `Select version ${version.version}`;
  const box = h("input", { type: "checkbox", "aria-label": label, checked: selected.has(version.version) });
  box.addEventListener("change", () => {
    if (box.checked) selected.add(version.version);
    else selected.delete(version.version);
    updateCompareLink();
  });
  return h(
    "tr",
    { "data-version": version.version },
    h("td", {}, box),
    h("td", {}, h("a", { href: pages.version(name, version.version), class: "version-link" }, `Version ${version.version}`)),
    h("td", { class: "aliases-cell" }, (version.aliases || []).map((alias) => aliasChip(name, alias))),
    h("td", {}, stageBadge(version.current_stage)),
    h("td", { class: "approval-cell" }, approval ? approvalBadge(approval.status) : ""),
    h("td", { class: "nowrap" }, timeCell(version.creation_timestamp)),
    h("td", {}, shortRun(version.run_id)),
    h("td", { class: "description-cell" }, (version.description || "").split("\n")[0]),
    h("td", { class: "right" }, reviewButton(version)),
  );
}

function renderVersions(list) {
  const target = $("#versions");
  if (!list.length) {
    clear(target).append(h("p", { class: "empty" }, "No versions yet."));
    return;
  }
  const headers = ["", "Version", "Aliases", "Stage", "Approval", "Created", "Source run", "Description", ""];
  clear(target).append(
    h(
      "table",
      { class: "data versions-table" },
      h("thead", {}, h("tr", {}, headers.map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, list.map(versionRow)),
    ),
  );
}

// The review dialog: the same approval panel as the version page.
function openReview(version) {
  const dialog = $("#approval-dialog");
  $("#approval-dialog-title").textContent = `Review version ${version.version}`;
  const approval = approvalByVersion[version.version] || { status: "PendingManualApproval" };
  approvalPanel($("#approval-dialog-body"), {
    name,
    version: version.version,
    approval,
    onChange: (updated) => {
      approvalByVersion[version.version] = updated;
      const cell = document.querySelector(`tr[data-version="${version.version}"] .approval-cell`);
      if (cell) cell.replaceChildren(approvalBadge(updated.status));
    },
  });
  dialog.showModal();
}

async function load() {
  try {
    const [model, list, byVersion, changes] = await Promise.all([
      models.get(name),
      versions.of(name),
      approvals.of(name),
      models.aliasHistory(name),
    ]);
    approvalByVersion = byVersion;
    render(model, list, changes);
  } catch (error) {
    showError(error, $("#model-error"));
    clear($("#versions"));
  }
}

function render(model, list, changes) {
  const badges = $("#model-badges");
  badges.replaceChildren(h("span", { class: "badge" }, `${list.length} ${list.length === 1 ? "version" : "versions"}`));
  renderVersions(list);
  descriptionEditor($("#description"), {
    text: model.description,
    save: (text) => models.updateDescription(name, text),
  });
  tagsEditor($("#tags"), {
    tags: keyValues(model.tags),
    set: (key, value) => models.setTag(name, key, value),
    remove: (key) => models.deleteTag(name, key),
  });
  aliasesEditor($("#aliases"), {
    name,
    aliases: model.aliases || [],
    versionNumbers: list.map((version) => version.version),
    onChange: load,
  });
  aliasHistory($("#alias-history"), { name, changes });
  updateCompareLink();
}

$("#approval-dialog-close").addEventListener("click", () => $("#approval-dialog").close());
load();
