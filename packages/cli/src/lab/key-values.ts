/** Parses `key=value` words/lines (the guest helpers' output) into numbers where they are numbers. */
export function parseKeyValues(text: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const word of text.split(/\s+/)) {
    const eq = word.indexOf('=');
    if (eq <= 0) continue;
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    out[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return out;
}
