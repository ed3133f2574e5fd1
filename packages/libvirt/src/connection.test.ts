// Call plumbing against libvirt's test driver (test:///default: no daemon needed).
// test:///default is shared by every connection of one process, and node --test runs each file
// in its own process, so this file owns its copy.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AffectFlags, DomainState, DomainXmlFlags, GetAllDomainStatsFlags, DomainStats } from './constants.js';
import type { Connection } from './connection.js';
import { getCpuTune } from './cpu-tune.js';
import { isConnectionClosed, isConnectionLost, isInvalidArg, isNoDomain, isNoSupport } from './error-predicates.js';
import { LibvirtError } from './libvirt-error.js';
import { loadNative } from './native.js';
import { libvirtVersion, open } from './open.js';
import { domainXml } from './test-helpers.js';

const TEST_UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f';
const MISSING_UUID = '11111111-2222-3333-4444-555555555555';

describe('test:///default', () => {
  let conn: Connection;

  before(async () => {
    conn = await open('test:///default');
  });
  after(async () => {
    await conn.close();
  });

  test('open: keepalive is not supported by the test driver, and that is not an error', () => {
    assert.equal(conn.keepaliveSupported, false);
    assert.equal(conn.closed, false);
    assert.equal(conn.uri, 'test:///default');
  });

  test('host calls', async () => {
    assert.equal(typeof (await conn.getHostname()), 'string');
    assert.equal(await conn.getUri(), 'test:///default');
    assert.ok((await conn.getLibVersion()) >= 9_000_000);
    assert.ok((libvirtVersion() ?? 0) >= 9_000_000);
    assert.match(await conn.getCapabilities(), /<capabilities>/);
    const node = await conn.getNodeInfo();
    assert.deepEqual(node, { model: 'i686', memoryKiB: 3145728, cpus: 16, mhz: 1400, nodes: 2, sockets: 2, cores: 2, threads: 2 });
    const cpus = await conn.getNodeCpuStats();
    assert.ok(cpus.length > 0);
    for (const c of cpus) assert.ok(c.userNs > 0 && c.kernelNs > 0 && c.idleNs > 0 && c.iowaitNs > 0);
    assert.deepEqual(await conn.getCellsFreeMemoryKiB(), [2048, 4096]);
    // The test driver reports a fixed free-memory figure unrelated to its cells (see virsh-parity).
    assert.equal(await conn.getFreeMemoryKiB(), 3072);
  });

  test('node memory stats are not supported by the test driver → isNoSupport', async () => {
    await assert.rejects(conn.getNodeMemoryStats(), (err) => isNoSupport(err));
  });

  test('node memory parameters (KSM) are not supported by the test driver → isNoSupport', async () => {
    await assert.rejects(conn.getNodeMemoryParameters(), (err) => isNoSupport(err));
    await assert.rejects(conn.setNodeMemoryParameters({ shm_pages_to_scan: 100 }), (err) => isNoSupport(err));
  });

  test('lookups return the summary', async () => {
    const expected = { uuid: TEST_UUID, name: 'test', id: 1, state: DomainState.RUNNING, active: true, persistent: true };
    assert.deepEqual(await conn.lookupByName('test'), expected);
    assert.deepEqual(await conn.lookupByUuid(TEST_UUID), expected);
    assert.deepEqual(await conn.listAllDomains(), [expected]);
  });

  test('a missing domain rejects with a LibvirtError that isNoDomain', async () => {
    for (const call of [
      () => conn.lookupByUuid(MISSING_UUID),
      () => conn.lookupByName('no-such-vm'),
      () => conn.getDomainInfo(MISSING_UUID),
      () => conn.setMemory(MISSING_UUID, 1024),
    ]) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof LibvirtError);
        assert.ok(isNoDomain(err));
        assert.equal(err.code, 42);
        assert.equal(typeof err.domain, 'number');
        assert.ok(err.message.length > 0);
        return true;
      });
    }
  });

  test('wrong argument types throw a TypeError naming the argument, synchronously', () => {
    const bad = conn as unknown as Record<string, (...args: unknown[]) => unknown>;
    assert.throws(() => bad.getDomainInfo!.call(conn, 42), { name: 'TypeError', message: /uuid must be a string/ });
    assert.throws(() => bad.setMemory!.call(conn, TEST_UUID, '1G'), { name: 'TypeError', message: /memoryKiB must be/ });
    assert.throws(() => bad.setMemory!.call(conn, TEST_UUID, -1), { name: 'TypeError', message: /memoryKiB/ });
    assert.throws(() => bad.pinVcpu!.call(conn, TEST_UUID, 0, [0, 'x']), { name: 'TypeError', message: /pcpus must be/ });
    assert.throws(() => bad.pinVcpu!.call(conn, TEST_UUID, 1.5, [0]), { name: 'TypeError', message: /vcpu must be/ });
    assert.throws(() => bad.getAllDomainStats!.call(conn, 'all'), { name: 'TypeError', message: /stats must be/ });
    assert.throws(() => bad.setSchedulerParameters!.call(conn, TEST_UUID, { weight: {} }), {
      name: 'TypeError',
      message: /params\.weight must be a number, string or boolean/,
    });
    assert.throws(() => bad.lookupByName!.call(conn, ''), { name: 'TypeError', message: /name must be a non-empty string/ });
    assert.throws(() => bad.migrate!.call(conn, TEST_UUID, 'qemu+tcp://x/system', { migrateUri: 5 }), {
      name: 'TypeError',
      message: /options\.migrateUri must be a string/,
    });
    assert.throws(() => (open as (u: unknown) => unknown)(undefined), { name: 'TypeError', message: /uri must be a string/ });
  });

  test('domain info and XML', async () => {
    const info = await conn.getDomainInfo(TEST_UUID);
    assert.equal(info.state, DomainState.RUNNING);
    assert.equal(info.maxMemKiB, 8388608);
    assert.equal(info.nrVirtCpu, 2);
    assert.ok(info.cpuTimeNs > 0);
    assert.match(await conn.getXMLDesc(TEST_UUID), new RegExp(`<uuid>${TEST_UUID}</uuid>`));
    assert.match(await conn.getXMLDesc(TEST_UUID, DomainXmlFlags.INACTIVE), /<name>test<\/name>/);
  });

  test('bulk stats return state.state/state.reason on the test driver', async () => {
    const flags = GetAllDomainStatsFlags.ACTIVE | GetAllDomainStatsFlags.NOWAIT;
    const stats = DomainStats.STATE | DomainStats.CPU_TOTAL | DomainStats.VCPU | DomainStats.BALLOON;
    const records = await conn.getAllDomainStats(stats, flags);
    assert.deepEqual(records, [{ uuid: TEST_UUID, name: 'test', params: { 'state.state': 1, 'state.reason': 0 } }]);
  });

  test('memory: stats, stats period, setMemory (LIVE)', async () => {
    const mem = await conn.memoryStats(TEST_UUID);
    assert.equal(typeof mem.actualKiB, 'number');
    assert.equal(typeof mem.unusedKiB, 'number');
    await conn.setMemoryStatsPeriod(TEST_UUID, 5);
    await conn.setMemory(TEST_UUID, 1048576);
    assert.equal((await conn.getDomainInfo(TEST_UUID)).memoryKiB, 1048576);
    await conn.setMemory(TEST_UUID, 2097152);
  });

  test('vCPUs: pin (CURRENT; the test driver rejects LIVE), pin info, getVcpus', async () => {
    assert.deepEqual(await conn.getVcpuPinInfo(TEST_UUID), [[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6, 7]]);
    await assert.rejects(conn.pinVcpu(TEST_UUID, 0, [1, 2]), (err) => isInvalidArg(err) && /unsupported flags/.test(err.message));
    await conn.pinVcpu(TEST_UUID, 0, [1, 2], AffectFlags.CURRENT);
    assert.deepEqual((await conn.getVcpuPinInfo(TEST_UUID))[0], [1, 2]);
    await assert.rejects(conn.pinVcpu(TEST_UUID, 0, [99], AffectFlags.CURRENT), (err) => isInvalidArg(err) && /out of range/.test(err.message));
    await assert.rejects(conn.pinVcpu(TEST_UUID, 0, [], AffectFlags.CURRENT), (err) => isInvalidArg(err));
    const vcpus = await conn.getVcpus(TEST_UUID);
    assert.equal(vcpus.length, 2);
    assert.ok(vcpus.every((v, i) => v.vcpu === i && v.state === 1 && v.cpuTimeNs > 0));
    assert.ok([1, 2].includes(vcpus[0]!.cpu));
  });

  test('emulator threads: pin (virDomainPinEmulator) and pin info; a bad set rejects and changes nothing', async () => {
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    assert.deepEqual(await conn.getEmulatorPinInfo(TEST_UUID), all);
    await conn.pinEmulator(TEST_UUID, [3, 1]);
    assert.deepEqual(await conn.getEmulatorPinInfo(TEST_UUID), [1, 3]);
    await assert.rejects(conn.pinEmulator(TEST_UUID, [99]), (err) => isInvalidArg(err) && /out of range/.test(err.message));
    await assert.rejects(conn.pinEmulator(TEST_UUID, []), (err) => isInvalidArg(err));
    assert.deepEqual(await conn.getEmulatorPinInfo(TEST_UUID), [1, 3]);
    await conn.pinEmulator(TEST_UUID, all);
    assert.deepEqual(await conn.getEmulatorPinInfo(TEST_UUID), all);
  });

  test('scheduler: "fair" with weight; unknown fields reject with INVALID_ARG', async () => {
    assert.deepEqual(await conn.getSchedulerParameters(TEST_UUID), { type: 'fair', params: { weight: 50 } });
    // Accepted, though the test driver does not store it.
    await conn.setSchedulerParameters(TEST_UUID, { weight: 70 }, AffectFlags.CURRENT);
    await assert.rejects(conn.setSchedulerParameters(TEST_UUID, { weight: 70 }), (err) => isInvalidArg(err));
    await assert.rejects(
      conn.setSchedulerParameters(TEST_UUID, { cpu_shares: 512 }, AffectFlags.CURRENT),
      (err) => isInvalidArg(err) && /unknown scheduler parameter 'cpu_shares'/.test(err.message),
    );
    await assert.rejects(
      conn.setSchedulerParameters(TEST_UUID, { weight: -1 }, AffectFlags.CURRENT),
      (err) => isInvalidArg(err) && /unsigned/.test(err.message),
    );
    assert.deepEqual(await getCpuTune(conn, TEST_UUID), {});
  });

  test('numatune: get and set (LIVE)', async () => {
    assert.deepEqual(await conn.getNumaParameters(TEST_UUID), { numa_mode: 0, numa_nodeset: '' });
    await conn.setNumaParameters(TEST_UUID, { numa_nodeset: '1' });
    assert.deepEqual(await conn.getNumaParameters(TEST_UUID), { numa_mode: 0, numa_nodeset: '1' });
  });

  test('jobs are not supported by the test driver', async () => {
    await assert.rejects(conn.getJobInfo(TEST_UUID), (err) => isNoSupport(err));
    await assert.rejects(conn.getJobStats(TEST_UUID), (err) => isNoSupport(err));
  });

  test('define, start, stop, undefine', async () => {
    const uuid = 'aaaaaaaa-0000-4000-8000-000000000001';
    const defined = await conn.defineXML(domainXml('ballast-tmp', uuid));
    assert.deepEqual(defined, { uuid, name: 'ballast-tmp', id: -1, state: DomainState.SHUTOFF, active: false, persistent: true });
    assert.equal((await conn.listAllDomains()).length, 2);
    await conn.create(uuid);
    assert.equal((await conn.lookupByUuid(uuid)).state, DomainState.RUNNING);
    await conn.suspend(uuid);
    assert.equal((await conn.lookupByUuid(uuid)).state, DomainState.PAUSED);
    await conn.resume(uuid);
    await conn.destroy(uuid);
    await conn.undefine(uuid);
    await assert.rejects(conn.lookupByUuid(uuid), (err) => isNoDomain(err));
    assert.equal((await conn.listAllDomains()).length, 1);
  });

  test('createXML starts a transient domain', async () => {
    const uuid = 'aaaaaaaa-0000-4000-8000-000000000002';
    const created = await conn.createXML(domainXml('ballast-transient', uuid));
    assert.equal(created.persistent, false);
    assert.equal(created.active, true);
    await conn.destroy(uuid);
    await assert.rejects(conn.lookupByUuid(uuid), (err) => isNoDomain(err));
  });

  test('invalid XML rejects with a one-line message', async () => {
    await assert.rejects(conn.defineXML('<domain'), (err: unknown) => {
      assert.ok(err instanceof LibvirtError);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  });

  test('many concurrent calls on one connection', async () => {
    const results = await Promise.all(Array.from({ length: 200 }, () => conn.getDomainInfo(TEST_UUID)));
    assert.ok(results.every((r) => r.nrVirtCpu === 2));
  });
});

describe('open and close', () => {
  test('a bad URI rejects with a one-line LibvirtError', async () => {
    for (const uri of ['bogus:///nowhere', 'qemu+tcp://127.0.0.1:1/system', 'test:///no/such/file.xml']) {
      await assert.rejects(open(uri), (err: unknown) => {
        assert.ok(err instanceof LibvirtError, String(err));
        assert.equal(typeof err.code, 'number');
        assert.equal(typeof err.domain, 'number');
        assert.ok(err.message.length > 0 && !err.message.includes('\n'), err.message);
        return true;
      });
    }
    // Nothing listens on port 1: the RPC layer's system error, which isConnectionLost also matches.
    await assert.rejects(open('qemu+tcp://127.0.0.1:1/system'), (err) => isConnectionLost(err));
  });

  test('read-only connections refuse writes', async () => {
    const ro = await open('test:///default', { readOnly: true });
    assert.equal(ro.readOnly, true);
    assert.equal((await ro.listAllDomains()).length, 1);
    await assert.rejects(ro.setMemory(TEST_UUID, 1024), (err) => err instanceof LibvirtError);
    await ro.close();
  });

  test('close while calls are in flight: they complete; later calls reject with isConnectionClosed', async () => {
    const c = await open('test:///default');
    const inFlight = Array.from({ length: 20 }, () => c.getDomainInfo(TEST_UUID));
    const closing = c.close();
    assert.equal(c.closed, true);
    const infos = await Promise.all(inFlight);
    assert.equal(infos.length, 20);
    await closing;
    await c.close(); // idempotent
    await assert.rejects(c.getHostname(), (err) => isConnectionClosed(err));
    assert.throws(() => c.getDomainInfo(42 as unknown as string), TypeError);
  });

  test('the addon reports its event loop', () => {
    assert.equal(loadNative().eventLoopRegistered, true);
  });
});
