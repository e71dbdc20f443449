// CSV export of the runs table, built in the browser from the rows it has loaded.

// RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so that a spreadsheet opening the
// file does not run a run's text as a formula.
export function csvField(value) {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// header: list of column titles; rows: arrays of raw values, in the same order.
export function toCsv(header, rows) {
  const lines = [header.map(csvField).join(",")];
  for (const row of rows) lines.push(row.map(csvField).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

// Offer text as a file download, without a round trip to the server.
export function download(text, filename, type = "text/csv") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
