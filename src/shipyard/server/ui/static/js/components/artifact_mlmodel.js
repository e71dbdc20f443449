// Model packages as data: the MLmodel file read and its signature decoded into rows that the
// package view, the version page and the version comparison all show the same way.
// The format is MLflow's (see shipyard.models): the signature's inputs, outputs and params are
// JSON strings inside the YAML, column specs ({type, name, required}, with array/object/map
// types nesting) or tensor specs ({type: "tensor", "tensor-spec": {dtype, shape}}).

import { BASE } from "../lib/api.js";
import { parseYaml } from "./artifact_yaml.js";

export const MLMODEL = "MLmodel";

// Fetch and parse an MLmodel file; throws with a readable message.
export async function fetchMlmodel(url, { signal } = {}) {
  const response = await fetch(url, { signal });
  if (response.status === 404) throw new Error("This package has no MLmodel file.");
  if (!response.ok) throw new Error(`Cannot read the MLmodel file (${response.status} ${response.statusText}).`);
  const mlmodel = parseYaml(await response.text());
  if (!mlmodel || typeof mlmodel !== "object" || Array.isArray(mlmodel)) throw new Error("The MLmodel file holds no mapping.");
  return mlmodel;
}

// A registered version's MLmodel, through the registry's own route (works in every server mode).
export function versionFileUrl(name, version, path) {
  const query = new URLSearchParams({ name, version, path });
  return `${BASE}/model-versions/get-artifact?${query}`;
}

function decode(field) {
  if (field === null || field === undefined || field === "") return null;
  if (typeof field !== "string") return field;
  return JSON.parse(field);
}

// A type as one line: "double", "array<string>", "object{a: long}", "float32 tensor (-1, 28)".
export function describeType(spec) {
  if (!spec || typeof spec !== "object") return String(spec ?? "");
  if (spec.type === "tensor") {
    const tensor = spec["tensor-spec"] || {};
    return `${tensor.dtype || "?"} tensor (${(tensor.shape || []).join(", ")})`;
  }
  if (spec.type === "array") return `array<${describeType(spec.items)}>`;
  if (spec.type === "map") return `map<string, ${describeType(spec.values)}>`;
  if (spec.type === "object") {
    const fields = Object.entries(spec.properties || {}).map(([key, value]) => `${key}: ${describeType(value)}`);
    return `object{${fields.join(", ")}}`;
  }
  return String(spec.type ?? "");
}

// Rows {name, type, required} of an input or output schema; unnamed specs are numbered.
export function schemaRows(specs) {
  return (specs || []).map((spec, index) => ({
    name: spec.name ?? `#${index}`,
    type: describeType(spec),
    required: spec.type === "tensor" ? null : spec.required !== false,
  }));
}

// Rows {name, type, required: null, default} of inference params.
export function paramRows(specs) {
  return (specs || []).map((spec) => ({
    name: spec.name,
    type: spec.shape ? `${spec.type} (${spec.shape.join(", ")})` : String(spec.type),
    required: null,
    default: spec.default === undefined ? "" : JSON.stringify(spec.default),
  }));
}

// {inputs, outputs, params} as rows, or null when the package has no signature.
export function signatureOf(mlmodel) {
  const signature = mlmodel && mlmodel.signature;
  if (!signature) return null;
  try {
    return {
      inputs: schemaRows(decode(signature.inputs)),
      outputs: schemaRows(decode(signature.outputs)),
      params: paramRows(decode(signature.params)),
    };
  } catch (error) {
    throw new Error(`The signature in MLmodel is not valid JSON: ${error.message}`);
  }
}

// Flavors as [{name, details: [[key, value]...]}], python_function last (it is the loader
// every package has; the library flavor is what people look for).
export function flavorsOf(mlmodel) {
  const flavors = Object.entries((mlmodel && mlmodel.flavors) || {}).map(([name, fields]) => ({
    name,
    details: Object.entries(fields || {}).filter(([, value]) => value !== null && typeof value !== "object"),
  }));
  return flavors.sort((a, b) => Number(a.name === "python_function") - Number(b.name === "python_function"));
}
