#!/usr/bin/env node
import { Counter, Gauge, Histogram } from 'prom-client';
import { openHypervisor, type Hypervisor } from '@ballast/hypervisor';
import {
  createGracefulShutdown,
  createLogger,
  createMetricsRegistry,
  exitOnConfigError,
  grpcClientSecurity,
  loadConfig,
  resolveHostId,
  startOpsServer,
} from '@ballast/runtime';
import { collectorConfigSchema } from './collector-config.js';
import { HostSampler } from './host-sampler.js';
import { hostSampleFromReport } from './mappers.js';
import { SampleStream } from './sample-stream.js';

function die(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const config = exitOnConfigError(() => loadConfig(collectorConfigSchema, { aliases: { libvirtUri: 'LIBVIRT_URI' } }));
  const hostId = exitOnConfigError(() => resolveHostId({ hostId: config.hostId }));
  const log = createLogger({ service: 'collector', hostId, logLevel: config.logLevel });
  const security = exitOnConfigError(() =>
    grpcClientSecurity({ token: config.grpcToken, tlsCaFile: config.tlsCaFile, tlsCertFile: config.tlsCertFile, tlsKeyFile: config.tlsKeyFile }),
  );
  const shutdown = createGracefulShutdown({ logger: log });

  let hv: Hypervisor;
  try {
    hv = await openHypervisor(config.libvirtUri, { readOnly: true });
  } catch (e) {
    die(`config: libvirtUri=${config.libvirtUri} — ${(e as Error).message}`);
  }
  let connected = true;
  const samplerOpts = {
    hostId,
    intervalMs: config.intervalMs,
    balloonEvery: config.balloonEvery,
    hostInfoEvery: config.hostInfoEvery,
    configEvery: config.configEvery,
    now: () => Date.now(),
    ...(config.migrationUri ? { migrationUri: config.migrationUri } : {}),
    ...(config.migrationDataUri ? { migrationDataUri: config.migrationDataUri } : {}),
  };
  const sampler = new HostSampler(hv, samplerOpts);
  const watch = (h: Hypervisor) =>
    h.onEvent((ev) => {
      if (ev.kind === 'tunable') sampler.invalidatePinning(ev.uuid);
      else if (ev.kind === 'lifecycle') {
        sampler.invalidatePinning(ev.uuid);
        sampler.invalidateConfig(ev.uuid);
      } else if (ev.kind === 'connection-lost') {
        connected = false;
        log.warn({ reason: ev.reason }, 'libvirt connection lost');
      }
    });
  let unwatch = watch(hv);
  shutdown.add('libvirt', () => hv.close());

  const stream = new SampleStream({ address: config.engineAddress, credentials: security.credentials, interceptors: security.interceptors, log });
  shutdown.add('sample stream', () => stream.close());

  const registry = createMetricsRegistry({ service: 'collector', hostId });
  const cycles = new Counter({ name: 'ballast_collector_cycles_total', help: 'Collection cycles', labelNames: ['outcome'], registers: [registry] });
  const collectSeconds = new Histogram({
    name: 'ballast_collector_collect_seconds',
    help: 'Time of one stats read (bulk call + node stats)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const vmsGauge = new Gauge({ name: 'ballast_collector_vms', help: 'VMs in the last sample', registers: [registry] });
  let lastOkMs = 0;

  async function reconnect(): Promise<void> {
    try {
      const next = await openHypervisor(config.libvirtUri, { readOnly: true });
      unwatch();
      await hv.close().catch(() => {});
      hv = next;
      unwatch = watch(next);
      sampler.reset(next);
      connected = true;
      log.info('libvirt reconnected');
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'libvirt reconnect failed; retrying next cycle');
    }
  }

  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      if (!connected) await reconnect();
      if (!connected) return;
      const report = await sampler.sample();
      collectSeconds.observe(report.collectMs / 1000);
      vmsGauge.set(report.vms.length);
      stream.send(hostSampleFromReport(report));
      lastOkMs = Date.now();
      cycles.inc({ outcome: 'ok' });
    } catch (e) {
      cycles.inc({ outcome: 'error' });
      log.warn({ err: (e as Error).message }, 'collection failed');
      connected = false;
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), config.intervalMs);
  void tick();
  shutdown.add('collection timer', () => clearInterval(timer));

  const ops = await startOpsServer({
    port: config.opsPort,
    host: config.opsHost,
    registry,
    health: async () => ({
      ok: connected && Date.now() - lastOkMs < 3 * config.intervalMs,
      details: { libvirt: connected ? 'connected' : 'reconnecting', engine: stream.connected ? 'connected' : 'reconnecting', lastSampleAt: lastOkMs ? new Date(lastOkMs).toISOString() : null, sent: stream.sent, dropped: stream.dropped },
    }),
  }).catch((e: Error) => die(`config: opsPort=${config.opsPort} — cannot listen on ${config.opsHost}: ${e.message}`));
  shutdown.add('ops server', () => ops.close());

  log.info({ libvirtUri: config.libvirtUri, engine: config.engineAddress, intervalMs: config.intervalMs, opsPort: ops.port }, `collector for ${hostId} streaming to ${config.engineAddress}`);
}

main().catch((e: Error) => {
  process.stderr.write(`collector: ${e.message}\n`);
  process.exit(1);
});
