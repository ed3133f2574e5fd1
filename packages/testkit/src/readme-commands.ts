import { markdownCode } from './markdown-code.js';

const SHELL_LANGS = new Set(['sh', 'bash', 'shell']);

/**
 * The command lines of a README's ```sh blocks that start with `prefix` (e.g. 'npx ballast '), as written,
 * less a trailing `# comment`; a line continued with `\` is joined with the next, as the shell does.
 */
export function readmeCommands(markdown: string, prefix: string): string[] {
  const lines = markdownCode(markdown)
    .blocks.filter((b) => SHELL_LANGS.has(b.lang))
    .flatMap((b) => b.text.replaceAll('\\\n', '').split('\n'));
  return lines.map(withoutComment).filter((line) => line.startsWith(prefix));
}

/** Drops a shell comment: `#` at the start of a word, outside quotes, to the end of the line. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i).trimEnd();
    }
  }
  return line.trimEnd();
}
