#!/usr/bin/env node
/**
 * A group of real actuators in one process, for make bench scale: per host the actuator's own parts — a
 * ReconnectingHypervisor on the simulator server's sim:// URI, a JobRouter and a BullMQ worker on the host's
 * queue (startActuatorWorker) — sharing one Redis connection (each worker opens its own blocking one).
 *
 * Input (env BALLAST_SCALE_GROUP, JSON): { uriPrefix, hosts: [hostId], redisUrl }. Prints one JSON line when
 * every worker runs, then one every 5 s: { succeeded, failed, reasons } (failed attempts by their error, numbers
 * and ids left out so that alike errors count together). Stops on SIGTERM.
 */
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { ReconnectingHypervisor } from '@ballast/hypervisor';
import { actuatorConfigSchema, JobRouter, startActuatorWorker, type ProcessorContext } from '@ballast/actuator';

interface GroupInput {
  uriPrefix: string;
  hosts: string[];
  redisUrl: string;
}

const input = JSON.parse(process.env.BALLAST_SCALE_GROUP ?? '') as GroupInput;
const log = pino({ level: 'error' });
const counts = { succeeded: 0, failed: 0, reasons: {} as Record<string, number> };
const closers: (() => Promise<unknown>)[] = [];

async function startHost(hostId: string, redis: Redis): Promise<Worker> {
  const uri = `${input.uriPrefix}${hostId}`;
  const config = actuatorConfigSchema.parse({ hostId, libvirtUri: uri, redisUrl: input.redisUrl });
  const hv = ReconnectingHypervisor.forUri(uri, { log, onConfigError: (e) => fail(`${uri}: ${e.message}`) });
  await hv.start();
  const ctx: ProcessorContext = { hv, config, now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)), balloonChangedAtMs: new Map(), budgetGrows: new Map() };
  const worker = startActuatorWorker(new JobRouter(ctx, hostId), {
    hostId,
    connection: redis,
    concurrency: config.concurrency,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    log,
    onOutcome: (_job, ok) => void (ok ? counts.succeeded++ : counts.failed++),
  });
  worker.on('failed', (_job, err) => {
    const why = err.message.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>').replace(/\d+(\.\d+)?/g, 'N').slice(0, 120);
    counts.reasons[why] = (counts.reasons[why] ?? 0) + 1;
  });
  closers.push(() => worker.close(), () => hv.close());
  return worker;
}

function fail(msg: string): never {
  process.stderr.write(`scale-actuators: ${msg}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const redis = new Redis(input.redisUrl, { maxRetriesPerRequest: null });
  const workers = await Promise.all(input.hosts.map((h) => startHost(h, redis)));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  process.stdout.write(`${JSON.stringify({ ready: workers.length })}\n`);
  setInterval(() => process.stdout.write(`${JSON.stringify(counts)}\n`), 5000).unref();
  process.once('SIGTERM', () => {
    void Promise.allSettled(closers.map((c) => c()))
      .then(() => redis.quit())
      .finally(() => process.exit(0));
  });
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
