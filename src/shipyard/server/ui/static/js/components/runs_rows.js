// The runs table's rows, in display order: runs as a tree of nested runs (children under their
// parent, via mlflow.parentRunId), or runs in groups by a param or tag with metric statistics.
//
// An entry is what one table row shows:
//   {kind: "run", row, depth, childCount, expanded}
//   {kind: "group", id, value, count, rows, stats: {columnId: {min, mean, max}}, expanded}

const NO_VALUE = "";

// Roots in server order, each followed by its (expanded) descendants, also in server order.
// A child whose parent is not among the rows (filtered out, or on another page) is a root.
export function treeEntries(rows, expanded) {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const children = new Map();
  const roots = [];
  for (const row of rows) {
    if (row.parent && row.parent !== row.id && byId.has(row.parent)) {
      if (!children.has(row.parent)) children.set(row.parent, []);
      children.get(row.parent).push(row);
    } else {
      roots.push(row);
    }
  }
  addCycleBreakers(rows, roots, children);
  const entries = [];
  // Iterative depth-first walk: a long chain of nested runs must not overflow the stack.
  const stack = roots.map((row) => ({ row, depth: 0 })).reverse();
  while (stack.length) {
    const { row, depth } = stack.pop();
    const kids = children.get(row.id) || [];
    const open = expanded.has(row.id);
    entries.push({ kind: "run", row, depth, childCount: kids.length, expanded: open });
    if (open) for (let i = kids.length - 1; i >= 0; i -= 1) stack.push({ row: kids[i], depth: depth + 1 });
  }
  return entries;
}

// Runs whose parent chain loops (A under B under A) reach no root: make each loop's first
// member a root so that no run disappears from the table.
function addCycleBreakers(rows, roots, children) {
  const reached = new Set();
  const mark = (start) => {
    const stack = [start];
    while (stack.length) {
      const row = stack.pop();
      if (reached.has(row.id)) continue;
      reached.add(row.id);
      for (const kid of children.get(row.id) || []) stack.push(kid);
    }
  };
  roots.forEach(mark);
  for (const row of rows) {
    if (reached.has(row.id)) continue;
    for (const list of children.values()) {
      const index = list.indexOf(row);
      if (index >= 0) list.splice(index, 1);
    }
    roots.push(row);
    mark(row);
  }
}

function finite(value) {
  const number = typeof value === "number" ? value : Number.NaN;
  return Number.isFinite(number) ? number : null;
}

// min, mean and max of a column over some runs (NaN, infinities and missing values left out).
export function columnStats(rows, valueOf) {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (const row of rows) {
    const number = finite(valueOf(row));
    if (number === null) continue;
    min = Math.min(min, number);
    max = Math.max(max, number);
    sum += number;
    count += 1;
  }
  return count ? { min, max, mean: sum / count, count } : null;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

// One group per distinct value (runs without the key last), each followed by its runs when
// expanded; metric columns get min/mean/max over the group.
export function groupEntries(rows, groupValue, metricColumns, valueOf, expanded) {
  const groups = new Map();
  for (const row of rows) {
    const raw = groupValue(row);
    const value = raw === null || raw === undefined ? NO_VALUE : String(raw);
    if (!groups.has(value)) groups.set(value, []);
    groups.get(value).push(row);
  }
  const values = [...groups.keys()].sort((a, b) => {
    if (a === NO_VALUE || b === NO_VALUE) return Number(a === NO_VALUE) - Number(b === NO_VALUE);
    return collator.compare(a, b);
  });
  const entries = [];
  for (const value of values) {
    const members = groups.get(value);
    const id = `group:${value}`;
    const stats = {};
    for (const column of metricColumns) stats[column] = columnStats(members, (row) => valueOf(row, column));
    const open = expanded.has(id);
    entries.push({ kind: "group", id, value, count: members.length, rows: members, stats, expanded: open });
    if (open) for (const row of members) entries.push({ kind: "run", row, depth: 1, childCount: 0, expanded: false });
  }
  return entries;
}
