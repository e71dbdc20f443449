// Shared page machinery: elements, theme, toasts, formatting, errors.

import { ApiError } from "./api.js";

// h("td", {class: "num", onclick: f}, child, ...): build an element; strings become text.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function clear(element) {
  while (element.firstChild) element.removeChild(element.firstChild);
  return element;
}

export function toast(message, { error = false, timeout = 5000 } = {}) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = h("div", { class: error ? "toast error" : "toast", role: error ? "alert" : "status" }, message);
  box.append(item);
  setTimeout(() => item.remove(), timeout);
}

// A readable message for anything a page caught.
export function describe(error) {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error && error.message ? error.message : String(error);
}

export function showError(error, target) {
  const message = describe(error);
  if (target) {
    clear(target).append(h("div", { class: "error-text", role: "alert" }, message));
  } else {
    toast(message, { error: true, timeout: 9000 });
  }
}

// -- formatting ----------------------------------------------------------------------------

export function formatTime(milliseconds) {
  if (milliseconds === undefined || milliseconds === null || milliseconds === "") return "";
  const date = new Date(Number(milliseconds));
  const pad = (value) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function formatDuration(start, end) {
  if (!start) return "";
  let seconds = Math.max(0, Math.round(((end ? Number(end) : Date.now()) - Number(start)) / 1000));
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (hours) return `${hours}h ${minutes}m`;
  if (minutes) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

export function formatNumber(value) {
  if (value === "NaN" || value === "Infinity" || value === "-Infinity") return value;
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  if (Number.isInteger(number) && Math.abs(number) < 1e12) return String(number);
  const magnitude = Math.abs(number);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e9)) return number.toExponential(4);
  return String(Number(number.toPrecision(6)));
}

export function formatBytes(size) {
  if (size === undefined || size === null) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(size);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

export function statusBadge(status) {
  const kind = { FINISHED: "ok", FAILED: "danger", KILLED: "danger", RUNNING: "accent", SCHEDULED: "warn" }[status] || "";
  return h("span", { class: `badge ${kind}` }, status || "");
}

// -- theme -----------------------------------------------------------------------------------

const THEMES = ["system", "light", "dark"];

function applyTheme(theme) {
  if (theme === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", theme);
  const button = document.getElementById("theme-toggle");
  if (button) button.title = `Theme: ${theme === "system" ? "follow the system" : theme}`;
  document.dispatchEvent(new CustomEvent("shipyard:theme"));
}

export function isDark() {
  const chosen = document.documentElement.getAttribute("data-theme");
  if (chosen) return chosen === "dark";
  return window.matchMedia("(prefers-color-scheme: dark)").matches;
}

function initTheme() {
  let theme = localStorage.getItem("shipyard.theme") || "system";
  applyTheme(theme);
  const button = document.getElementById("theme-toggle");
  if (button) {
    button.addEventListener("click", () => {
      theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
      localStorage.setItem("shipyard.theme", theme);
      applyTheme(theme);
    });
  }
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => applyTheme(theme));
}

function markNavigation() {
  const page = document.getElementById("main")?.dataset.page || "";
  const section = ["models", "model", "version", "version-compare"].includes(page) ? "models" : "experiments";
  document.querySelectorAll(".topnav a").forEach((link) => {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
  });
}

initTheme();
markNavigation();
