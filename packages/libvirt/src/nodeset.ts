/**
 * libvirt's nodeset (and cpuset) strings, e.g. "0-1,3" or "0-3,^2": comma-separated ids and
 * inclusive ranges, where "^n" removes an id named before it. libvirt itself reports the short
 * form without exclusions, and "" for "not set".
 */

const ENTRY = /^(\^)?(\d+)(?:-(\d+))?$/;

/** "0-1,3" → [0, 1, 3] (ascending, unique); "" → []. Throws a RangeError naming the bad entry. */
export function parseNodeset(text: string): number[] {
  const ids = new Set<number>();
  if (text.trim() === '') return [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const m = ENTRY.exec(entry);
    const first = Number(m?.[2]);
    const last = m?.[3] === undefined ? first : Number(m[3]);
    if (!m || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first || (m[1] && m[3] !== undefined)) {
      throw new RangeError(`invalid nodeset '${text}': bad entry '${entry}' (expected n, n-m or ^n)`);
    }
    if (m[1]) ids.delete(first);
    else for (let id = first; id <= last; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** [3, 0, 1] → "0-1,3"; [] → "". Throws a RangeError unless every id is a non-negative integer. */
export function formatNodeset(ids: readonly number[]): string {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`invalid nodeset: ${String(id)} is not a non-negative integer`);
  }
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i] as number;
    let last = first;
    while (sorted[i + 1] === last + 1) last = sorted[++i] as number;
    i++;
    parts.push(last === first ? `${first}` : `${first}-${last}`);
  }
  return parts.join(',');
}
