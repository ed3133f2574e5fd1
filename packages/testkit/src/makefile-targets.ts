/** The explicit targets a Makefile defines (`name other: deps`), not variable assignments (`X := …`). */
export function makefileTargets(makefile: string): Set<string> {
  const targets = new Set<string>();
  for (const line of makefile.split('\n')) {
    const m = /^([A-Za-z0-9_.][\w.\- ]*?)\s*::?(?!=)/.exec(line);
    if (!m || line.startsWith('\t')) continue;
    for (const name of (m[1] ?? '').split(/\s+/)) if (name && !name.startsWith('.')) targets.add(name);
  }
  return targets;
}
