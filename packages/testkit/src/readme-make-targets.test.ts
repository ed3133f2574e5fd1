// The make targets the READMEs name exist in the Makefile (a renamed or dropped target fails here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { makefileTargets } from './makefile-targets.js';
import { mentionedMakeTargets } from './mentioned-make-targets.js';

const REPO = new URL('../../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, REPO), 'utf8');

describe('make targets named in the READMEs', () => {
  const defined = makefileTargets(read('Makefile'));
  for (const doc of ['README.md', 'infra/lab/README.md']) {
    it(`every \`make <target>\` in ${doc} is a Makefile target`, () => {
      const missing = mentionedMakeTargets(read(doc)).filter((t) => !defined.has(t));
      assert.deepEqual(missing, [], `${doc} names make targets the Makefile lacks: ${missing.join(', ')}`);
    });
  }

  it('README.md names the targets a newcomer runs', () => {
    const named = mentionedMakeTargets(read('README.md'));
    for (const t of ['run', 'test', 'lab-up']) assert.ok(named.includes(t), `README.md no longer names make ${t}`);
  });
});
