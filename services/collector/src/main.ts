#!/usr/bin/env node
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ReconnectingHypervisor, isConnectionError, selfMigrationUri } from '@ballast/hypervisor';
import { createServiceScaffold, registerLibvirtLinkMetrics, runService, type IntervalLoop } from '@ballast/runtime';
import { collectorConfigSchema, type CollectorConfig } from './collector-config.js';
import { HostSampler, type SamplerLog } from './host-sampler.js';
import { hostSampleFromReport } from './mappers.js';
import { SampleStream } from './sample-stream.js';
import { isCrashEvent, isUrgentEvent } from './urgent-events.js';

async function main(): Promise<void> {
  const svc = createServiceScaffold({ service: 'collector', schema: collectorConfigSchema, aliases: { libvirtUri: 'LIBVIRT_URI' } });
  const { config, hostId, log, registry } = svc;
  const security = svc.grpcClientSecurity();

  // libvirt: read-only, kept connected; a late or restarting libvirtd is waited for, a bad URI exits 2.
  const hv = ReconnectingHypervisor.forUri(config.libvirtUri, {
    readOnly: true,
    log,
    onConfigError: (e) => svc.fail(`config: libvirtUri=${config.libvirtUri} — ${e.message}`),
  });
  svc.onShutdown('libvirt', () => hv.close());
  const sampler = samplerFollowing(hv, config, hostId, log);
  await hv.start();

  const stream = new SampleStream({ address: config.engineAddress, credentials: security.credentials, interceptors: security.interceptors, log });
  svc.onShutdown('sample stream', () => stream.close());

  const { cycles, collectSeconds, vmsGauge, crashEvents } = collectionMetrics(registry, stream);
  registerLibvirtLinkMetrics(registry, hv);
  let lastOkMs = 0;

  const collection = svc.every('collection', config.intervalMs, async () => {
    // While libvirt is away the hypervisor reconnects by itself; a cycle has nothing to read.
    if (!hv.connected) return void cycles.inc({ outcome: 'disconnected' });
    try {
      const report = await sampler.sample();
      collectSeconds.observe(report.collectMs / 1000);
      vmsGauge.set(report.vms.length);
      stream.send(hostSampleFromReport(report));
      lastOkMs = Date.now();
      cycles.inc({ outcome: 'ok' });
    } catch (e) {
      if (isConnectionError(e)) return void cycles.inc({ outcome: 'disconnected' });
      cycles.inc({ outcome: 'error' });
      log.warn({ err: (e as Error).message }, 'collection failed');
    }
  }, { runAtStart: true });
  reportAtOnceOn(hv, collection, crashEvents, log);

  const ops = await svc.serveOps({
    port: config.opsPort,
    host: config.opsHost,
    health: async () => ({
      ok: hv.connected && Date.now() - lastOkMs < 3 * config.intervalMs,
      details: {
        ...hv.healthDetails(),
        engine: stream.connected ? 'connected' : 'reconnecting',
        lastSampleAt: lastOkMs ? new Date(lastOkMs).toISOString() : null,
        sent: stream.sent,
        dropped: stream.dropped,
      },
    }),
  });

  log.info(
    { libvirtUri: config.libvirtUri, libvirt: hv.state, engine: config.engineAddress, intervalMs: config.intervalMs, opsPort: ops.port },
    `collector for ${hostId} streaming to ${config.engineAddress}`,
  );
}

/** A VM that crashed (a guest panic), stopped or started is reported at once, not at the next interval. */
function reportAtOnceOn(hv: ReconnectingHypervisor, collection: IntervalLoop, crashEvents: Counter, log: SamplerLog): void {
  hv.onEvent((ev) => {
    if (!isUrgentEvent(ev) || ev.kind !== 'lifecycle') return;
    if (isCrashEvent(ev)) {
      crashEvents.inc();
      log.info({ vm: ev.name, uuid: ev.uuid, detail: ev.detail }, `${ev.name} crashed (libvirt's crash event): reporting at once`);
    }
    collection.runNow();
  });
}

/** The host sampler, told of libvirt events, and started over after each (re)connect. */
function samplerFollowing(hv: ReconnectingHypervisor, config: CollectorConfig, hostId: string, log: SamplerLog): HostSampler {
  // a simulator server's sim:// URI reaches this host from anywhere: it is the migration URI unless one is set
  const migrationUri = config.migrationUri ?? selfMigrationUri(config.libvirtUri);
  const sampler = new HostSampler(hv, {
    hostId,
    intervalMs: config.intervalMs,
    balloonEvery: config.balloonEvery,
    hostInfoEvery: config.hostInfoEvery,
    configEvery: config.configEvery,
    placementEvery: config.placementEvery,
    vcpuWaitEvery: config.vcpuWaitEvery,
    ...(config.balloonSteadyMs > 0
      ? { balloonSchedule: { steadyMs: config.balloonSteadyMs, movingKiB: config.balloonMovingKiB, settleMs: config.balloonSettleMs } }
      : {}),
    dirtyRateEvery: config.dirtyRateEvery,
    dirtyRateSec: config.dirtyRateSec,
    now: () => Date.now(),
    log,
    ...(migrationUri ? { migrationUri } : {}),
    ...(config.migrationDataUri ? { migrationDataUri: config.migrationDataUri } : {}),
    ...(config.hostLabels ? { labels: config.hostLabels } : {}),
  });
  // lifecycle, tunable (a pin, a CPU tune or numatune change) and metadata-change (a pin's record) events
  hv.onEvent((ev) => sampler.handleEvent(ev));
  // CPU counters of the old connection say nothing about the new one: start over after each (re)connect.
  hv.onStateChange((state) => state === 'connected' && sampler.reset(hv));
  return sampler;
}

function collectionMetrics(registry: Registry, stream: SampleStream) {
  new Gauge({
    name: 'ballast_collector_engine_connected',
    help: 'Whether the sample stream to the policy engine is connected (1) or reconnecting (0)',
    registers: [registry],
    collect() {
      this.set(stream.connected ? 1 : 0);
    },
  });
  new Counter({
    name: 'ballast_collector_samples_dropped_total',
    help: 'Samples not sent because the stream to the policy engine was down',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stream.dropped);
    },
  });
  return {
    cycles: new Counter({ name: 'ballast_collector_cycles_total', help: 'Collection cycles', labelNames: ['outcome'], registers: [registry] }),
    collectSeconds: new Histogram({
      name: 'ballast_collector_collect_seconds',
      help: 'Time of one stats read (bulk call + node stats)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    vmsGauge: new Gauge({ name: 'ballast_collector_vms', help: 'VMs in the last sample', registers: [registry] }),
    crashEvents: new Counter({
      name: 'ballast_collector_vm_crash_events_total',
      help: "libvirt's crashed lifecycle events seen (a guest panic, with a pvpanic device); each is reported at once",
      registers: [registry],
    }),
  };
}

runService('collector', main);
