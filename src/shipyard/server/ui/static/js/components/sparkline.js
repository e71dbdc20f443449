// An inline SVG sparkline of a metric's history: a line over a soft area, a dot on the last
// point, and a title with the range. Points are {step, value}; NaN and infinities are skipped.

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

export function sparkline(points, { width = 120, height = 24, label = "" } = {}) {
  const finite = points.filter((point) => typeof point.value === "number" && Number.isFinite(point.value));
  const root = svg("svg", { class: "sparkline", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  if (!finite.length) {
    root.setAttribute("aria-label", `${label}: no finite values`);
    return root;
  }
  const steps = finite.map((point) => Number(point.step));
  const values = finite.map((point) => point.value);
  const [minStep, maxStep] = [Math.min(...steps), Math.max(...steps)];
  const [minValue, maxValue] = [Math.min(...values), Math.max(...values)];
  const pad = 2;
  const x = (step) => (maxStep === minStep ? width / 2 : pad + ((step - minStep) / (maxStep - minStep)) * (width - 2 * pad));
  const y = (value) => (maxValue === minValue ? height / 2 : pad + (1 - (value - minValue) / (maxValue - minValue)) * (height - 2 * pad));
  const coordinates = finite.map((point) => `${x(point.step).toFixed(1)},${y(point.value).toFixed(1)}`);
  const title = `${label}: ${finite.length} points, steps ${minStep}–${maxStep}, min ${minValue.toPrecision(4)}, max ${maxValue.toPrecision(4)}`;
  root.setAttribute("aria-label", title);
  root.append(svg("title"));
  root.firstChild.textContent = title;
  if (finite.length > 1) {
    const area = `${x(minStep).toFixed(1)},${height} ${coordinates.join(" ")} ${x(maxStep).toFixed(1)},${height}`;
    root.append(svg("polygon", { class: "spark-area", points: area }), svg("polyline", { points: coordinates.join(" ") }));
  }
  const last = finite[finite.length - 1];
  root.append(svg("circle", { cx: x(last.step).toFixed(1), cy: y(last.value).toFixed(1), r: 2 }));
  return root;
}
