import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@mesh/testing';

// docs/guarantees.md promises only what a test proves: every test it names must exist, under that title, in that
// file. A renamed or removed test fails here until the document follows.

const squash = (text: string): string => text.replace(/\s+/g, ' ');

/** Each `file` — "title" (and "title") reference of the document. */
function references(doc: string): Array<{ file: string; title: string }> {
  const out: Array<{ file: string; title: string }> = [];
  for (const m of squash(doc).matchAll(/`([\w./-]+\.spec\.ts)` — ((?:"[^"]+"(?: and )?)+)/g))
    for (const t of (m[2] as string).matchAll(/"([^"]+)"/g)) out.push({ file: m[1] as string, title: t[1] as string });
  return out;
}

/** The title as a pattern: "…" stands for the rest, a number may be a constant interpolated into a template. */
function titlePattern(title: string): RegExp {
  const parts = title
    .split('…')
    .map((part) =>
      part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d[\d,]*/g, (n) => `(?:${n}|\\$\\{[A-Za-z_.]+\\})`),
    );
  return new RegExp(parts.join('.*?'));
}

describe('docs/guarantees.md', () => {
  const doc = readFileSync(join(WORKSPACE_ROOT, 'docs', 'guarantees.md'), 'utf8');
  const refs = references(doc);

  it('when the document is read, it names at least one test per guarantee section', () => {
    expect(refs.length).toBeGreaterThanOrEqual(25);
  });

  it('when the document names a test, that file has a test with that title', () => {
    const missing = refs.filter(({ file, title }) => {
      const path = join(WORKSPACE_ROOT, file);
      if (!existsSync(path)) return true;
      return !titlePattern(title).test(squash(readFileSync(path, 'utf8')));
    });
    expect(missing).toEqual([]);
  });
});
