// LibvirtHypervisor's KSM and numatune calls against a real libvirtd. Skipped unless BALLAST_LAB_URI
// is set. KSM: the host's pages_to_scan, sleep_millisecs, merge_across_nodes and run are changed and
// restored. numatune: live changes cannot be undone on a running guest (libvirt has no way to drop a
// live <numatune>), so they are made on scratch guests (64 MiB, paused, auto-destroyed with the
// connection), never on the lab's guests. Run it under `flock /tmp/ballast-lab.lock`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { KsmSettings } from '@ballast/domain';
import { DomainStartFlags, ErrorCode, ErrorDomain, LibvirtError, NumatuneMemMode, isNoSupport, isOperationInvalid } from '@ballast/libvirt';

import { KSM_RUN_PATH, isLocalUri } from './ksm-run.js';
import { LibvirtHypervisor } from './libvirt-hypervisor.js';

const LAB_URI = process.env.BALLAST_LAB_URI ?? '';
const SKIP = LAB_URI ? false : 'BALLAST_LAB_URI is unset: set it to a running libvirtd (e.g. qemu:///system) to run these tests';
const LOCAL = isLocalUri(LAB_URI);

/** A number from the kernel's KSM directory (the same one KSM_RUN_PATH is in). */
function ksmSysfs(name: string): number {
  return Number(readFileSync(join(dirname(KSM_RUN_PATH), name), 'utf8'));
}

function expectError(code: number, domain: number, message: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof LibvirtError, String(err));
    assert.deepEqual({ code: err.code, domain: err.domain, message: err.message }, { code, domain, message });
    return true;
  };
}

describe('LibvirtHypervisor KSM (BALLAST_LAB_URI)', { skip: SKIP }, () => {
  let hv: LibvirtHypervisor;
  let initial: KsmSettings;
  before(async () => {
    hv = await LibvirtHypervisor.open(LAB_URI);
    initial = await hv.getKsm();
  });
  after(async () => {
    // Restore whatever a failed test left (each test restores in its own finally as well).
    if (!hv) return;
    const { run, pagesToScan, sleepMillisecs, mergeAcrossNodes } = initial;
    await hv.setKsm({ pagesToScan, sleepMillisecs, ...(mergeAcrossNodes !== undefined ? { mergeAcrossNodes } : {}), ...(run ? { run } : {}) });
    await hv.close();
  });

  test('getKsm reads what the kernel shows in /sys/kernel/mm/ksm', { skip: !LOCAL && 'not a local URI' }, async () => {
    const k = await hv.getKsm();
    assert.equal(k.pagesToScan, ksmSysfs('pages_to_scan'));
    assert.equal(k.sleepMillisecs, ksmSysfs('sleep_millisecs'));
    assert.equal(k.mergeAcrossNodes, ksmSysfs('merge_across_nodes') === 1);
    assert.equal(k.run, ['stop', 'run', 'unmerge'][ksmSysfs('run')]);
    if (k.run === 'stop') {
      const names = ['pages_shared', 'pages_sharing', 'pages_unshared', 'pages_volatile', 'full_scans'];
      assert.deepEqual(Object.values(k.counters), names.map(ksmSysfs));
    }
  });

  test('setKsm: pagesToScan and sleepMillisecs, then run, read back; all restored', { skip: !LOCAL && 'not a local URI' }, async () => {
    const saved = await hv.getKsm();
    try {
      await hv.setKsm({ pagesToScan: saved.pagesToScan + 100, sleepMillisecs: saved.sleepMillisecs + 30 });
      const tuned = await hv.getKsm();
      assert.deepEqual([tuned.pagesToScan, tuned.sleepMillisecs, tuned.run], [saved.pagesToScan + 100, saved.sleepMillisecs + 30, saved.run]);
      await hv.setKsm({ run: 'run' });
      assert.equal((await hv.getKsm()).run, 'run');
      assert.equal(ksmSysfs('run'), 1);
    } finally {
      await hv.setKsm({ run: saved.run ?? 'stop', pagesToScan: saved.pagesToScan, sleepMillisecs: saved.sleepMillisecs });
    }
    const restored = await hv.getKsm();
    assert.deepEqual([restored.run, restored.pagesToScan, restored.sleepMillisecs], [saved.run, saved.pagesToScan, saved.sleepMillisecs]);
    // The short run left scan state (pages_volatile/unshared, maybe merged pages) where there was none:
    // 'unmerge' drops it all, then KSM stops as it was.
    const scanState = (k: KsmSettings) => k.counters.pagesShared + k.counters.pagesSharing + k.counters.pagesUnshared + k.counters.pagesVolatile;
    if (saved.run === 'stop' && scanState(saved) === 0 && scanState(restored) > 0) {
      await hv.setKsm({ run: 'unmerge' });
      await hv.setKsm({ run: 'stop' });
      assert.equal(scanState(await hv.getKsm()), 0);
    }
  });

  test('setKsm: mergeAcrossNodes changes while no page is shared; restored', async (t) => {
    const saved = await hv.getKsm();
    if (saved.mergeAcrossNodes === undefined) return t.skip('the kernel has no merge_across_nodes');
    if (saved.counters.pagesShared > 0) return t.skip('pages are shared: the kernel would refuse (EBUSY)');
    try {
      await hv.setKsm({ mergeAcrossNodes: !saved.mergeAcrossNodes });
      assert.equal((await hv.getKsm()).mergeAcrossNodes, !saved.mergeAcrossNodes);
    } finally {
      await hv.setKsm({ mergeAcrossNodes: saved.mergeAcrossNodes });
    }
    assert.equal((await hv.getKsm()).mergeAcrossNodes, saved.mergeAcrossNodes);
  });

  test('over a remote URI run is absent and cannot be set', { skip: LOCAL && 'a local URI' }, async () => {
    assert.equal((await hv.getKsm()).run, undefined);
    await assert.rejects(hv.setKsm({ run: 'run' }), (err: unknown) => isNoSupport(err) && err.message.includes(KSM_RUN_PATH));
  });
});

describe('LibvirtHypervisor numatune on scratch guests (BALLAST_LAB_URI)', { skip: SKIP }, () => {
  let hv: LibvirtHypervisor;
  let cells: number[];
  let cell0Cpus: number[];
  let made = 0;
  const uuids: string[] = [];

  /** A new paused 64 MiB guest without numatune; libvirt destroys it when the connection closes. */
  async function scratch(): Promise<string> {
    const name = `ballast-e2e-numa-${process.pid}-${++made}`;
    const dom = await hv.connection.createXML(
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
        <os><type arch='x86_64' machine='pc'>hvm</type></os><devices><memballoon model='none'/></devices></domain>`,
      DomainStartFlags.PAUSED | DomainStartFlags.AUTODESTROY,
    );
    uuids.push(dom.uuid);
    return dom.uuid;
  }

  before(async () => {
    hv = await LibvirtHypervisor.open(LAB_URI);
    const info = await hv.hostInfo();
    cells = info.numaCells.map((c) => c.id);
    cell0Cpus = info.numaCells[0]?.cpus ?? [];
  });
  after(async () => {
    if (!hv) return;
    for (const uuid of uuids) await hv.connection.destroy(uuid).catch(() => undefined);
    await hv.close();
  });

  test("libvirt's own live rules, as libvirt 9.0 words them", async () => {
    const c = hv.connection;
    const fresh = await scratch();
    const { QEMU, DOMAIN, NONE } = ErrorDomain;
    await assert.rejects(
      c.setNumaParameters(fresh, { numa_mode: NumatuneMemMode.INTERLEAVE }),
      expectError(ErrorCode.CONFIG_UNSUPPORTED, DOMAIN, "unsupported configuration: nodeset for NUMA memory tuning must be set if 'placement' is 'static'"),
    );
    await assert.rejects(
      c.setNumaParameters(fresh, { numa_mode: NumatuneMemMode.STRICT, numa_nodeset: '0' }),
      expectError(ErrorCode.OPERATION_INVALID, QEMU, "Requested operation is not valid: can't change nodeset for strict mode for running domain"),
    );
    await assert.rejects(c.setNumaParameters(fresh, { numa_nodeset: '' }), expectError(ErrorCode.INVALID_ARG, NONE, "invalid argument: Failed to parse bitmap ''"));
    await c.setNumaParameters(fresh, { numa_nodeset: '0' });
    assert.deepEqual(await c.getNumaParameters(fresh), { numa_mode: NumatuneMemMode.STRICT, numa_nodeset: '0' });
    await assert.rejects(
      c.setNumaParameters(fresh, { numa_nodeset: '0' }),
      expectError(ErrorCode.OPERATION_INVALID, QEMU, 'Requested operation is not valid: change of nodeset for running domain requires restrictive numa mode'),
    );
    await assert.rejects(
      c.setNumaParameters(fresh, { numa_mode: NumatuneMemMode.RESTRICTIVE, numa_nodeset: '0' }),
      expectError(ErrorCode.OPERATION_INVALID, QEMU, "Requested operation is not valid: can't change numatune mode for running domain"),
    );
    const absent = Math.max(...cells) + 1;
    await assert.rejects(
      c.setNumaParameters(await scratch(), { numa_mode: NumatuneMemMode.RESTRICTIVE, numa_nodeset: String(absent) }),
      expectError(ErrorCode.CONFIG_UNSUPPORTED, NONE, `unsupported configuration: NUMA node ${absent} is unavailable`),
    );
  });

  test('setNumaTune: strict on cell 0, live, read back; again is a no-op; then pin the vCPU to the cell', async () => {
    const uuid = await scratch();
    assert.deepEqual(await hv.getNumaTune(uuid), { mode: 'strict', nodeset: [] });
    await hv.setNumaTune(uuid, { mode: 'strict', nodeset: [0] });
    assert.deepEqual(await hv.getNumaTune(uuid), { mode: 'strict', nodeset: [0] });
    assert.match(await hv.connection.getXMLDesc(uuid), /<memory mode='strict' nodeset='0'\/>/);
    await hv.setNumaTune(uuid, { mode: 'strict', nodeset: [0] });
    await hv.setNumaTune(uuid, { nodeset: [0] });
    await hv.pinVcpu(uuid, 0, cell0Cpus);
    assert.deepEqual(await hv.getVcpuPinning(uuid), [cell0Cpus]);
  });

  test('setNumaTune refuses what libvirt would, with a clear OPERATION_INVALID', async () => {
    const uuid = await scratch();
    await hv.setNumaTune(uuid, { nodeset: [0] });
    await assert.rejects(
      hv.setNumaTune(uuid, { mode: 'restrictive', nodeset: [0] }),
      (err: unknown) => isOperationInvalid(err) && err.message === `VM ${uuid} runs with numatune strict on cells 0: libvirt cannot change a running VM's numatune mode (asked for restrictive); change its definition and restart it`,
    );
    await assert.rejects(
      hv.setNumaTune(uuid, { nodeset: cells.length > 1 ? [1] : [0, 1] }),
      (err: unknown) => isOperationInvalid(err) && /libvirt changes a running VM's nodeset only in restrictive mode/.test(err.message),
    );
    assert.deepEqual(await hv.getNumaTune(uuid), { mode: 'strict', nodeset: [0] });
  });

  test('restrictive: the nodeset changes live (on a one-cell host: libvirt refuses the absent cell)', async () => {
    const uuid = await scratch();
    await hv.setNumaTune(uuid, { mode: 'restrictive', nodeset: [0] });
    assert.deepEqual(await hv.getNumaTune(uuid), { mode: 'restrictive', nodeset: [0] });
    if (cells.length > 1) {
      await hv.setNumaTune(uuid, { nodeset: [1] });
      assert.deepEqual(await hv.getNumaTune(uuid), { mode: 'restrictive', nodeset: [1] });
    } else {
      await assert.rejects(hv.setNumaTune(uuid, { nodeset: [0, 1] }), { code: ErrorCode.CONFIG_UNSUPPORTED, message: 'unsupported configuration: NUMA node 1 is unavailable' });
    }
  });
});
