import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinPolicies } from '../registry.js';
import { defaultVcpuBalanceArgs } from './args.js';
import { vcpuBalancePolicy } from './index.js';
import { vcpuInFlightRule } from './in-flight.js';
import { args, cpuVm, pinJobRecord, snap } from './test-kit.js';
import { validateVcpuBalanceArgs } from './validate.js';

test('validate: an empty document gets every default of args.ts', () => {
  const a = args();
  assert.deepEqual(a, defaultVcpuBalanceArgs());
  assert.deepEqual(
    { vm: a.defaults, host: a.host, control: a.control, adoptForeignPins: a.adoptForeignPins },
    {
      vm: { automation: 'auto' },
      host: { thresholdStdDevPercent: 5, minGainPercent: 10, idleTotalPercent: 10, maxPinChangesPerCycle: 4, urgentStdDevPercent: 20, minPinDwellMs: 120000 },
      control: { smoothingSamples: 5, steadySamples: 10, warmupSamples: 3, noiseMarginStdErrors: 2 },
      adoptForeignPins: false,
    },
  );
  assert.deepEqual(args(null), defaultVcpuBalanceArgs());
});

test('validate: every issue is returned, each naming its field', () => {
  const v = validateVcpuBalanceArgs({
    defaults: { automation: 'yes', shares: 3 },
    groups: [{ match: {} }, { match: { names: ['a'] }, automation: 'off', extra: 1 }, 'x'],
    host: { thresholdStdDevPercent: -1, maxPinChangesPerCycle: 0.5 },
    hosts: { h2: { minGainPercent: 101 } },
    control: { smoothingSamples: 0, warmupSample: 3 },
    labels: { db: { tier: 3 } },
    adoptForeignPins: 'yes',
    extra: true,
  });
  assert.equal(v.ok, false);
  if (v.ok) return;
  const fields = v.issues.map((i) => i.field).sort();
  assert.deepEqual(fields, [
    'adoptForeignPins',
    'control.smoothingSamples',
    'control.warmupSample',
    'defaults.automation',
    'defaults.shares',
    'extra',
    'groups[0].match',
    'groups[1].extra',
    'groups[2]',
    'host.maxPinChangesPerCycle',
    'host.thresholdStdDevPercent',
    'hosts.h2.minGainPercent',
    'labels.db.tier',
  ]);
  assert.equal(validateVcpuBalanceArgs('nope').ok, false);
});

test('validate: groups, labels and per-host overrides are kept as given', () => {
  const a = args({ groups: [{ name: 'rt', match: { labels: { tier: 'rt' } }, automation: 'off' }], labels: { db: { tier: 'rt' } }, hosts: { h2: { maxPinChangesPerCycle: 8 } }, adoptForeignPins: true });
  assert.deepEqual(a.groups, [{ name: 'rt', match: { labels: { tier: 'rt' } }, automation: 'off' }]);
  assert.deepEqual(a.labels, { db: { tier: 'rt' } });
  assert.deepEqual(a.hosts, { h2: { maxPinChangesPerCycle: 8 } });
  assert.equal(a.adoptForeignPins, true);
});

test('the policy: registered after memory-balloon (order 400), before cluster-balance, with its in-flight rule', () => {
  assert.equal(vcpuBalancePolicy.name, 'vcpu-balance');
  assert.equal(vcpuBalancePolicy.order, 400);
  const order = builtinPolicies().runOrder();
  assert.deepEqual(order.slice(-2), ['vcpu-balance', 'cluster-balance'], order.join(', '));
  assert.equal(vcpuBalancePolicy.inFlight, vcpuInFlightRule);
});

test('in flight: a pin settles once the samples show the vCPU on the job’s pCPUs (or the VM is gone)', () => {
  const vm = cpuVm('a', { usage: [50, 10], on: [0, 1], affinity: [[0, 1], [1]] });
  const s = snap([vm]);
  assert.equal(vcpuInFlightRule.settled(pinJobRecord(vm, 0, [1]), s), false);
  assert.equal(vcpuInFlightRule.settled(pinJobRecord(vm, 1, [1]), s), true);
  assert.equal(vcpuInFlightRule.settled(pinJobRecord(vm, 0, [1]), snap([])), true);
  assert.ok(vcpuInFlightRule.pendingMs >= 10_000 && vcpuInFlightRule.settleMs >= 4_000);
});
