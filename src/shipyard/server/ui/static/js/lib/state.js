// Page state that survives reloads and can be shared as a link: kept in the URL's query
// string, with the last state of each scope remembered in localStorage.

export function readState(scope, defaults) {
  const url = new URL(window.location.href);
  const stored = JSON.parse(localStorage.getItem(`shipyard.state.${scope}`) || "{}");
  const state = { ...defaults, ...stored };
  for (const key of Object.keys(defaults)) {
    if (!url.searchParams.has(key)) continue;
    const raw = url.searchParams.get(key);
    state[key] = typeof defaults[key] === "string" ? raw : JSON.parse(raw);
  }
  return state;
}

export function writeState(scope, state, defaults) {
  localStorage.setItem(`shipyard.state.${scope}`, JSON.stringify(state));
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(state)) {
    const isDefault = JSON.stringify(value) === JSON.stringify(defaults[key]);
    if (isDefault) url.searchParams.delete(key);
    else url.searchParams.set(key, typeof value === "string" ? value : JSON.stringify(value));
  }
  window.history.replaceState(null, "", url);
}
