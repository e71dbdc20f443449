// A small YAML reader: the subset that MLmodel, conda.yaml and python_env.yaml files use, as
// PyYAML writes them. Block mappings and sequences (also "- " at the key's own indentation),
// plain, quoted (folded over several lines) and block (| >) scalars, flow [..] {..}
// collections, comments. No anchors, tags or multiple documents: the browser only needs to
// read model packages, and a YAML library would be the UI's only dependency.

export class YamlError extends Error {}

const SKIPPED = /^\s*(#.*)?$|^(---|\.\.\.|%)/;

function indentOf(line) {
  return line.length - line.trimStart().length;
}

function isSequenceItem(content) {
  return content === "-" || content.startsWith("- ");
}

// A plain scalar without its trailing " # comment".
function stripComment(text) {
  const match = /(^|\s)#/.exec(text);
  return (match ? text.slice(0, match.index) : text).trim();
}

// Plain scalars resolved as YAML 1.1 core types, as PyYAML reads them.
export function typedScalar(text) {
  if (["", "~", "null", "Null", "NULL"].includes(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return NaN;
  return text;
}

// Index of the quote closing the string opened at 0, or -1 ('' is an escaped single quote).
function closingQuote(text, quote) {
  for (let i = 1; i < text.length; i += 1) {
    if (quote === '"' && text[i] === "\\") i += 1;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i += 1;
      else return i;
    }
  }
  return -1;
}

const ESCAPES = { n: "\n", t: "\t", r: "\r", 0: "\0", '"': '"', "\\": "\\", "/": "/", " ": " ", e: "\x1b" };

function unquote(body, quote) {
  if (quote === "'") return body.replace(/''/g, "'");
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, code) => {
    if (code.length > 1) return String.fromCodePoint(parseInt(code.slice(1), 16));
    return code in ESCAPES ? ESCAPES[code] : code;
  });
}

// Continuation lines of a folded scalar: a line break is a space, an empty line a newline.
function fold(text, next) {
  if (next === "") return `${text}\n`;
  return text.endsWith("\n") ? text + next : `${text} ${next}`;
}

class Reader {
  constructor(text) {
    this.lines = text.replace(/\r\n?/g, "\n").split("\n");
    this.index = 0;
  }

  fail(message) {
    throw new YamlError(`line ${this.index + 1}: ${message}`);
  }

  skipBlank() {
    while (this.index < this.lines.length && SKIPPED.test(this.lines[this.index])) this.index += 1;
    return this.index < this.lines.length;
  }

  block(indent) {
    const content = this.lines[this.index].slice(indent);
    if (isSequenceItem(content)) return this.sequence(indent);
    if (splitKey(content)) return this.mapping(indent);
    this.index += 1;
    return this.value(content, indent - 1);
  }

  mapping(indent) {
    const out = {};
    while (this.skipBlank()) {
      const line = this.lines[this.index];
      const own = indentOf(line);
      if (own < indent || (own === indent && isSequenceItem(line.slice(own)))) break;
      if (own > indent) this.fail("unexpected indentation");
      const pair = splitKey(line.slice(own));
      if (!pair) this.fail(`expected "key: value", found ${JSON.stringify(line.trim())}`);
      this.index += 1;
      out[pair.key] = this.value(pair.rest, indent);
    }
    return out;
  }

  sequence(indent) {
    const out = [];
    while (this.skipBlank()) {
      const line = this.lines[this.index];
      if (indentOf(line) !== indent || !isSequenceItem(line.slice(indent))) break;
      const rest = line.slice(indent + 1).trimStart();
      const column = line.length - rest.length;
      if (rest && (isSequenceItem(rest) || splitKey(rest))) {
        // "- key: value" opens a mapping (or "- - x" a sequence) at the item's column
        this.lines[this.index] = " ".repeat(column) + rest;
        out.push(this.block(column));
      } else {
        this.index += 1;
        out.push(this.value(rest, indent));
      }
    }
    return out;
  }

  // The value after "key:" or "- "; `indent` is the owner's, nested blocks are deeper.
  value(rest, indent) {
    const text = rest.trim();
    if (text === "" || text.startsWith("#")) return this.nested(indent);
    if (text[0] === "'" || text[0] === '"') return this.quoted(text);
    if (text[0] === "|" || text[0] === ">") return this.blockScalar(text, indent);
    if (text[0] === "[" || text[0] === "{") return this.flow(text);
    let plain = stripComment(text);
    while (this.index < this.lines.length) {
      const line = this.lines[this.index];
      if (line.trim() !== "" && (indentOf(line) <= indent || line.trim().startsWith("#"))) break;
      if (line.trim() === "" && !this.continuesAfterBlank(indent)) break;
      plain = fold(plain, stripComment(line.trim()));
      this.index += 1;
    }
    return typedScalar(plain.trim());
  }

  continuesAfterBlank(indent) {
    const next = this.lines.slice(this.index).find((line) => line.trim() !== "");
    return next !== undefined && indentOf(next) > indent && !next.trim().startsWith("#");
  }

  nested(indent) {
    if (!this.skipBlank()) return null;
    const line = this.lines[this.index];
    const own = indentOf(line);
    if (own > indent) return this.block(own);
    if (own === indent && isSequenceItem(line.slice(own))) return this.sequence(own);
    return null;
  }

  quoted(text) {
    const quote = text[0];
    let gathered = text;
    while (closingQuote(gathered, quote) < 0) {
      if (this.index >= this.lines.length) this.fail("unterminated quoted string");
      gathered = fold(gathered, this.lines[this.index].trim());
      this.index += 1;
    }
    const end = closingQuote(gathered, quote);
    if (stripComment(gathered.slice(end + 1)) !== "") this.fail("text after a quoted string");
    return unquote(gathered.slice(1, end), quote);
  }

  blockScalar(header, indent) {
    const folded = header[0] === ">";
    const chomp = header.includes("-") ? "strip" : header.includes("+") ? "keep" : "clip";
    const lines = [];
    let blockIndent = null;
    while (this.index < this.lines.length) {
      const line = this.lines[this.index];
      if (line.trim() === "") {
        lines.push("");
      } else {
        if (blockIndent === null) blockIndent = indentOf(line);
        if (indentOf(line) < blockIndent || indentOf(line) <= indent) break;
        lines.push(line.slice(blockIndent));
      }
      this.index += 1;
    }
    let body = folded
      ? lines.reduce((text, line, i) => (i === 0 ? line : fold(text, line)), "")
      : lines.join("\n");
    const trailing = body.length - body.replace(/\n+$/, "").length;
    body = body.replace(/\n+$/, "");
    if (chomp === "clip") return `${body}\n`;
    if (chomp === "keep") return body + "\n".repeat(trailing + 1);
    return body;
  }

  flow(text) {
    let gathered = stripFlowComment(text);
    while (!balanced(gathered) && this.index < this.lines.length) {
      gathered += ` ${stripFlowComment(this.lines[this.index].trim())}`;
      this.index += 1;
    }
    const parser = new FlowParser(gathered, (message) => this.fail(message));
    const value = parser.value();
    parser.end();
    return value;
  }
}

// "key: rest" (the key plain or quoted), or null when the line is no mapping entry.
function splitKey(content) {
  if (content[0] === "'" || content[0] === '"') {
    const end = closingQuote(content, content[0]);
    if (end < 0 || content[end + 1] !== ":") return null;
    const after = content.slice(end + 2);
    if (after && !/^\s/.test(after)) return null;
    return { key: unquote(content.slice(1, end), content[0]), rest: after };
  }
  if (/^[[{#]/.test(content)) return null;
  const match = /:(\s|$)/.exec(content);
  if (!match) return null;
  return { key: content.slice(0, match.index).trim(), rest: content.slice(match.index + 1) };
}

function stripFlowComment(text) {
  return text.replace(/\s#[^'"]*$/, "");
}

function balanced(text) {
  let depth = 0;
  let quote = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i += 1;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "[" || c === "{") depth += 1;
    else if (c === "]" || c === "}") depth -= 1;
  }
  return depth <= 0 && quote === null;
}

class FlowParser {
  constructor(text, fail) {
    this.text = text;
    this.at = 0;
    this.fail = fail;
  }

  space() {
    while (/\s/.test(this.text[this.at] || "")) this.at += 1;
  }

  end() {
    this.space();
    if (this.at < this.text.length) this.fail(`unexpected ${JSON.stringify(this.text.slice(this.at))}`);
  }

  value() {
    this.space();
    const c = this.text[this.at];
    if (c === "[") return this.collection("]", () => this.value());
    if (c === "{") return this.collection("}", null);
    if (c === "'" || c === '"') {
      const rest = this.text.slice(this.at);
      const end = closingQuote(rest, c);
      if (end < 0) this.fail("unterminated quoted string");
      this.at += end + 1;
      return unquote(rest.slice(1, end), c);
    }
    const match = /^[^,\]}]*/.exec(this.text.slice(this.at));
    this.at += match[0].length;
    return typedScalar(match[0].trim());
  }

  // A [list] (with `item`) or a {map} (item null: key: value pairs).
  collection(close, item) {
    const out = item ? [] : {};
    this.at += 1;
    for (;;) {
      this.space();
      if (this.text[this.at] === close) {
        this.at += 1;
        return out;
      }
      if (item) out.push(item());
      else this.pair(out);
      this.space();
      if (this.text[this.at] === ",") this.at += 1;
      else if (this.text[this.at] !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  pair(out) {
    this.space();
    const c = this.text[this.at];
    let key;
    if (c === "'" || c === '"') {
      key = String(this.value());
    } else {
      const match = /^[^:,}]*/.exec(this.text.slice(this.at));
      this.at += match[0].length;
      key = match[0].trim();
    }
    this.space();
    if (this.text[this.at] === ":") {
      this.at += 1;
      out[key] = this.value();
    } else {
      out[key] = null;
    }
  }
}

// The document's value (null for an empty document); throws YamlError on what it cannot read.
export function parseYaml(text) {
  const reader = new Reader(text);
  if (!reader.skipBlank()) return null;
  const value = reader.block(indentOf(reader.lines[reader.index]));
  if (reader.skipBlank()) reader.fail("unexpected content after the document");
  return value;
}
