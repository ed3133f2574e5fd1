import assert from 'node:assert/strict';
import { test } from 'node:test';
import { intFlag, parseArgs, secondsFlag } from './args.js';
import { CliError } from './cli-error.js';
import { parseKeyValues } from './lab/key-values.js';

test('splits at the first -- and keeps the rest untouched', () => {
  const a = parseArgs(['lab-vm1', '--timeout', '5', '--', 'ls', '-la', '--', 'x'], { timeout: { type: 'string' } }, 'lab exec');
  assert.deepEqual(a.positionals, ['lab-vm1']);
  assert.equal(a.flags.timeout, '5');
  assert.deepEqual(a.rest, ['ls', '-la', '--', 'x']);
});

test('accepts --flag=value and booleans; no -- means rest is undefined', () => {
  const a = parseArgs(['vm', '--consume=100', '--wait'], { consume: { type: 'string' }, wait: { type: 'boolean' } }, 'lab mem');
  assert.equal(a.flags.consume, '100');
  assert.equal(a.flags.wait, true);
  assert.equal(a.rest, undefined);
});

test('unknown flags and missing values are CliErrors naming the command', () => {
  assert.throws(() => parseArgs(['vm', '--bogus'], {}, 'lab mem'), (e: unknown) => e instanceof CliError && /^lab mem: .*--bogus/.test(e.message));
  assert.throws(() => parseArgs(['vm', '--rate'], { rate: { type: 'string' } }, 'lab mem'), CliError);
});

test('intFlag validates integers and ranges', () => {
  assert.equal(intFlag({ duty: '50' }, 'duty', 0, 100), 50);
  assert.equal(intFlag({ duty: '0' }, 'duty', 0, 100), 0);
  assert.equal(intFlag({}, 'duty', 0, 100), undefined);
  for (const bad of ['101', '-1', '5.5', 'abc', '', '1e2']) {
    assert.throws(() => intFlag({ duty: bad }, 'duty', 0, 100), (e: unknown) => e instanceof CliError && e.exitCode === 2);
  }
  assert.throws(() => intFlag({ duty: true }, 'duty', 0, 100), CliError);
});

test('secondsFlag takes decimals in (0, max]', () => {
  assert.equal(secondsFlag({ timeout: '0.5' }, 'timeout', 60), 0.5);
  assert.throws(() => secondsFlag({ timeout: '0' }, 'timeout', 60), CliError);
  assert.throws(() => secondsFlag({ timeout: '61' }, 'timeout', 60), CliError);
});

test('parseKeyValues reads the guest helpers output', () => {
  assert.deepEqual(parseKeyValues('consumedMiB=100\nconsumers=0\nnote=x=y\nnoise\n'), {
    consumedMiB: 100,
    consumers: 0,
    note: 'x=y',
  });
});
