// A virtualised grid of runs: only the rows and columns in view are in the DOM, so 10,000 runs
// with thousands of columns scroll as smoothly as ten.
//
// The grid knows nothing about runs' data: the page gives it columns ({id, label, family,
// width, pinned, sortable, align}), entries (see runs_rows.js) and a cell(columnId, entry)
// function, and hears back through callbacks (onOpen, onToggle, onSelectionChange, onSort,
// onColumnAction, onResize, onMove). The grid is one tab stop: arrow keys move the active row,
// Enter opens it, Space selects it, Right/Left expand and collapse nested runs.

import { h, clear } from "../lib/ui.js";

const ROW = 30;
const HEADER = 34;
const OVERSCAN_ROWS = 8;
const OVERSCAN_PX = 320;
const CHECK_WIDTH = 36;
const NAME_WIDTH = 280;
const MIN_WIDTH = 60;
const INDENT = 18;
const DRAG_TYPE = "application/x-shipyard-column";

export class RunsTable {
  constructor(root, options) {
    this.options = options;
    this.columns = [];
    this.entries = [];
    this.selected = new Set();
    this.sort = null;
    this.active = -1;
    this.anchor = -1;
    this.version = 0;
    this.drawn = "";
    this.headerDrawn = "";
    this.frame = 0;
    this.scroller = h("div", {
      class: "rt-scroll",
      role: "grid",
      tabindex: "0",
      "aria-label": options.label || "Runs",
      "aria-multiselectable": "true",
    });
    this.header = h("div", { class: "rt-row rt-header", role: "row", "aria-rowindex": "1" });
    this.body = h("div", { class: "rt-body", role: "rowgroup" });
    this.window = h("div", { class: "rt-window" });
    this.empty = h("div", { class: "empty rt-empty", hidden: true });
    this.body.append(this.window);
    this.scroller.append(this.header, this.body, this.empty);
    clear(root).append(this.scroller);
    this.layout();
    this.listen();
  }

  // -- what the page sets ------------------------------------------------------------------

  setColumns(columns) {
    this.columns = columns;
    this.layout();
    this.invalidate();
  }

  setEntries(entries) {
    this.entries = entries;
    if (this.active >= entries.length) this.active = entries.length - 1;
    this.body.style.height = `${entries.length * ROW}px`;
    this.scroller.setAttribute("aria-rowcount", String(entries.length + 1));
    this.invalidate();
  }

  setSort(sort) {
    this.sort = sort;
    this.invalidate();
  }

  setSelected(ids) {
    this.selected = new Set(ids);
    this.invalidate();
  }

  setEmptyMessage(message) {
    this.empty.textContent = message || "";
    this.empty.hidden = !message;
  }

  // Something shown changed (rows, columns, selection): redraw what is in view now, so that
  // the DOM never lags behind the page's state. Scrolling redraws on the next frame instead.
  invalidate() {
    this.version += 1;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.render();
  }

  focus() {
    this.scroller.focus();
  }

  // -- geometry ------------------------------------------------------------------------------

  layout() {
    let left = CHECK_WIDTH + NAME_WIDTH;
    this.pinned = this.columns.filter((column) => column.pinned);
    this.free = this.columns.filter((column) => !column.pinned);
    for (const column of this.pinned) {
      column.left = left;
      left += column.width;
    }
    this.fixedWidth = left;
    let offset = 0;
    this.starts = this.free.map((column) => {
      const start = offset;
      offset += column.width;
      return start;
    });
    this.totalWidth = this.fixedWidth + offset;
    for (const part of [this.header, this.body, this.window]) part.style.width = `${this.totalWidth}px`;
  }

  rowRange() {
    const top = this.scroller.scrollTop - HEADER;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN_ROWS);
    const last = Math.min(this.entries.length, Math.ceil((top + this.scroller.clientHeight) / ROW) + OVERSCAN_ROWS);
    return [first, Math.max(first, last)];
  }

  columnRange() {
    const left = this.scroller.scrollLeft - OVERSCAN_PX;
    const right = this.scroller.scrollLeft + this.scroller.clientWidth - this.fixedWidth + OVERSCAN_PX;
    let first = 0;
    while (first < this.free.length && this.starts[first] + this.free[first].width < left) first += 1;
    let last = first;
    while (last < this.free.length && this.starts[last] < right) last += 1;
    return [first, last];
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const [first, last] = this.rowRange();
    const [left, right] = this.columnRange();
    const headerKey = `${this.version}:${left}:${right}`;
    const key = `${headerKey}:${first}:${last}`;
    if (key === this.drawn) return;
    if (headerKey !== this.headerDrawn) this.renderHeader(left, right);
    this.headerDrawn = headerKey;
    this.drawn = key;
    this.window.style.transform = `translateY(${first * ROW}px)`;
    const rows = [];
    for (let index = first; index < last; index += 1) rows.push(this.renderRow(index, left, right));
    clear(this.window).append(...rows);
    if (this.options.onRender) this.options.onRender();
  }

  // The entries drawn now (the rows in view, give or take the overscan).
  renderedEntries() {
    const [first, last] = this.rowRange();
    return this.entries.slice(first, last);
  }

  visibleColumns(left, right) {
    return { spacer: this.starts[left] || 0, columns: this.free.slice(left, right) };
  }

  // -- header --------------------------------------------------------------------------------

  renderHeader(left, right) {
    // Redrawing replaces the header's buttons: keep the keyboard focus where it was.
    const focused = this.header.contains(document.activeElement) ? document.activeElement : null;
    const focusColumn = focused?.closest("[data-column]")?.dataset.column;
    const focusAction = focused?.dataset.action;
    const runs = this.entries.filter((entry) => entry.kind === "run");
    const chosen = runs.filter((entry) => this.selected.has(entry.row.id)).length;
    const all = h("input", {
      type: "checkbox",
      "aria-label": "Select all runs shown",
      checked: runs.length > 0 && chosen === runs.length,
      "data-action": "select-all",
    });
    all.indeterminate = chosen > 0 && chosen < runs.length;
    const { spacer, columns } = this.visibleColumns(left, right);
    clear(this.header).append(
      h("div", { class: "rt-cell rt-check rt-sticky", style: "left:0", role: "columnheader" }, all),
      this.nameHeader(),
      ...this.pinned.map((column, index) => this.headerCell(column, index === this.pinned.length - 1)),
      h("div", { class: "rt-spacer", style: `width:${spacer}px` }),
      ...columns.map((column) => this.headerCell(column, false)),
    );
    if (focusAction) {
      const where = focusColumn ? `[data-column="${CSS.escape(focusColumn)}"] ` : "";
      this.header.querySelector(`${where}[data-action="${focusAction}"]`)?.focus();
    }
  }

  // The run column sorts by run name; it is always first and cannot be moved or hidden.
  nameHeader() {
    const id = "attributes.run_name";
    const sorted = this.sort && this.sort.column === id ? this.sort : null;
    return h(
      "div",
      {
        class: "rt-cell rt-name rt-sticky rt-name-head",
        style: `left:${CHECK_WIDTH}px`,
        role: "columnheader",
        "data-column": id,
        "aria-sort": sorted ? (sorted.ascending ? "ascending" : "descending") : null,
      },
      h("button", { type: "button", class: "rt-sort", "data-action": "sort", title: "Run name (click to sort)" }, "Run", sorted ? (sorted.ascending ? " ▲" : " ▼") : ""),
    );
  }

  headerCell(column, edge) {
    const sorted = this.sort && this.sort.column === column.id ? this.sort : null;
    const arrow = sorted ? (sorted.ascending ? " ▲" : " ▼") : "";
    const family = column.family;
    const sortButton = h(
      "button",
      {
        type: "button",
        class: "rt-sort",
        "data-action": "sort",
        disabled: !column.sortable,
        title: `${family === "attribute" ? "" : `${family}: `}${column.label}${column.sortable ? " (click to sort)" : ""}`,
      },
      family === "attribute" ? null : h("span", { class: `rt-kind rt-kind-${family}`, "aria-hidden": "true" }, family[0].toUpperCase()),
      h("span", { class: "rt-label" }, column.label),
      arrow,
    );
    const cell = h(
      "div",
      {
        class: `rt-cell rt-head${column.pinned ? " rt-sticky" : ""}${edge ? " rt-pin-edge" : ""}${column.align === "right" ? " num" : ""}`,
        role: "columnheader",
        style: `width:${column.width}px${column.pinned ? `;left:${column.left}px` : ""}`,
        "aria-sort": sorted ? (sorted.ascending ? "ascending" : "descending") : null,
        draggable: "true",
        "data-column": column.id,
      },
      sortButton,
      h("button", { type: "button", class: "rt-menu", "data-action": "menu", "aria-label": `Options for column ${column.label}`, "aria-haspopup": "menu" }, "⋮"),
      h("span", { class: "rt-resize", "data-action": "resize", "aria-hidden": "true" }),
    );
    return cell;
  }

  // -- rows ------------------------------------------------------------------------------------

  renderRow(index, left, right) {
    const entry = this.entries[index];
    const isGroup = entry.kind === "group";
    const ids = isGroup ? entry.rows.map((row) => row.id) : [entry.row.id];
    const selected = ids.every((id) => this.selected.has(id));
    const classes = ["rt-row"];
    if (selected) classes.push("selected");
    if (index === this.active) classes.push("active");
    if (isGroup) classes.push("rt-group");
    if (!isGroup && entry.row.stage === "deleted") classes.push("rt-deleted");
    const { spacer, columns } = this.visibleColumns(left, right);
    const checkbox = h("input", {
      type: "checkbox",
      tabindex: "-1",
      checked: selected,
      "data-action": "select",
      "aria-label": isGroup ? `Select the ${entry.count} runs of this group` : `Select run ${entry.row.name}`,
    });
    return h(
      "div",
      {
        class: classes.join(" "),
        role: "row",
        id: `rt-row-${index}`,
        "aria-rowindex": String(index + 2),
        "aria-selected": String(selected),
        "aria-expanded": isGroup || entry.childCount ? String(entry.expanded) : null,
        "data-index": String(index),
        "data-run-id": isGroup ? null : entry.row.id,
      },
      h("div", { class: "rt-cell rt-check rt-sticky", style: "left:0", role: "gridcell" }, checkbox),
      h("div", { class: "rt-cell rt-name rt-sticky", style: `left:${CHECK_WIDTH}px`, role: "gridcell" }, this.nameCell(entry)),
      ...this.pinned.map((column, position) => this.valueCell(column, entry, position === this.pinned.length - 1)),
      h("div", { class: "rt-spacer", style: `width:${spacer}px` }),
      ...columns.map((column) => this.valueCell(column, entry, false)),
    );
  }

  nameCell(entry) {
    const depth = entry.kind === "group" ? 0 : entry.depth;
    const expandable = entry.kind === "group" || entry.childCount > 0;
    const toggle = expandable
      ? h(
          "button",
          {
            type: "button",
            class: "rt-toggle",
            tabindex: "-1",
            "data-action": "toggle",
            "aria-label": entry.expanded ? "Collapse" : `Expand (${entry.kind === "group" ? entry.count : entry.childCount})`,
          },
          entry.expanded ? "▾" : "▸",
        )
      : h("span", { class: "rt-toggle-space" });
    return [h("span", { class: "rt-indent", style: `width:${depth * INDENT}px` }), toggle, this.options.nameContent(entry)];
  }

  valueCell(column, entry, edge) {
    const content = this.options.cell(column.id, entry);
    const text = typeof content === "string" ? content : null;
    return h(
      "div",
      {
        class: `rt-cell${column.pinned ? " rt-sticky" : ""}${edge ? " rt-pin-edge" : ""}${column.align === "right" ? " num" : ""}`,
        role: "gridcell",
        style: `width:${column.width}px${column.pinned ? `;left:${column.left}px` : ""}`,
        title: text && text.length > 12 ? text : null,
      },
      // A text wrapper that may shrink: long values end in an ellipsis instead of spilling
      // out of the left edge of a right-aligned cell.
      text !== null ? h("span", { class: "rt-text" }, text) : content,
    );
  }

  // -- interaction -----------------------------------------------------------------------------

  listen() {
    this.scroller.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.invalidate()).observe(this.scroller);
    this.scroller.addEventListener("keydown", (event) => this.onKey(event));
    this.scroller.addEventListener("focus", () => {
      if (this.active < 0 && this.entries.length) this.setActive(0);
    });
    this.window.addEventListener("click", (event) => this.onRowClick(event));
    this.window.addEventListener("dblclick", (event) => {
      const entry = this.entryAt(event.target);
      if (entry && !event.target.closest("a, button, input")) this.options.onOpen(entry);
    });
    this.header.addEventListener("click", (event) => this.onHeaderClick(event));
    this.header.addEventListener("pointerdown", (event) => this.onResizeStart(event));
    this.header.addEventListener("dragstart", (event) => this.onDragStart(event));
    this.header.addEventListener("dragover", (event) => {
      if (event.dataTransfer.types.includes(DRAG_TYPE)) event.preventDefault();
    });
    this.header.addEventListener("drop", (event) => this.onDrop(event));
  }

  entryAt(target) {
    const row = target.closest(".rt-row[data-index]");
    return row ? this.entries[Number(row.dataset.index)] : null;
  }

  onRowClick(event) {
    const row = event.target.closest(".rt-row[data-index]");
    if (!row) return;
    const index = Number(row.dataset.index);
    const action = event.target.closest("[data-action]")?.dataset.action;
    if (action === "select") {
      this.toggleSelection(index, event.target.checked, event.shiftKey);
    } else if (action === "toggle") {
      this.options.onToggle(this.entries[index]);
    } else if (!event.target.closest("a")) {
      this.setActive(index);
      this.scroller.focus({ preventScroll: true });
    }
  }

  // Select (or unselect) one entry, or with shift the range from the last one clicked.
  toggleSelection(index, checked, range) {
    const from = range && this.anchor >= 0 ? Math.min(this.anchor, index) : index;
    const to = range && this.anchor >= 0 ? Math.max(this.anchor, index) : index;
    for (let i = from; i <= to; i += 1) {
      const entry = this.entries[i];
      const ids = entry.kind === "group" ? entry.rows.map((row) => row.id) : [entry.row.id];
      ids.forEach((id) => (checked ? this.selected.add(id) : this.selected.delete(id)));
    }
    this.anchor = index;
    this.invalidate();
    this.options.onSelectionChange(this.selected);
  }

  selectAll(checked) {
    for (const entry of this.entries) {
      if (entry.kind !== "run") continue;
      if (checked) this.selected.add(entry.row.id);
      else this.selected.delete(entry.row.id);
    }
    this.invalidate();
    this.options.onSelectionChange(this.selected);
  }

  onHeaderClick(event) {
    const target = event.target.closest("[data-action]");
    if (!target) return;
    const id = target.closest("[data-column]")?.dataset.column;
    if (target.dataset.action === "select-all") this.selectAll(target.checked);
    else if (target.dataset.action === "sort" && id) this.options.onSort(id);
    else if (target.dataset.action === "menu" && id) this.openMenu(target, id);
  }

  setActive(index) {
    if (!this.entries.length) return;
    this.active = Math.max(0, Math.min(this.entries.length - 1, index));
    this.scroller.setAttribute("aria-activedescendant", `rt-row-${this.active}`);
    this.ensureVisible(this.active);
    this.invalidate();
  }

  ensureVisible(index) {
    const top = index * ROW;
    const visible = this.scroller.clientHeight - HEADER;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + ROW > this.scroller.scrollTop + visible) this.scroller.scrollTop = top + ROW - visible;
  }

  onKey(event) {
    if (event.target !== this.scroller || !this.entries.length) return;
    const page = Math.max(1, Math.floor((this.scroller.clientHeight - HEADER) / ROW) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    const entry = this.entries[this.active];
    if (event.key in moves) this.setActive(this.active + moves[event.key]);
    else if (event.key === "Home") this.setActive(0);
    else if (event.key === "End") this.setActive(this.entries.length - 1);
    else if (event.key === "Enter" && entry) this.options.onOpen(entry);
    else if (event.key === " " && entry) {
      const ids = entry.kind === "group" ? entry.rows.map((row) => row.id) : [entry.row.id];
      this.toggleSelection(this.active, !ids.every((id) => this.selected.has(id)), event.shiftKey);
    } else if (event.key === "ArrowRight" && entry && !entry.expanded && (entry.kind === "group" || entry.childCount)) {
      this.options.onToggle(entry);
    } else if (event.key === "ArrowLeft" && entry) this.collapseOrParent(entry);
    else return;
    event.preventDefault();
  }

  collapseOrParent(entry) {
    if (entry.expanded) {
      this.options.onToggle(entry);
      return;
    }
    const depth = entry.kind === "group" ? 0 : entry.depth;
    for (let index = this.active - 1; index >= 0 && depth > 0; index -= 1) {
      const candidate = this.entries[index];
      if ((candidate.kind === "group" ? 0 : candidate.depth) < depth) {
        this.setActive(index);
        return;
      }
    }
  }

  // -- column menu, resizing, reordering ----------------------------------------------------

  openMenu(button, id) {
    const column = this.columns.find((item) => item.id === id);
    const items = [
      column.sortable && ["sort-asc", "Sort ascending"],
      column.sortable && ["sort-desc", "Sort descending"],
      [column.pinned ? "unpin" : "pin", column.pinned ? "Unpin column" : "Pin column"],
      ["left", "Move left"],
      ["right", "Move right"],
      ["hide", "Hide column"],
    ].filter(Boolean);
    const menu = h("div", { class: "rt-popup", role: "menu", "aria-label": `Column ${column.label}` });
    const close = () => {
      menu.remove();
      document.removeEventListener("pointerdown", outside, true);
      // the header may have been redrawn meanwhile: focus the column's current menu button
      this.header.querySelector(`[data-column="${CSS.escape(id)}"] .rt-menu`)?.focus();
    };
    const outside = (event) => {
      if (!menu.contains(event.target)) close();
    };
    for (const [action, label] of items) {
      menu.append(
        h("button", { type: "button", role: "menuitem", "data-menu-action": action, onclick: () => { close(); this.options.onColumnAction(action, id); } }, label),
      );
    }
    menu.addEventListener("keydown", (event) => {
      const buttons = [...menu.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (event.key === "Escape") close();
      else if (event.key === "ArrowDown") buttons[(at + 1) % buttons.length].focus();
      else if (event.key === "ArrowUp") buttons[(at - 1 + buttons.length) % buttons.length].focus();
      else return;
      event.preventDefault();
    });
    const box = button.getBoundingClientRect();
    menu.style.left = `${Math.min(box.left, window.innerWidth - 200)}px`;
    menu.style.top = `${box.bottom + 2}px`;
    document.body.append(menu);
    document.addEventListener("pointerdown", outside, true);
    menu.querySelector("button").focus();
  }

  onResizeStart(event) {
    if (event.target.dataset.action !== "resize") return;
    event.preventDefault(); // no drag-and-drop of the header cell
    const id = event.target.closest("[data-column]").dataset.column;
    const column = this.columns.find((item) => item.id === id);
    const startX = event.clientX;
    const startWidth = column.width;
    const handle = event.target;
    handle.setPointerCapture(event.pointerId);
    const move = (moveEvent) => {
      column.width = Math.max(MIN_WIDTH, Math.round(startWidth + moveEvent.clientX - startX));
      this.layout();
      this.invalidate();
    };
    const up = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
      this.options.onResize(id, column.width);
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
  }

  onDragStart(event) {
    const id = event.target.closest?.("[data-column]")?.dataset.column;
    if (!id) return;
    event.dataTransfer.setData(DRAG_TYPE, id);
    event.dataTransfer.effectAllowed = "move";
  }

  onDrop(event) {
    const moved = event.dataTransfer.getData(DRAG_TYPE);
    const target = event.target.closest("[data-column]")?.dataset.column;
    const known = (id) => this.columns.some((column) => column.id === id);
    if (!moved || !target || moved === target || !known(moved) || !known(target)) return;
    event.preventDefault();
    this.options.onMove(moved, target);
  }
}
