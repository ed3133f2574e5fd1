import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_KSM_KNOBS, defaultKsmArgs } from './args.js';
import { knobsForHost } from './host-knobs.js';
import { validateKsmArgs } from './validate.js';

test('validate: an empty document gets every default of args.ts', () => {
  const v = validateKsmArgs(undefined);
  assert.ok(v.ok);
  assert.deepEqual(v.args, defaultKsmArgs());
  assert.equal(v.args.host.onFreePercent, 20);
  assert.equal(v.args.host.pagesToScanMin, 64);
  assert.equal(v.args.host.pagesToScanMax, 1250);
  assert.equal(v.args.hosts, null);
});

test('validate: every issue is returned, each naming its field', () => {
  const v = validateKsmArgs({
    hosts: 'h1',
    host: { onFreePercent: 120, pagesToScanMax: 200_000, sleepMillisecsMin: 5, gainWindowMs: 700_000, automation: 'yes', onFreMiB: 1 },
    overrides: { h2: { pagesToScanMin: 2000 }, h3: 7 },
    extra: true,
  });
  assert.ok(!v.ok);
  const fields = v.issues.map((i) => i.field).sort();
  assert.deepEqual(fields, [
    'extra',
    'host.automation',
    'host.gainWindowMs',
    'host.onFreMiB',
    'host.onFreePercent',
    'host.pagesToScanMax',
    'host.sleepMillisecsMin',
    'hosts',
    'overrides.h2.pagesToScanMin',
    'overrides.h3',
  ]);
  const msg = (f: string) => v.issues.find((i) => i.field === f)?.message;
  assert.equal(msg('host.pagesToScanMax'), 'must be ≤ 100000', "set-ksm's own bound");
  assert.equal(msg('host.sleepMillisecsMin'), 'must be ≥ 10', "set-ksm's own bound");
  assert.match(msg('overrides.h2.pagesToScanMin') ?? '', /must be ≤ pagesToScanMax \(1250\)/);
});

test('validate: knobs that must agree are checked once merged, per host', () => {
  const cases: [unknown, string][] = [
    [{ host: { onFreePercent: 4 } }, 'host.fullPressureFreePercent'],
    [{ host: { sleepMillisecsMin: 30 } }, 'host.sleepMillisecsMin'],
    [{ host: { onFreePercent: 98 } }, 'host.hysteresisPercent'],
    [{ host: { onFreePercent: 0, onCommittedPercent: null } }, 'host.onFreePercent'],
    [{ host: { onCommittedPercent: 4 } }, 'host.onCommittedPercent'],
    [{ host: { hysteresisPercent: 0 } }, 'host.hysteresisPercent'],
    [{ host: { onFreeMiB: -1 } }, 'host.onFreeMiB'],
    [{ host: { gainWindowFullScans: 1.5 } }, 'host.gainWindowFullScans'],
    [{ host: { pagesToScanMin: null } }, 'host.pagesToScanMin'],
    [{ hosts: [] }, 'hosts'],
    [{ overrides: { h1: { onFreePercent: 3 } } }, 'overrides.h1.fullPressureFreePercent'],
    ['nope', ''],
  ];
  for (const [doc, field] of cases) {
    const v = validateKsmArgs(doc);
    assert.ok(!v.ok, JSON.stringify(doc));
    assert.ok(v.issues.some((i) => i.field === field), `${JSON.stringify(doc)} → ${JSON.stringify(v.issues)}`);
  }
  assert.ok(validateKsmArgs({ host: { onFreePercent: 0, onFreeMiB: 4096, fullPressureFreePercent: 0 } }).ok, 'a MiB line alone');
  assert.ok(validateKsmArgs({ host: { onFreeMiB: null, onCommittedPercent: null } }).ok, 'nullable knobs');
});

test('knobs per host: overrides over host; a host outside `hosts` or with automation off is not managed', () => {
  const v = validateKsmArgs({ hosts: ['h1', 'h2'], host: { onFreePercent: 30 }, overrides: { h2: { onFreePercent: 10, automation: 'off' } } });
  assert.ok(v.ok);
  const h1 = knobsForHost(v.args, 'h1');
  assert.equal(h1.managed, true);
  assert.equal(h1.knobs.onFreePercent, 30);
  assert.equal(h1.knobs.pagesToScanMax, DEFAULT_KSM_KNOBS.pagesToScanMax);
  const h2 = knobsForHost(v.args, 'h2');
  assert.equal(h2.managed, false);
  assert.equal(h2.knobs.onFreePercent, 10);
  assert.equal(knobsForHost(v.args, 'h3').managed, false);
});
