// Loading a runs table from POST /api/2.0/shipyard/runs/table: a small first page so the table
// shows at once, then large pages in the background until every matching run is there.
// Starting a new load aborts the one in flight (its pages are never delivered).

import { shipyard } from "../lib/api.js";

const FIRST_PAGE = 300;
const NEXT_PAGES = 5000;
// A refresh of running runs names them in the filter: keep that filter a reasonable size.
const MAX_REFRESHED = 500;

// A table row (an array: fields, then one value per column) as the object the page uses.
export function decodeRow(array) {
  return {
    id: array[0],
    experimentId: array[1],
    name: array[2],
    user: array[3],
    status: array[4],
    start: array[5],
    end: array[6],
    stage: array[7],
    parent: array[8],
    values: array.slice(9),
  };
}

function quoted(text) {
  return `'${String(text).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export class RunsLoader {
  constructor() {
    this.controller = null;
  }

  abort() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  // Fetch every page of `request` ({experiment_ids, filter, run_view_type, order_by, columns});
  // onPage(rows, {first, done}) gets each page's decoded rows. Resolves false if aborted.
  async load(request, onPage) {
    this.abort();
    const controller = new AbortController();
    this.controller = controller;
    let token;
    let first = true;
    try {
      do {
        const body = { ...request, max_results: first ? FIRST_PAGE : NEXT_PAGES, page_token: token };
        const page = await shipyard.post("/runs/table", body, { signal: controller.signal });
        if (controller.signal.aborted) return false;
        token = page.next_page_token;
        onPage(page.rows.map(decodeRow), { first, done: !token });
        first = false;
      } while (token);
    } catch (error) {
      if (controller.signal.aborted || error.name === "AbortError") return false;
      throw error;
    }
    return true;
  }
}

// The current state of some runs (running ones, for live refresh), same columns as the table.
export async function fetchRuns(request, runIds) {
  const ids = runIds.slice(0, MAX_REFRESHED);
  if (!ids.length) return [];
  const filter = `attributes.run_id IN (${ids.map(quoted).join(", ")})`;
  const page = await shipyard.post("/runs/table", {
    ...request,
    filter,
    run_view_type: "ALL",
    order_by: [],
    max_results: ids.length,
  });
  return page.rows.map(decodeRow);
}

// Runs that started after `since` and match the table's filter (new runs, for live refresh).
export async function fetchNewRuns(request, since) {
  const newer = `attributes.start_time > ${Math.floor(since)}`;
  const filter = request.filter ? `(${request.filter}) AND ${newer}` : newer;
  const page = await shipyard.post("/runs/table", { ...request, filter, max_results: 1000 });
  return page.rows.map(decodeRow);
}
