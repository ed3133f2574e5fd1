#!/usr/bin/env node
/**
 * A group of real collectors in one process, for make bench scale: per host the collector's own parts — a
 * ReconnectingHypervisor on the simulator server's sim:// URI, a HostSampler, a SampleStream to the engine
 * replicas over gRPC — on one timer each (the collector service's loop, its start spread over the interval).
 * One process holds many hosts (1,000 collector processes do not fit on a 2-core machine); grpc-js shares one
 * HTTP/2 connection per engine address among the group's streams, where real collectors hold one each.
 *
 * Input (env BALLAST_SCALE_GROUP, JSON): { uriPrefix, hosts: [[hostId, engineAddresses]], intervalMs }.
 * Prints one JSON line when every host's hypervisor is connected, then one every 5 s: { sent, dropped, errors,
 * collectMsP50 }. Stops on SIGTERM.
 */
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { ReconnectingHypervisor } from '@ballast/hypervisor';
import { HostSampler, SampleStream, hostSampleFromReport } from '@ballast/collector';

interface GroupInput {
  uriPrefix: string;
  /** Each host and the engine gRPC addresses its collector streams to, in order (comma-separated). */
  hosts: [string, string][];
  intervalMs: number;
}

/**
 * Where vCPUs run is read every 5th sample, not every one (the collector's default): it is one call per VM, so
 * 20 per host a sample, and here one process serves 250 hosts' worth of them. Dirty rates are not measured.
 */
const PLACEMENT_EVERY = 5;
const input = JSON.parse(process.env.BALLAST_SCALE_GROUP ?? '') as GroupInput;
const log = pino({ level: 'error' });
const counts = { sent: 0, dropped: 0, errors: 0 };
let collectMs: number[] = [];
const timers: NodeJS.Timeout[] = [];
const closers: (() => Promise<void>)[] = [];

async function startHost(hostId: string, engines: string, offsetMs: number): Promise<void> {
  const uri = `${input.uriPrefix}${hostId}`;
  const hv = ReconnectingHypervisor.forUri(uri, { readOnly: true, log, onConfigError: (e) => fail(`${uri}: ${e.message}`) });
  const sampler = new HostSampler(hv, { hostId, intervalMs: input.intervalMs, balloonEvery: 1, hostInfoEvery: 5, configEvery: 30, placementEvery: PLACEMENT_EVERY, dirtyRateEvery: 0, now: () => Date.now(), migrationUri: uri, log });
  hv.onEvent((ev) => sampler.handleEvent(ev));
  hv.onStateChange((state) => state === 'connected' && sampler.reset(hv));
  await hv.start();
  const stream = new SampleStream({ address: engines, credentials: grpc.credentials.createInsecure(), log });
  closers.push(() => stream.close(), () => hv.close());
  let busy = false;
  const round = async () => {
    if (busy || !hv.connected) return;
    busy = true;
    try {
      const report = await sampler.sample();
      collectMs.push(report.collectMs);
      if (stream.send(hostSampleFromReport(report))) counts.sent++;
      else counts.dropped++;
    } catch {
      counts.errors++;
    } finally {
      busy = false;
    }
  };
  timers.push(setTimeout(() => (void round(), timers.push(setInterval(() => void round(), input.intervalMs))), offsetMs));
}

function fail(msg: string): never {
  process.stderr.write(`scale-collectors: ${msg}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const n = input.hosts.length;
  await Promise.all(input.hosts.map(([h, e], i) => startHost(h, e, Math.floor((i * input.intervalMs) / n))));
  process.stdout.write(`${JSON.stringify({ ready: n })}\n`);
  setInterval(() => {
    const sorted = collectMs.sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ ...counts, collectMsP50: sorted[sorted.length >> 1] ?? null })}\n`);
    collectMs = [];
  }, 5000).unref();
  process.once('SIGTERM', () => {
    for (const t of timers) clearInterval(t);
    void Promise.allSettled(closers.map((c) => c())).then(() => process.exit(0));
  });
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
