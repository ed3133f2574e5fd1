// Integration tests against a real libvirtd (QEMU driver). They skip themselves unless
// BALLAST_LAB_URI is set, e.g.  BALLAST_LAB_URI=qemu:///system node --test dist/
//
//   BALLAST_LAB_URI          libvirt URI of a running libvirtd (node calls work with no domains)
//   BALLAST_LAB_DOMAIN       name of a running guest to use (default: the first running one);
//                            its vCPU 0 is re-pinned, its cpu_shares and balloon nudged, then restored
//                            (the host's KSM pages_to_scan and sleep_millisecs are changed and restored too;
//                            guests' numatune is only read)
//   BALLAST_LAB_DEST_URI     second libvirtd for the migration test (e.g. qemu+tcp://10.77.0.2/system)
//   BALLAST_LAB_MIGRATE_URI  its migration data URI (e.g. tcp://10.77.0.2); the guest moves there and back
//   BALLAST_LAB_BACK_URI     how the second libvirtd reaches the first for the way back (default BALLAST_LAB_URI),
//   BALLAST_LAB_BACK_MIGRATE_URI  and where QEMU sends the data back to (e.g. tcp://10.77.0.1); `make test`
//                            sets all four from infra/lab/host2-up.sh (HOST2_MIGRATION_URI, HOST2_MIGRATION_DATA_URI,
//                            HOST1_MIGRATION_URI, HOST1_MIGRATION_DATA_URI)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Connection } from './connection.js';
import { getCpuTune, setCpuTune } from './cpu-tune.js';
import { DomainStats, GetAllDomainStatsFlags, JobType, ListDomainsFlags, MigrateFlags } from './constants.js';
import { toJobProgress } from './job-progress.js';
import { ErrorCode } from './libvirt-error.js';
import { parseNodeset } from './nodeset.js';
import { getNumaTune } from './numa-tune.js';
import { open } from './open.js';
import { parseCapabilities } from './capabilities.js';
import { cpuList, virsh, virshDomstats, virshFields } from './test-helpers.js';
import type { LibvirtEvent, NodeMemoryParameters } from './types.js';
import { toVmStats } from './vm-stats.js';

const LAB_URI = process.env.BALLAST_LAB_URI;
const DEST_URI = process.env.BALLAST_LAB_DEST_URI;
const SKIP = LAB_URI
  ? false
  : 'BALLAST_LAB_URI is unset: set it to a running libvirtd (e.g. qemu:///system) to run the libvirt integration tests';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(conn: Connection, pred: (e: LibvirtEvent) => boolean, ms: number): Promise<LibvirtEvent | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(undefined);
    }, ms);
    const off = conn.onEvent((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

const TUNABLES = ['shm_pages_to_scan', 'shm_sleep_millisecs', 'shm_merge_across_nodes'] as const;

/** `virsh node-memory-tune`: "\tshm_pages_to_scan 100" lines → numbers. */
function virshNodeMemoryTune(uri: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of virsh(uri, 'node-memory-tune').matchAll(/^\s+(shm_\w+)\s+(\d+)\s*$/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

function tunables(p: NodeMemoryParameters): Record<string, number | undefined> {
  return Object.fromEntries(TUNABLES.map((k) => [k, p[k]]));
}

describe('libvirt integration (BALLAST_LAB_URI)', { skip: SKIP }, () => {
  const uri = LAB_URI ?? '';
  let conn: Connection;
  before(async () => {
    conn = await open(uri);
  });
  after(() => conn?.close());

  describe('node', () => {
    test('keepalive is on for a libvirtd connection', () => {
      assert.equal(conn.keepaliveSupported, true);
    });

    test('node info equals virsh nodeinfo', async () => {
      const v = virshFields(virsh(uri, 'nodeinfo'));
      const n = await conn.getNodeInfo();
      assert.equal(Number(v.get('CPU(s)')), n.cpus);
      assert.equal(v.get('CPU model'), n.model);
      assert.equal(Number(v.get('NUMA cell(s)')), n.nodes);
      assert.equal(v.get('Memory size'), `${n.memoryKiB} KiB`);
    });

    test('node memory stats (KiB) agree with virsh nodememstats', async () => {
      const m = await conn.getNodeMemoryStats();
      const v = virshFields(virsh(uri, 'nodememstats'));
      assert.equal(v.get('total'), `${m.totalKiB} KiB`);
      assert.ok(m.freeKiB > 0 && m.freeKiB <= m.totalKiB);
      assert.equal(typeof m.buffersKiB, 'number');
      assert.equal(typeof m.cachedKiB, 'number');
      const vFree = Number(v.get('free')?.replace(' KiB', ''));
      assert.ok(Math.abs(vFree - m.freeKiB) < m.totalKiB * 0.05, `${vFree} vs ${m.freeKiB}`);
    });

    test('free memory (bytes → KiB) agrees with virsh freecell', async () => {
      const free = await conn.getFreeMemoryKiB();
      const total = Number(/Total:\s+(\d+) KiB/.exec(virsh(uri, 'freecell'))?.[1]);
      assert.ok(Math.abs(free - total) < 0.05 * total + 65536, `${free} vs ${total}`);
      const cells = await conn.getCellsFreeMemoryKiB();
      assert.ok(cells.length >= 1);
    });

    test('per-pCPU times advance', async () => {
      const a = await conn.getNodeCpuStats();
      await sleep(200);
      const b = await conn.getNodeCpuStats();
      assert.equal(a.length, (await conn.getNodeInfo()).cpus);
      const sum = (xs: typeof a) => xs.reduce((s, x) => s + x.userNs + x.kernelNs + x.idleNs + x.iowaitNs, 0);
      assert.ok(sum(b) > sum(a));
    });

    test('capabilities carry a host UUID', async () => {
      const caps = parseCapabilities(await conn.getCapabilities());
      assert.match(caps.hostUuid ?? '', /^[0-9a-f-]{36}$/);
    });

    test('close callback registration is supported', async () => {
      const off = conn.onEvent(() => undefined);
      const support = await conn.eventsReady();
      off();
      assert.deepEqual(support, { lifecycle: true, tunable: true, balloonChange: true, metadataChange: true, closeCallback: true });
    });
  });

  describe('KSM node memory parameters and numatune', () => {
    test('getNodeMemoryParameters reports what virsh node-memory-tune does', async () => {
      const p = await conn.getNodeMemoryParameters();
      const v = virshNodeMemoryTune(uri);
      assert.deepEqual(Object.keys(p).sort(), Object.keys(v).sort());
      assert.deepEqual(tunables(p), tunables(v));
      for (const value of Object.values(p)) assert.ok(Number.isSafeInteger(value) && value >= 0);
    });

    test('setNodeMemoryParameters: pages_to_scan and sleep change (virsh sees them) and are restored', async () => {
      const saved = await conn.getNodeMemoryParameters();
      const pagesToScan = (saved.shm_pages_to_scan ?? 100) + 100;
      const sleepMs = (saved.shm_sleep_millisecs ?? 20) + 30;
      try {
        await conn.setNodeMemoryParameters({ shm_pages_to_scan: pagesToScan, shm_sleep_millisecs: sleepMs });
        const now = await conn.getNodeMemoryParameters();
        assert.equal(now.shm_pages_to_scan, pagesToScan);
        assert.equal(now.shm_sleep_millisecs, sleepMs);
        assert.deepEqual(tunables(virshNodeMemoryTune(uri)), tunables(now));
      } finally {
        await conn.setNodeMemoryParameters({ shm_pages_to_scan: saved.shm_pages_to_scan, shm_sleep_millisecs: saved.shm_sleep_millisecs });
      }
      assert.deepEqual(tunables(await conn.getNodeMemoryParameters()), tunables(saved));
    });

    test('a read-only connection may read them but not set them (OPERATION_DENIED)', async () => {
      const ro = await open(uri, { readOnly: true });
      try {
        const p = await ro.getNodeMemoryParameters();
        await assert.rejects(ro.setNodeMemoryParameters({ shm_pages_to_scan: p.shm_pages_to_scan }), { code: ErrorCode.OPERATION_DENIED });
      } finally {
        await ro.close();
      }
    });

    test('getNumaTune of every running guest reads as virsh numatune', async (t) => {
      const doms = await conn.listAllDomains(ListDomainsFlags.ACTIVE);
      if (doms.length === 0) return t.skip('no running guest');
      for (const d of doms) {
        const v = virshFields(virsh(uri, 'numatune', d.name));
        const tune = await getNumaTune(conn, d.uuid);
        assert.equal(tune.mode, v.get('numa_mode'), d.name);
        assert.deepEqual(tune.nodeset, parseNodeset(v.get('numa_nodeset') ?? ''), d.name);
      }
    });
  });

  describe('a running guest', () => {
    let uuid: string | undefined;
    let name = '';
    before(async () => {
      const running = await conn.listAllDomains(ListDomainsFlags.RUNNING);
      const want = process.env.BALLAST_LAB_DOMAIN;
      const dom = want ? running.find((d) => d.name === want) : running[0];
      uuid = dom?.uuid;
      name = dom?.name ?? '';
    });

    test('bulk stats (state, cpu, vcpu, balloon; ACTIVE | NOWAIT) agree with virsh domstats', async (t) => {
      if (!uuid) return t.skip('no running guest on BALLAST_LAB_URI');
      const stats = DomainStats.STATE | DomainStats.CPU_TOTAL | DomainStats.VCPU | DomainStats.BALLOON;
      const start = performance.now();
      const records = await conn.getAllDomainStats(stats, GetAllDomainStatsFlags.ACTIVE | GetAllDomainStatsFlags.NOWAIT);
      t.diagnostic(`bulk stats for ${records.length} guests: ${(performance.now() - start).toFixed(1)} ms`);
      const rec = records.find((r) => r.uuid === uuid);
      assert.ok(rec);
      const vm = toVmStats(rec);
      assert.equal(vm.state, 'running');
      assert.ok((vm.cpuTimeNs ?? 0) > 0);
      assert.ok(vm.vcpus.length >= 1 && vm.vcpus.every((v) => v.online && v.timeNs > 0));
      assert.ok(vm.balloon && vm.balloon.currentKiB > 0 && vm.balloon.maximumKiB >= vm.balloon.currentKiB);
      const v = virshDomstats(virsh(uri, 'domstats', '--state', '--balloon', '--vcpu', name)).get(name);
      assert.equal(Number(v?.get('balloon.current')), vm.balloon.currentKiB);
      assert.equal(Number(v?.get('balloon.maximum')), vm.balloon.maximumKiB);
      assert.equal(Number(v?.get('vcpu.current')), rec.params['vcpu.current']);
      const info = await conn.getDomainInfo(uuid);
      assert.equal(info.memoryKiB, vm.balloon.currentKiB);
    });

    test('balloon: stats period, memory stats, setMemory with a balloon-change event', async (t) => {
      if (!uuid) return t.skip('no running guest on BALLAST_LAB_URI');
      await conn.setMemoryStatsPeriod(uuid, 2);
      await sleep(2500);
      const mem = await conn.memoryStats(uuid);
      t.diagnostic(`memoryStats: ${JSON.stringify(mem)}`);
      assert.ok((mem.actualKiB ?? 0) > 0);
      const before_ = (await conn.getDomainInfo(uuid)).memoryKiB;
      const target = before_ - 8192; // 8 MiB: small enough for any lab guest
      // QEMU reports the balloon on its way (several events); wait for the one at the target.
      const seen: number[] = [];
      const reached = waitFor(
        conn,
        (e) => e.type === 'balloon-change' && e.uuid === uuid && seen.push(e.actualKiB) > 0 && e.actualKiB === target,
        15000,
      );
      await conn.eventsReady();
      await conn.setMemory(uuid, target);
      const ev = await reached;
      t.diagnostic(`balloon-change actualKiB: ${seen.join(', ')}`);
      assert.equal((await conn.getDomainInfo(uuid)).memoryKiB, target);
      await conn.setMemory(uuid, before_);
      assert.ok(ev, `balloon-change event reaching ${target} KiB (saw ${seen.join(', ')})`);
    });

    test('cpu_shares via the scheduler parameters, as virsh schedinfo shows them', async (t) => {
      if (!uuid) return t.skip('no running guest on BALLAST_LAB_URI');
      const tune = await getCpuTune(conn, uuid);
      assert.equal(typeof tune.shares, 'number');
      assert.equal(typeof tune.periodUs, 'number');
      assert.equal(typeof tune.quotaUs, 'number');
      const shares = tune.shares ?? 0;
      const tunable = waitFor(conn, (e) => e.type === 'tunable' && e.uuid === uuid, 5000);
      await conn.eventsReady();
      await setCpuTune(conn, uuid, { shares: shares + 1 });
      const v = virshFields(virsh(uri, 'schedinfo', name));
      assert.equal(Number(v.get('cpu_shares')), shares + 1);
      const ev = await tunable;
      await setCpuTune(conn, uuid, { shares });
      assert.ok(ev && ev.type === 'tunable' && ev.params['cputune.cpu_shares'] === shares + 1, JSON.stringify(ev));
    });

    test('pinning agrees with virsh vcpupin', async (t) => {
      if (!uuid) return t.skip('no running guest on BALLAST_LAB_URI');
      const original = await conn.getVcpuPinInfo(uuid);
      await conn.pinVcpu(uuid, 0, [0]);
      const rows = virsh(uri, 'vcpupin', name)
        .split('\n')
        .map((l) => /^\s*(\d+)\s+(\S+)\s*$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => cpuList(m[2] ?? ''));
      const after_ = await conn.getVcpuPinInfo(uuid);
      await conn.pinVcpu(uuid, 0, original[0] ?? [0]);
      assert.deepEqual(after_[0], [0]);
      assert.deepEqual(after_, rows);
      const vcpus = await conn.getVcpus(uuid);
      assert.ok(vcpus.every((v) => v.cpu >= 0 && v.cpuTimeNs > 0));
    });

    test('no job running', async (t) => {
      if (!uuid) return t.skip('no running guest on BALLAST_LAB_URI');
      assert.equal((await conn.getJobInfo(uuid)).type, JobType.NONE);
      assert.equal(toJobProgress(await conn.getJobStats(uuid)).type, JobType.NONE);
    });

    test('live migration there and back with progress', { skip: DEST_URI ? false : 'BALLAST_LAB_DEST_URI is unset' }, async (t) => {
      if (!uuid || !DEST_URI) return t.skip('no running guest on BALLAST_LAB_URI');
      const flags = MigrateFlags.LIVE | MigrateFlags.PEER2PEER | MigrateFlags.PERSIST_DEST | MigrateFlags.UNDEFINE_SOURCE;
      const migrateUri = process.env.BALLAST_LAB_MIGRATE_URI;
      const progress: number[] = [];
      const moving = conn.migrate(uuid, DEST_URI, { flags, ...(migrateUri ? { migrateUri } : {}) });
      const poll = setInterval(() => {
        conn.getJobStats(uuid!).then((s) => progress.push(toJobProgress(s).dataProcessedBytes ?? 0), () => undefined);
      }, 200);
      try {
        await moving;
      } finally {
        clearInterval(poll);
      }
      t.diagnostic(`progress samples: ${progress.join(',')}`);
      const dest = await open(DEST_URI);
      try {
        assert.equal((await dest.lookupByUuid(uuid)).state, 1);
        // back: the source as the destination's libvirtd reaches it, and (for QEMU's data) its address there
        const backUri = process.env.BALLAST_LAB_BACK_URI || uri;
        const backMigrateUri = process.env.BALLAST_LAB_BACK_MIGRATE_URI;
        const t0 = Date.now();
        await dest.migrate(uuid, backUri, { flags, ...(backMigrateUri ? { migrateUri: backMigrateUri } : {}) });
        t.diagnostic(`back in ${Date.now() - t0} ms`);
      } finally {
        await dest.close();
      }
      const back = await conn.lookupByUuid(uuid);
      assert.equal(back.active, true);
      assert.equal(back.state, 1, 'running on BALLAST_LAB_URI again');
    });
  });
});
