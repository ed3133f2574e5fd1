import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makefileTargets } from './makefile-targets.js';
import { mentionedMakeTargets } from './mentioned-make-targets.js';
import { readmeCommands } from './readme-commands.js';

const README = [
  'Run `make run` or `LIBVIRT_URI=qemu:///system make test`; `make lab-up [VMS=4]` / `make lab-down VMS=2`.',
  '',
  '| target | does |',
  '| --- | --- |',
  '| `make bench` | benchmarks |',
  '',
  '```sh',
  'npx ballast lab health        # JSON: alive | panicked',
  "npx ballast lab exec vm -- 'echo #1'   # quoted # stays",
  'npx ballast lab mem vm \\',
  '  --free',
  'make proto   # then make it lint',
  'echo npx ballast not-a-command',
  '```',
  '',
  '```',
  'npx ballast lab list          # not a sh block',
  '```',
].join('\n');

describe('readmeCommands', () => {
  it('takes the lines of sh blocks that start with the prefix, without their trailing comment', () => {
    assert.deepEqual(readmeCommands(README, 'npx ballast '), [
      'npx ballast lab health',
      "npx ballast lab exec vm -- 'echo #1'",
      'npx ballast lab mem vm   --free',
    ]);
  });
});

describe('mentionedMakeTargets', () => {
  it('names the targets after make in code spans and blocks, not variables, options or comments', () => {
    assert.deepEqual(mentionedMakeTargets(README).sort(), ['bench', 'lab-down', 'lab-up', 'proto', 'run', 'test']);
  });
});

describe('makefileTargets', () => {
  it('lists rule targets, not assignments, recipes or special targets', () => {
    const makefile = ['SHELL := /bin/bash', 'VMS ?= 4', '.PHONY: a b', 'a b: c', '\t@echo x: y', 'c:', 'd:: a'].join('\n');
    assert.deepEqual([...makefileTargets(makefile)].sort(), ['a', 'b', 'c', 'd']);
  });
});
