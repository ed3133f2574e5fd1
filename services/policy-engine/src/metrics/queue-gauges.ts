/**
 * Each host's job queue, read from Redis when /metrics is scraped: jobs by state and the age of the oldest
 * waiting job (a queue that grows or a job that waits long: the host's actuator is down or stuck).
 */
import { Gauge, type Registry } from 'prom-client';
import type { QueueBacklog } from '@ballast/queue';
import { onePerScrape } from './one-per-scrape.js';

export interface QueueGaugeSource {
  /** The hosts whose queues to read (those reporting to the engine). */
  hostIds(): Iterable<string>;
  /**
   * Many hosts' queues now, at once (JobQueues.backlogs fits: one pipelined read for every host); a host whose
   * queue cannot be read maps to its Error.
   */
  backlogs(hostIds: readonly string[], nowMs: number): Promise<Map<string, QueueBacklog | Error>>;
  now(): number;
  /** A queue that cannot be read is left out of the scrape and told here. */
  onError?: (hostId: string, err: Error) => void;
}

/** Registers `ballast_queue_jobs{host,state}` and `ballast_queue_oldest_waiting_age_seconds{host}`. */
export function registerQueueGauges(registry: Registry, source: QueueGaugeSource): void {
  // both gauges come from one read per host per scrape
  const read = onePerScrape((nowMs) => readAll(source, nowMs), source.now);
  new Gauge({
    name: 'ballast_queue_jobs',
    help: 'Jobs in each host\'s queue by state: waiting (to be taken), active (being applied), delayed (waiting out a retry\'s backoff)',
    labelNames: ['host', 'state'] as const,
    registers: [registry],
    async collect() {
      const all = await read();
      this.reset();
      for (const [host, b] of all) {
        this.set({ host, state: 'waiting' }, b.waiting);
        this.set({ host, state: 'active' }, b.active);
        this.set({ host, state: 'delayed' }, b.delayed);
      }
    },
  });
  new Gauge({
    name: 'ballast_queue_oldest_waiting_age_seconds',
    help: 'How long the oldest waiting job of each host\'s queue has waited since it was enqueued, seconds (0: none waits)',
    labelNames: ['host'] as const,
    registers: [registry],
    async collect() {
      const all = await read();
      this.reset();
      for (const [host, b] of all) this.set({ host }, b.oldestWaitingAgeMs / 1000);
    },
  });
}

async function readAll(source: QueueGaugeSource, nowMs: number): Promise<Map<string, QueueBacklog>> {
  const hosts = [...source.hostIds()];
  const read = await readEach(source, hosts, nowMs);
  const out = new Map<string, QueueBacklog>();
  for (const host of hosts) {
    const b = read.get(host);
    if (b instanceof Error) source.onError?.(host, b);
    else if (b !== undefined) out.set(host, b);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** Every host's backlog, or the Error reading it (all of them when the read as a whole failed). */
async function readEach(source: QueueGaugeSource, hosts: string[], nowMs: number): Promise<Map<string, QueueBacklog | Error>> {
  try {
    return await source.backlogs(hosts, nowMs);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return new Map(hosts.map((h) => [h, err]));
  }
}
