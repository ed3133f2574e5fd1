// The binding must report the same numbers as virsh. virsh runs in its own process, so each side
// gets a fresh copy of the test driver's state: compare before this file changes anything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { parseCapabilities } from './capabilities.js';
import type { Connection } from './connection.js';
import { DomainStats } from './constants.js';
import { toVmState } from './domain-state.js';
import { open } from './open.js';
import { cpuList, virsh, virshDomstats, virshFields, writeTestNode, type TestNode } from './test-helpers.js';

const DEFAULT = 'test:///default';
const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';

/** "8388608 KiB" → 8388608 */
const kib = (text: string | undefined) => Number(/^(\d+) KiB$/.exec(text ?? '')?.[1]);

describe('virsh parity on test:///default', () => {
  let conn: Connection;
  before(async () => {
    conn = await open(DEFAULT);
  });
  after(() => conn.close());

  test('dominfo', async () => {
    const v = virshFields(virsh(DEFAULT, 'dominfo', 'test'));
    const summary = await conn.lookupByName('test');
    const info = await conn.getDomainInfo(summary.uuid);
    assert.equal(Number(v.get('Id')), summary.id);
    assert.equal(v.get('Name'), summary.name);
    assert.equal(v.get('UUID'), summary.uuid);
    assert.equal(v.get('State'), toVmState(info.state));
    assert.equal(Number(v.get('CPU(s)')), info.nrVirtCpu);
    assert.equal(kib(v.get('Max memory')), info.maxMemKiB);
    assert.equal(kib(v.get('Used memory')), info.memoryKiB);
    assert.equal(v.get('Persistent'), summary.persistent ? 'yes' : 'no');
    // The test driver derives CPU time from the wall clock: equal within the seconds between calls.
    const virshCpuSec = Number(v.get('CPU time')?.replace(/s$/, ''));
    assert.ok(Math.abs(virshCpuSec - info.cpuTimeNs / 1e9) < 30, `${virshCpuSec} vs ${info.cpuTimeNs / 1e9}`);
  });

  test('nodeinfo', async () => {
    const v = virshFields(virsh(DEFAULT, 'nodeinfo'));
    const n = await conn.getNodeInfo();
    assert.equal(v.get('CPU model'), n.model);
    assert.equal(Number(v.get('CPU(s)')), n.cpus);
    assert.equal(v.get('CPU frequency'), `${n.mhz} MHz`);
    assert.equal(Number(v.get('CPU socket(s)')), n.sockets);
    assert.equal(Number(v.get('Core(s) per socket')), n.cores);
    assert.equal(Number(v.get('Thread(s) per core')), n.threads);
    assert.equal(Number(v.get('NUMA cell(s)')), n.nodes);
    assert.equal(kib(v.get('Memory size')), n.memoryKiB);
  });

  test('hostname and capabilities', async () => {
    assert.equal(virsh(DEFAULT, 'hostname').trim(), await conn.getHostname());
    assert.deepEqual(parseCapabilities(virsh(DEFAULT, 'capabilities')), parseCapabilities(await conn.getCapabilities()));
    const caps = parseCapabilities(await conn.getCapabilities());
    assert.deepEqual(caps.cells.map((c) => c.cpus.length), [8, 8]);
  });

  test('vcpupin', async () => {
    const rows = virsh(DEFAULT, 'vcpupin', 'test')
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S+)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => cpuList(m[2] ?? ''));
    assert.deepEqual(await conn.getVcpuPinInfo(TEST_UUID), rows);
  });

  test('vcpuinfo', async () => {
    const blocks = virsh(DEFAULT, 'vcpuinfo', 'test').trim().split(/\n\s*\n/).map(virshFields);
    const vcpus = await conn.getVcpus(TEST_UUID);
    assert.equal(vcpus.length, blocks.length);
    vcpus.forEach((v, i) => {
      assert.equal(Number(blocks[i]?.get('VCPU')), v.vcpu);
      assert.equal(Number(blocks[i]?.get('CPU')), v.cpu);
      assert.equal(blocks[i]?.get('State'), 'running');
    });
  });

  test('domstats --state', async () => {
    const v = virshDomstats(virsh(DEFAULT, 'domstats', '--state'));
    const records = await conn.getAllDomainStats(DomainStats.STATE);
    assert.equal(records.length, v.size);
    for (const r of records) {
      const fromVirsh = Object.fromEntries([...(v.get(r.name) ?? new Map<string, string>())].map(([k, x]) => [k, Number(x)]));
      assert.deepEqual(r.params, fromVirsh);
    }
  });

  test('freecell and nodecpustats', async () => {
    const cells = virsh(DEFAULT, 'freecell', '--all')
      .split('\n')
      .map((l) => /^\s*(\d+):\s+(\d+) KiB/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[2]));
    assert.deepEqual(await conn.getCellsFreeMemoryKiB(), cells);
    const total = /Total:\s+(\d+) KiB/.exec(virsh(DEFAULT, 'freecell'))?.[1];
    assert.equal(await conn.getFreeMemoryKiB(), Number(total));

    const map = virshFields(virsh(DEFAULT, 'nodecpumap')).get('CPU map') ?? '';
    const online = [...map].flatMap((ch, i) => (ch === 'y' ? [i] : []));
    const stats = await conn.getNodeCpuStats();
    assert.deepEqual(stats.map((s) => s.cpu), online);
    for (const s of stats) {
      const v = virshFields(virsh(DEFAULT, 'nodecpustats', String(s.cpu)));
      assert.deepEqual(
        { user: s.userNs, system: s.kernelNs, idle: s.idleNs, iowait: s.iowaitNs },
        { user: Number(v.get('user')), system: Number(v.get('system')), idle: Number(v.get('idle')), iowait: Number(v.get('iowait')) },
      );
    }
  });

  test('dommemstat', async () => {
    const v = new Map(
      virsh(DEFAULT, 'dommemstat', 'test')
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/) as [string, string]),
    );
    const m = await conn.memoryStats(TEST_UUID);
    assert.deepEqual(
      {
        actual: m.actualKiB, swap_in: m.swapInKiB, swap_out: m.swapOutKiB, major_fault: m.majorFaults,
        minor_fault: m.minorFaults, unused: m.unusedKiB, available: m.availableKiB, usable: m.usableKiB,
        last_update: m.lastUpdateSec, disk_caches: m.diskCachesKiB, rss: m.rssKiB,
      },
      Object.fromEntries(
        ['actual', 'swap_in', 'swap_out', 'major_fault', 'minor_fault', 'unused', 'available', 'usable', 'last_update', 'disk_caches', 'rss'].map(
          (k) => [k, Number(v.get(k))],
        ),
      ),
    );
  });

  test('schedinfo and numatune', async () => {
    const sched = virshFields(virsh(DEFAULT, 'schedinfo', 'test'));
    const s = await conn.getSchedulerParameters(TEST_UUID);
    assert.equal(sched.get('Scheduler'), s.type);
    assert.equal(Number(sched.get('weight')), s.params.weight);
    const numa = virsh(DEFAULT, 'numatune', 'test');
    const n = await conn.getNumaParameters(TEST_UUID);
    const modes = ['strict', 'preferred', 'interleave', 'restrictive'];
    assert.equal(/numa_mode\s*:\s*(\S+)/.exec(numa)?.[1], modes[n.numa_mode ?? -1]);
    assert.equal(/numa_nodeset\s*:\s*(\S*)/.exec(numa)?.[1] ?? '', n.numa_nodeset);
  });
});

describe('virsh parity on a 500-domain test node', () => {
  let node: TestNode;
  let conn: Connection;
  before(async () => {
    node = writeTestNode(500);
    conn = await open(node.uri);
  });
  after(async () => {
    await conn.close();
    node.cleanup();
  });

  test('list --all', async () => {
    const lines = virsh(node.uri, 'list', '--all').split('\n').slice(2).filter((l) => l.trim());
    const fromVirsh = new Map(lines.map((l) => {
      const [id, name, ...state] = l.trim().split(/\s+/);
      return [name ?? '', { id: id === '-' ? -1 : Number(id), state: state.join(' ') }];
    }));
    const doms = await conn.listAllDomains();
    assert.equal(doms.length, 500);
    assert.equal(fromVirsh.size, 500);
    for (const d of doms) {
      const v = fromVirsh.get(d.name);
      assert.equal(v?.id, d.id, d.name);
      assert.equal(v?.state, toVmState(d.state) === 'shutoff' ? 'shut off' : toVmState(d.state), d.name);
    }
    const uuids = virsh(node.uri, 'list', '--all', '--uuid').split('\n').filter(Boolean).sort();
    assert.deepEqual(doms.map((d) => d.uuid).sort(), uuids);
  });

  test('domstats --state for all 500', async () => {
    const v = virshDomstats(virsh(node.uri, 'domstats', '--state'));
    const records = await conn.getAllDomainStats(DomainStats.STATE);
    assert.equal(v.size, 500);
    assert.equal(records.length, 500);
    for (const r of records) {
      assert.equal(String(r.params['state.state']), v.get(r.name)?.get('state.state'), r.name);
      assert.equal(String(r.params['state.reason']), v.get(r.name)?.get('state.reason'), r.name);
    }
  });

  test('dominfo and nodeinfo of the generated node', async () => {
    for (const d of [node.domains[0]!, node.domains[4]!, node.domains[499]!]) {
      const v = virshFields(virsh(node.uri, 'dominfo', d.name));
      const info = await conn.getDomainInfo(d.uuid);
      assert.equal(v.get('UUID'), d.uuid);
      assert.equal(Number(v.get('CPU(s)')), info.nrVirtCpu);
      assert.equal(kib(v.get('Max memory')), info.maxMemKiB);
      assert.equal(kib(v.get('Used memory')), info.memoryKiB);
      assert.equal(info.memoryKiB, d.currentMemoryKiB);
    }
    const n = virshFields(virsh(node.uri, 'nodeinfo'));
    assert.equal(n.get('CPU model'), (await conn.getNodeInfo()).model);
  });
});
