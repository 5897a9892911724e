/**
 * Just enough of Markdown and of the shell to check the documentation (test/docs.test.ts): fenced code
 * blocks, headings and their anchors by GitHub's slug rule, links, and the words of a command line.
 */

export interface CodeBlock {
  lang: string;
  lines: string[];
}

/** The text's lines outside fenced code blocks, and its fenced blocks (indented fences included). */
export function splitFences(text: string): { prose: string[]; blocks: CodeBlock[] } {
  const prose: string[] = [];
  const blocks: CodeBlock[] = [];
  let open: { indent: string; fence: string; block: CodeBlock } | undefined;
  for (const line of text.split('\n')) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open) {
      if (fence && fence[2]!.startsWith(open.fence) && line.trim() === fence[2]) open = undefined;
      else open.block.lines.push(line.startsWith(open.indent) ? line.slice(open.indent.length) : line);
    } else if (fence) {
      open = { indent: fence[1]!, fence: fence[2]!, block: { lang: fence[3]!, lines: [] } };
      blocks.push(open.block);
    } else {
      prose.push(line);
    }
  }
  return { prose, blocks };
}

/** GitHub's anchor of a heading: its text lower-cased, punctuation dropped, spaces made hyphens. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a page's headings; a repeated one gets -1, -2 … as on GitHub. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of splitFences(text).prose) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[1]!);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The targets of the page's links and images outside code (inline code spans are not links). */
export function linkTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of splitFences(text).prose) {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    for (const link of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) targets.push(link[1]!);
  }
  return targets;
}

const OPERATORS = ['&&', '||', '|', ';', '&', '>', '<'];

/**
 * The commands of one shell line, each as its words: quotes and backslashes as the shell reads them,
 * split at `&&`, `||`, `|`, `;`, `&` and redirections; a `#` starting a word ends the line.
 */
export function shellCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  let quote: string | undefined;
  const end = () => {
    if (word !== undefined) commands.at(-1)!.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < line.length) word = (word ?? '') + line[++i]!;
      else word = (word ?? '') + char;
    } else if (char === '\'' || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i]!;
    } else if (/\s/.test(char)) {
      end();
    } else if (char === '#' && word === undefined) {
      break;
    } else if (OPERATORS.some((op) => op.startsWith(char))) {
      end();
      if (OPERATORS.includes(line.slice(i, i + 2))) i++;
      commands.push([]);
    } else {
      word = (word ?? '') + char;
    }
  }
  end();
  return commands.filter((words) => words.length > 0);
}

/**
 * The command lines of the shell blocks (sh, bash, console) of a page: continuation lines joined, and
 * in a console block only the lines after a `$ ` prompt (the rest is output).
 */
export function shellLines(text: string): string[] {
  const lines: string[] = [];
  for (const block of splitFences(text).blocks) {
    if (!['sh', 'bash', 'console'].includes(block.lang)) continue;
    let pending = '';
    for (const raw of block.lines) {
      let line = raw;
      if (block.lang === 'console' && !pending) {
        if (!line.startsWith('$ ')) continue;
        line = line.slice(2);
      }
      if (line.endsWith('\\')) {
        pending += `${line.slice(0, -1)} `;
        continue;
      }
      lines.push(pending + line);
      pending = '';
    }
  }
  return lines;
}

/**
 * A command's words without what comes before the program: `NAME=value` assignments and `sudo` with its
 * options.
 */
export function programAndArgs(words: string[]): string[] {
  let i = 0;
  for (;;) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? '')) i++;
    else if (words[i] === 'sudo') {
      i++;
      while (words[i]?.startsWith('-')) i += words[i] === '-u' || words[i] === '-g' ? 2 : 1;
    } else return words.slice(i);
  }
}
