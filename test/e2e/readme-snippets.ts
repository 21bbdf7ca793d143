/**
 * The README's Install snippets, read from the README itself, so the specs that run them
 * (package.spec.ts: npm; cdn.spec.ts: script tag and GA4 dataLayer; consent.spec.ts:
 * consent) fail when the documented code stops working.
 */
import { readFileSync } from 'node:fs';

function installSection(): string {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Install');
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0) throw new Error('README.md has no "## Install" section');
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The n-th fenced block of a language in the Install section. */
export function readmeSnippet(lang: 'ts' | 'js' | 'html', n = 0): string {
  const blocks = [...installSection().matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
  if (blocks[n] === undefined) throw new Error(`README.md Install section has no ${lang} block #${n}`);
  return blocks[n];
}

/** The placeholder CDN folder the README's script-tag snippet uses. */
export const README_CDN = 'https://cdn.example/localrec/';
