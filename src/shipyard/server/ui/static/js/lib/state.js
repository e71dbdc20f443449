// Page state that survives reloads and can be shared as a link: kept in the URL's query
// string, with the last state of each scope remembered in localStorage.
//
// A link is the whole state: when the URL names any of a scope's keys, the keys it leaves
// out are at their defaults (writeState drops defaults from the URL), so the receiver sees
// what the sender saw. Only a bare URL restores the viewer's own remembered state.

function parseValue(raw, fallback) {
  if (typeof fallback === "string") return raw;
  try {
    const value = JSON.parse(raw);
    if (fallback === null) return value; // a null default takes any value
    const sameShape =
      Array.isArray(fallback) === Array.isArray(value) &&
      typeof value === typeof fallback;
    return sameShape ? value : fallback;
  } catch {
    return fallback;
  }
}

function remembered(scope) {
  try {
    const value = JSON.parse(localStorage.getItem(`shipyard.state.${scope}`) || "{}");
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

export function readState(scope, defaults) {
  const params = new URL(window.location.href).searchParams;
  const keys = Object.keys(defaults);
  const fromLink = keys.some((key) => params.has(key));
  const state = { ...defaults };
  if (!fromLink) {
    const stored = remembered(scope);
    for (const key of keys) {
      if (key in stored) state[key] = parseValue(JSON.stringify(stored[key]), defaults[key]);
    }
    return state;
  }
  for (const key of keys) {
    if (params.has(key)) state[key] = parseValue(params.get(key), defaults[key]);
  }
  return state;
}

// Percent-encode a query component but keep the characters that read well in a link
// (commas separating ids, colons and slashes in keys) as they are.
function encodeComponent(text) {
  return encodeURIComponent(text).replace(/%2C/gi, ",").replace(/%3A/gi, ":").replace(/%2F/gi, "/");
}

export function writeState(scope, state, defaults) {
  localStorage.setItem(`shipyard.state.${scope}`, JSON.stringify(state));
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(state)) {
    const isDefault = JSON.stringify(value) === JSON.stringify(defaults[key]);
    if (isDefault) url.searchParams.delete(key);
    else url.searchParams.set(key, typeof value === "string" ? value : JSON.stringify(value));
  }
  const pairs = [...url.searchParams].map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`);
  url.search = pairs.length ? `?${pairs.join("&")}` : "";
  window.history.replaceState(null, "", url);
}
