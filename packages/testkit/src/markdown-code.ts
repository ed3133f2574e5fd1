import MarkdownIt from 'markdown-it';

export interface MarkdownCode {
  /** Fenced and indented code blocks, in document order; `lang` is the fence's first info word ('' if none). */
  blocks: { lang: string; text: string }[];
  /** Inline code spans (`like this`), in document order, tables included. */
  spans: string[];
}

/** The code in a Markdown document, as markdown-it parses it (CommonMark + tables). */
export function markdownCode(markdown: string): MarkdownCode {
  const code: MarkdownCode = { blocks: [], spans: [] };
  for (const token of new MarkdownIt().parse(markdown, {})) {
    if (token.type === 'fence' || token.type === 'code_block') {
      code.blocks.push({ lang: token.info.trim().split(/\s+/)[0] ?? '', text: token.content });
    }
    for (const child of token.children ?? []) {
      if (child.type === 'code_inline') code.spans.push(child.content);
    }
  }
  return code;
}
