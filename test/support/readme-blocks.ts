/**
 * Reads the README as a user does: its sections and their fenced code blocks, each block split into
 * the commands a person would paste one by one (a line, with its `\` continuations) and the `#`
 * comment lines between them, which either explain or show what the command before prints.
 */

export interface ReadmeBlock {
  /** The heading the block sits under (`## Quick start` → `Quick start`). */
  readonly section: string;
  readonly language: string;
  readonly text: string;
}

export type WalkthroughStep =
  | { readonly kind: 'command'; readonly text: string }
  | { readonly kind: 'comment'; readonly text: string };

/** Every fenced block of a Markdown document, with the nearest heading above it. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  let section = '';
  let open: { language: string; lines: string[] } | null = null;
  for (const line of markdown.split('\n')) {
    if (open !== null) {
      if (line.startsWith('```')) {
        blocks.push({ section, language: open.language, text: open.lines.join('\n') });
        open = null;
      } else open.lines.push(line);
      continue;
    }
    const fence = /^```(\w*)/.exec(line);
    if (fence) open = { language: fence[1] ?? '', lines: [] };
    else if (/^#{1,6} /.test(line)) section = line.replace(/^#+ /, '').trim();
  }
  return blocks;
}

/** The shell blocks of the named sections, in document order. */
export function shellBlocksOf(blocks: readonly ReadmeBlock[], sections: readonly string[]): ReadmeBlock[] {
  return blocks.filter((block) => block.language === 'sh' && sections.includes(block.section));
}

/** A shell block as steps: commands (continuation lines joined) and comment lines. */
export function walkthroughSteps(block: string): WalkthroughStep[] {
  const steps: WalkthroughStep[] = [];
  let pending: string[] = [];
  for (const line of block.split('\n')) {
    if (pending.length === 0) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      if (trimmed.startsWith('#')) {
        steps.push({ kind: 'comment', text: trimmed.replace(/^#\s?/, '') });
        continue;
      }
    }
    pending.push(line);
    if (!line.endsWith('\\')) {
      steps.push({ kind: 'command', text: pending.join('\n') });
      pending = [];
    }
  }
  if (pending.length > 0) steps.push({ kind: 'command', text: pending.join('\n') });
  return steps;
}

/** The `<…>` placeholders and `…` ellipses a command still holds after substitution. */
export function unresolvedPlaceholders(command: string): string[] {
  // `<` followed by a letter: a placeholder such as `<id>`; shell redirections (`< file`, `<<`) never are.
  return [...command.matchAll(/<[A-Za-z][^<>\n]*>|[^\s'"]*…[^\s'"]*/g)].map((match) => match[0]);
}

/**
 * Whether `actual` holds everything the documented output shows: every field of an object (values
 * equal, or for a documented string ending in `…`, starting with what precedes it), every element
 * of an array in order.
 */
export function matchesDocumented(actual: unknown, documented: unknown): boolean {
  if (typeof documented === 'string') {
    if (typeof actual !== 'string') return false;
    return documented.endsWith('…') ? actual.startsWith(documented.slice(0, -1)) : actual === documented;
  }
  if (Array.isArray(documented)) {
    return (
      Array.isArray(actual) &&
      documented.every((item, index) => index < actual.length && matchesDocumented(actual[index], item))
    );
  }
  if (documented !== null && typeof documented === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(documented).every(([key, value]) =>
      matchesDocumented((actual as Record<string, unknown>)[key], value),
    );
  }
  return actual === documented;
}
