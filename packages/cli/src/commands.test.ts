import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from './cli-error.js';
import { commands, usage } from './commands.js';

const names = commands.map((c) => c.name);

test('the operator commands and lab, each once, all in the usage', () => {
  for (const n of ['status', 'hosts', 'vms', 'jobs', 'decisions', 'recommendations', 'approve', 'reject', 'maintenance', 'placement', 'policy', 'token', 'audit', 'lab']) {
    assert.ok(names.includes(n), n);
  }
  assert.equal(new Set(names).size, names.length);
  const text = usage();
  for (const n of names) assert.match(text, new RegExp(`^  ${n} `, 'm'));
  assert.match(text, /exit codes: 0 ok; 1 .*; 2 usage error;\n  3 the API cannot be reached; 4 the API refused/);
});

test('a group rejects an unknown subcommand with a usage error', async () => {
  const jobs = commands.find((c) => c.name === 'jobs');
  await assert.rejects(jobs?.run(['delete', 'x']) ?? Promise.reject(new Error('no jobs')), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /unknown jobs subcommand 'delete'/.test(e.message));
});
