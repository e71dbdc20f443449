// Charts are grouped by the prefix of their metric's name: "eval/auc" belongs to "eval",
// names without a slash to the model's own metrics, and "system/..." to system metrics,
// which always come last because they describe the machine, not the model.

export const MODEL_SECTION = "";
export const SYSTEM_SECTION = "system";

export function sectionOf(key) {
  const slash = key.indexOf("/");
  return slash > 0 ? key.slice(0, slash) : MODEL_SECTION;
}

export function sectionTitle(section) {
  if (section === MODEL_SECTION) return "Model metrics";
  if (section === SYSTEM_SECTION) return "System metrics";
  return section;
}

function rank(section) {
  if (section === MODEL_SECTION) return 0;
  if (section === SYSTEM_SECTION) return 2;
  return 1;
}

// [{section, title, keys}] in display order; keys sorted within a section.
export function groupBySection(keys) {
  const groups = new Map();
  for (const key of [...keys].sort((a, b) => a.localeCompare(b))) {
    const section = sectionOf(key);
    if (!groups.has(section)) groups.set(section, []);
    groups.get(section).push(key);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([section, sectionKeys]) => ({ section, title: sectionTitle(section), keys: sectionKeys }));
}
