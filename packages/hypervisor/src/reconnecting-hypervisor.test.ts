import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HypervisorEvent, VmRef } from '@ballast/domain';
import { ErrorCode, ErrorDomain, LibvirtError } from '@ballast/libvirt';
import type { Hypervisor } from './hypervisor.js';
import {
  HypervisorUnavailableError,
  ReconnectingHypervisor,
  isRetryableOpenError,
  type HypervisorLinkState,
  type ReconnectingHypervisorOptions,
} from './reconnecting-hypervisor.js';

const URI = 'qemu:///system';
const daemonDown = () =>
  new LibvirtError("Failed to connect socket to '/var/run/libvirt/libvirt-sock-ro': No such file or directory", ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC);
const noDriver = () => new LibvirtError('no connection driver available for bogus:///nowhere', ErrorCode.NO_CONNECT, ErrorDomain.NONE);
const lostInCall = () => new LibvirtError('Cannot recv data: Connection reset by peer', ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC);
const vmGone = () => new LibvirtError("Domain not found: no domain with matching uuid 'x'", ErrorCode.NO_DOMAIN, ErrorDomain.QEMU);

/** One connection of the fake hypervisor: answers listVms, emits events on demand, records close. */
class FakeConnection {
  readonly listeners = new Set<(ev: HypervisorEvent) => void>();
  closed = false;
  failNext: Error | undefined;
  /** Every call fails with this (a dead connection). */
  dead: Error | undefined;

  constructor(readonly id: number) {}

  emit(ev: HypervisorEvent): void {
    for (const l of [...this.listeners]) l(ev);
  }

  asHypervisor(): Hypervisor {
    const notUsed = () => Promise.reject(new Error('not used in this test'));
    return {
      uri: URI,
      listVms: async (): Promise<VmRef[]> => {
        const err = this.failNext ?? this.dead;
        this.failNext = undefined;
        if (err) throw err;
        return [{ uuid: `vm-of-connection-${this.id}`, name: 'vm', state: 'running' } as VmRef];
      },
      hostInfo: notUsed, nodeCpuTimes: notUsed, nodeMemory: notUsed, collectStats: notUsed, vmStats: notUsed,
      getVcpuPinning: notUsed, vmConfig: notUsed, currentPcpus: notUsed, recordPins: notUsed, setMemory: notUsed, setMemoryStatsPeriod: notUsed, pinVcpu: notUsed,
      getCpuTune: notUsed, setCpuTune: notUsed, getNumaTune: notUsed, setNumaTune: notUsed, getKsm: notUsed, setKsm: notUsed, migrate: notUsed, migrationProgress: notUsed, abortMigration: notUsed,
      onEvent: (l) => {
        this.listeners.add(l);
        return () => void this.listeners.delete(l);
      },
      close: async () => void (this.closed = true),
    };
  }
}

/** An opener that fails with `failures` (in order) before each success; records the connections it made. */
function fakeOpener(failures: Error[] = []) {
  const connections: FakeConnection[] = [];
  let calls = 0;
  const open = async (): Promise<Hypervisor> => {
    calls++;
    const err = failures.shift();
    if (err) throw err;
    const c = new FakeConnection(connections.length + 1);
    connections.push(c);
    return c.asHypervisor();
  };
  return { open, connections, calls: () => calls, failures };
}

function recordingLog() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  return { lines, info: (obj: object, msg?: string) => void lines.push({ level: 'info', obj, msg }), warn: (obj: object, msg?: string) => void lines.push({ level: 'warn', obj, msg }) };
}

function make(opener: ReturnType<typeof fakeOpener>, extra: Partial<ReconnectingHypervisorOptions> = {}) {
  const log = recordingLog();
  const states: HypervisorLinkState[] = [];
  const hv = new ReconnectingHypervisor({ uri: URI, open: opener.open, log, backoff: { next: () => 10, reset() {} }, ...extra });
  hv.onStateChange((s) => void states.push(s));
  return { hv, log, states };
}

/** A ReconnectingHypervisor already connected to a fake; `first` is that connection. */
async function connectedToFake(extra: Partial<ReconnectingHypervisorOptions> = {}) {
  const opener = fakeOpener();
  const made = make(opener, extra);
  await made.hv.start();
  return { opener, ...made, first: opener.connections[0]! };
}

async function until(what: string, probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('ReconnectingHypervisor', () => {
  it('the first open waits: N failed attempts (a warn line each, with the next delay), then connected', async () => {
    const opener = fakeOpener([daemonDown(), daemonDown(), daemonDown()]);
    const { hv, log, states } = make(opener);
    await hv.start();
    assert.equal(hv.state, 'waiting');
    await until('connected', () => hv.connected);
    assert.equal(opener.calls(), 4);
    assert.deepEqual(states, ['waiting', 'connected']);
    const warns = log.lines.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 3);
    assert.match(warns[0]?.msg ?? '', /^libvirt at qemu:\/\/\/system not reachable; waiting for it \(next attempt in 10 ms\)$/);
    assert.match(JSON.stringify(warns[0]?.obj), /"retryInMs":10/);
    assert.deepEqual((await hv.listVms()).map((v) => v.uuid), ['vm-of-connection-1']);
    assert.deepEqual(hv.healthDetails(), { libvirt: 'connected' });
    await hv.close();
  });

  it('uses the backoff: delays from next(), reset() after a connection', async () => {
    const opener = fakeOpener([daemonDown(), daemonDown()]);
    const delays: number[] = [];
    let resets = 0;
    const { hv } = make(opener, { backoff: { next: () => (delays.push(5 * (delays.length + 1)), 5 * delays.length), reset: () => void resets++ } });
    await hv.start();
    await until('connected', () => hv.connected);
    assert.deepEqual([delays, resets], [[5, 10], 1]);
    await hv.close();
  });

  it('a call while disconnected fails at once with a retryable HypervisorUnavailableError', async () => {
    const opener = fakeOpener([daemonDown()]);
    const { hv } = make(opener, { backoff: { next: () => 60_000, reset() {} } });
    await hv.start();
    const t0 = Date.now();
    const err = await hv.listVms().then(() => assert.fail('must fail'), (e: unknown) => e);
    assert.ok(Date.now() - t0 < 50);
    assert.ok(err instanceof HypervisorUnavailableError);
    assert.equal(err.retryable, true);
    assert.match(err.message, /^libvirt at qemu:\/\/\/system is not connected \(waiting; last error: Failed to connect socket/);
    assert.deepEqual(hv.healthDetails(), { libvirt: 'reconnecting', libvirtError: daemonDown().message });
    await hv.close();
  });

  it("a 'connection-lost' event: reconnects, and listeners given to onEvent move to the new connection", async () => {
    const seen: string[] = [];
    const { hv, states, log, opener, first } = await connectedToFake();
    hv.onEvent((ev) => void seen.push(ev.kind === 'lifecycle' ? `${ev.name}:${ev.event}` : ev.kind));
    first.emit({ kind: 'lifecycle', uuid: 'u1', name: 'vm1', event: 'started', detail: 0 });
    first.emit({ kind: 'connection-lost', reason: 'end of file from libvirtd' });
    assert.equal(hv.state, 'waiting');
    assert.equal(first.closed, true);
    assert.equal(first.listeners.size, 0);
    await until('reconnected', () => hv.connected);
    const second = opener.connections[1]!;
    assert.equal(second.listeners.size, 1);
    second.emit({ kind: 'lifecycle', uuid: 'u1', name: 'vm1', event: 'stopped', detail: 0 });
    first.emit({ kind: 'lifecycle', uuid: 'u1', name: 'vm1', event: 'resumed', detail: 0 });
    assert.deepEqual(seen, ['vm1:started', 'connection-lost', 'vm1:stopped']);
    assert.deepEqual(states, ['connected', 'waiting', 'connected']);
    assert.equal(hv.connects, 2);
    assert.ok(log.lines.some((l) => l.msg === 'libvirt connection lost; reconnecting in 10 ms'));
    assert.ok(log.lines.some((l) => l.msg === 'libvirt reconnected: qemu:///system'));
    assert.deepEqual((await hv.listVms()).map((v) => v.uuid), ['vm-of-connection-2']);
    await hv.close();
  });

  it('a call failing with a connection error marks the connection lost; a VM that vanished does not', async () => {
    const { hv, opener, first } = await connectedToFake();
    first.failNext = vmGone();
    await assert.rejects(hv.listVms(), /Domain not found/);
    assert.equal(hv.state, 'connected');
    first.dead = lostInCall();
    await assert.rejects(hv.listVms(), /Connection reset by peer/);
    await until('waiting', () => hv.state === 'waiting');
    assert.equal(hv.lastError, 'Cannot recv data: Connection reset by peer');
    await until('reconnected', () => hv.connected);
    assert.equal(opener.connections.length, 2);
    await hv.close();
  });

  it("a connection error of a call whose connection still answers (a migration target's, say) keeps the connection", async () => {
    const { hv, opener, first } = await connectedToFake();
    first.failNext = new LibvirtError("unable to connect to server at '10.77.0.2:16509': Connection refused", ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC);
    await assert.rejects(hv.listVms(), /Connection refused/);
    await sleep(30);
    assert.deepEqual([hv.state, opener.connections.length, first.closed], ['connected', 1, false]);
    await hv.close();
  });

  it('a lost connection reported twice (event and call) reconnects once', async () => {
    const { hv, opener, first } = await connectedToFake();
    first.dead = lostInCall();
    const call = hv.listVms();
    first.emit({ kind: 'connection-lost', reason: 'keepalive timeout' });
    await assert.rejects(call);
    await until('reconnected', () => hv.connected);
    await sleep(30);
    assert.equal(opener.connections.length, 2);
    await hv.close();
  });

  it('an open error retrying cannot fix is not retried: onConfigError, state failed', async () => {
    const opener = fakeOpener([noDriver()]);
    const errors: Error[] = [];
    const { hv, log } = make(opener, { onConfigError: (e) => void errors.push(e) });
    await hv.start();
    assert.equal(hv.state, 'failed');
    assert.deepEqual(errors.map((e) => e.message), ['no connection driver available for bogus:///nowhere']);
    await sleep(30);
    assert.equal(opener.calls(), 1);
    assert.equal(log.lines.length, 0);
    await assert.rejects(hv.listVms(), /not connected \(failed; last error: no connection driver/);
    await hv.close();
  });

  it('a daemon that is down first, then says "no such driver", is a config error too (it was never connected)', async () => {
    const opener = fakeOpener([daemonDown(), noDriver()]);
    const errors: Error[] = [];
    const { hv } = make(opener, { onConfigError: (e) => void errors.push(e) });
    await hv.start();
    await until('failed', () => hv.state === 'failed');
    assert.equal(errors.length, 1);
  });

  it('once connected, every open failure is retried (the URI worked before)', async () => {
    const errors: Error[] = [];
    const { hv, opener, first } = await connectedToFake({ onConfigError: (e) => void errors.push(e) });
    opener.failures.push(noDriver(), daemonDown());
    first.emit({ kind: 'connection-lost', reason: 'eof' });
    await until('reconnected', () => hv.connected);
    assert.deepEqual([errors.length, opener.calls()], [0, 4]);
    await hv.close();
  });

  it('close() stops retrying and closes the connection', async () => {
    const opener = fakeOpener([daemonDown()]);
    const { hv } = make(opener);
    await hv.start();
    await hv.close();
    await sleep(30);
    assert.equal(opener.calls(), 1);
    assert.equal(hv.state, 'closed');
    const b = await connectedToFake();
    await b.hv.close();
    assert.equal(b.first.closed, true);
  });

  it('isRetryableOpenError: transport errors yes; no driver, a malformed URI, non-libvirt errors no', () => {
    assert.equal(isRetryableOpenError(daemonDown()), true);
    assert.equal(isRetryableOpenError(new LibvirtError('End of file while reading data', ErrorCode.SYSTEM_ERROR, ErrorDomain.REMOTE)), true);
    assert.equal(isRetryableOpenError(noDriver()), false);
    assert.equal(isRetryableOpenError(new LibvirtError('internal error: Unable to parse URI qemu://[bad', ErrorCode.INTERNAL_ERROR, 45)), false);
    assert.equal(isRetryableOpenError(new Error('sim:// hypervisors live in-process')), false);
  });
});
