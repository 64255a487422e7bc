/**
 * What the pages' "Export CSV/JSON" and "Save" buttons share: one CSV cell, a file-name time
 * stamp and handing the text to the browser as a download.
 */

/**
 * One CSV cell, Excel-safe: a formula-leading value (= + - @ tab CR) is prefixed with ' so a
 * spreadsheet shows it as text; a value holding a quote, comma or line break is quoted.
 */
export function csvCell(v: unknown): string {
  const s =
    v === null || v === undefined
      ? ''
      : Array.isArray(v)
        ? v.join(' ')
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v as string | number | boolean);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A UTC time for a file name, without characters file systems refuse: `2026-12-02-15-20-07`. */
export function fileStamp(at: Date = new Date()): string {
  return at.toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

/** Offers `text` as a file download named `name` (the object URL is released once the click is handled). */
export function downloadText(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
