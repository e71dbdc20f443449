// What the runs page does to selected runs: compare them, delete and restore them (MLflow's
// runs/delete and runs/restore), and purge deleted ones for good (Shipyard's runs/purge).

import { mlflow, shipyard, pages } from "../lib/api.js";
import { toast } from "../lib/ui.js";
import { confirmDialog } from "./run_dialogs.js";

const PARALLEL = 6;
const PURGE_BATCH = 1000;

// Run fn over items, a few at a time (a thousand runs must not mean a thousand open requests).
async function eachLimited(items, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

function plural(count, word) {
  return `${count.toLocaleString()} ${word}${count === 1 ? "" : "s"}`;
}

// Reflect the selection in the bar: count, compare link, which actions apply.
export function updateSelectionBar(elements, selectedRows) {
  const count = selectedRows.length;
  const active = selectedRows.filter((row) => row.stage === "active").length;
  const deleted = count - active;
  elements.count.textContent = count ? `${plural(count, "run")} selected` : "";
  elements.compare.classList.toggle("disabled", count === 0);
  elements.compare.setAttribute("aria-disabled", String(count === 0));
  if (count) elements.compare.href = pages.compare(selectedRows.map((row) => row.id));
  else elements.compare.removeAttribute("href");
  elements.compare.textContent = count ? `Compare ${count}` : "Compare";
  elements.remove.hidden = active === 0;
  elements.restore.hidden = deleted === 0;
  elements.purge.hidden = deleted === 0;
  elements.clear.hidden = count === 0;
}

export async function deleteRuns(rows) {
  const ids = rows.filter((row) => row.stage === "active").map((row) => row.id);
  await eachLimited(ids, (id) => mlflow.post("/runs/delete", { run_id: id }));
  toast(`Deleted ${plural(ids.length, "run")}: "Show: deleted runs" lists them to restore.`);
  return ids.length;
}

export async function restoreRuns(rows) {
  const ids = rows.filter((row) => row.stage === "deleted").map((row) => row.id);
  await eachLimited(ids, (id) => mlflow.post("/runs/restore", { run_id: id }));
  toast(`Restored ${plural(ids.length, "run")}.`);
  return ids.length;
}

// Asks first: purging cannot be undone. Resolves the number of runs purged (0 if cancelled).
export async function purgeRuns(rows) {
  const ids = rows.filter((row) => row.stage === "deleted").map((row) => row.id);
  if (!ids.length) return 0;
  const confirmed = await confirmDialog({
    title: "Delete permanently?",
    message: `${plural(ids.length, "deleted run")} will be removed for good, with their params, metrics, tags and artifacts. This cannot be undone.`,
    confirm: "Delete permanently",
    danger: true,
  });
  if (!confirmed) return 0;
  let purged = 0;
  let files = 0;
  for (let start = 0; start < ids.length; start += PURGE_BATCH) {
    const result = await shipyard.post("/runs/purge", { run_ids: ids.slice(start, start + PURGE_BATCH) });
    purged += result.purged.length;
    files += result.artifact_files_deleted;
  }
  toast(`Permanently deleted ${plural(purged, "run")} and ${plural(files, "artifact file")}.`);
  return purged;
}
