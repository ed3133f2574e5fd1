import { markdownCode } from './markdown-code.js';

/**
 * The make targets a Markdown document names in its code (spans and blocks): the words after `make` up to
 * the first one that is not a target, e.g. `make lab-up [VMS=4]` → lab-up, `LIBVIRT_URI=… make run` → run.
 */
export function mentionedMakeTargets(markdown: string): string[] {
  const { blocks, spans } = markdownCode(markdown);
  // A shell comment names no target: `make run   # starts … make it …`.
  const lines = [...spans, ...blocks.flatMap((b) => b.text.split('\n'))].map((l) => l.replace(/(^|\s)#.*$/, ''));
  const targets = new Set<string>();
  for (const line of lines) {
    for (const m of line.matchAll(/(?:^|[\s;&|(])make((?:\s+[A-Za-z0-9][\w.-]*(?=\s|$))+)/g)) {
      for (const word of (m[1] ?? '').trim().split(/\s+/)) targets.add(word);
    }
  }
  return [...targets];
}
