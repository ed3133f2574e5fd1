// The cluster gauges as they were before TextGauge (commit 125f39d), kept verbatim below this header as the
// reference the new ones are tested against (cluster-gauges-same.test.ts) and the bench's "before" row
// (bench/src/metrics-bench.ts). Not used by the engine.
/**
 * Per-VM and per-host gauges from the engine's ClusterState, computed when /metrics is scraped: what the
 * collectors last reported, so one scrape of the engine covers the cluster. Names follow
 * prometheus-libvirt-exporter's where they mean the same (`libvirt_domain_*`), ballast_ otherwise; labels are
 * `host` (the reporting host's id) and `domain` (the VM's name, as the exporter labels it), plus `vcpu` /
 * `cpu` on per-vCPU and per-pCPU series. Series of VMs and hosts that left the state go with them.
 */
import { Gauge, type Registry } from 'prom-client';
import type { HostView, VmView } from '@ballast/domain';
import { onePerScrape } from './one-per-scrape.js';

const KiB = 1024;

/** What the gauges read: the cluster now (ClusterState fits) and the last balloon target sent per VM. */
export interface ClusterGaugeSourceReference {
  hosts(): HostView[];
  vms(): VmView[];
  /** The last set-memory target this engine sent for the VM (by uuid), KiB; undefined when it sent none. */
  balloonTargetKiB(vmUuid: string): number | undefined;
  now(): number;
}

type Fill<L extends string> = (g: Gauge<L>, view: ClusterView) => void;

interface ClusterView {
  nowMs: number;
  hosts: HostView[];
  vms: VmView[];
}

/** Registers every cluster gauge on `registry`. */
export function registerClusterGaugesReference(registry: Registry, source: ClusterGaugeSourceReference): void {
  // one read of the state per scrape, shared by every gauge
  const view = onePerScrape((nowMs): ClusterView => ({ nowMs, hosts: source.hosts(), vms: source.vms() }), source.now);
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: Fill<L>) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(this, view());
      },
    });
  vmGauges(gauge, source);
  hostGauges(gauge);
  ksmGauges(gauge);
}

type GaugeMaker = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: Fill<L>) => Gauge<L>;

const VM = ['host', 'domain'] as const;
const vmLabels = (v: VmView) => ({ host: v.hostId, domain: v.name });

function vmGauges(gauge: GaugeMaker, source: ClusterGaugeSourceReference): void {
  const balloon = (name: string, help: string, pick: (b: NonNullable<VmView['balloon']>) => number | undefined) =>
    gauge(name, help, VM, (g, { vms }) => {
      for (const v of vms) {
        const value = v.balloon ? pick(v.balloon) : undefined;
        if (value !== undefined) g.set(vmLabels(v), value * KiB);
      }
    });
  balloon('libvirt_domain_info_memory_usage_bytes', 'The VM\'s current memory (its balloon), bytes', (b) => b.actualKiB);
  balloon('libvirt_domain_info_maximum_memory_bytes', 'The VM\'s maximum memory, bytes', (b) => b.maximumKiB);
  balloon('libvirt_domain_memory_stats_unused_bytes', 'Memory the guest leaves unused, bytes (guests that report memory stats)', (b) => (b.hasGuestStats ? b.unusedKiB : undefined));
  balloon('libvirt_domain_memory_stats_available_bytes', 'Memory the guest sees (its MemTotal), bytes (guests that report memory stats)', (b) =>
    b.hasGuestStats && b.availableKiB > 0 ? b.availableKiB : undefined,
  );
  balloon('libvirt_domain_memory_stats_usable_bytes', 'Memory the guest can use without swapping (its MemAvailable), bytes (guests that report memory stats)', (b) =>
    b.hasGuestStats && b.usableKiB > 0 ? b.usableKiB : undefined,
  );
  gauge('ballast_domain_balloon_target_bytes', 'The last balloon target Ballast sent for the VM (set-memory), bytes; absent when it sent none since the engine started', VM, (g, { vms }) => {
    for (const v of vms) {
      const kib = source.balloonTargetKiB(v.uuid);
      if (kib !== undefined) g.set(vmLabels(v), kib * KiB);
    }
  });
  gauge('libvirt_domain_info_virtual_cpus', 'Number of virtual CPUs of the VM (VMs whose vCPU stats the collector reads)', VM, (g, { vms }) => {
    for (const v of vms) if (v.vcpus.length > 0) g.set(vmLabels(v), v.vcpus.length);
  });
  gauge('ballast_domain_cpu_usage_ratio', 'The VM\'s CPU use over the last interval, in pCPUs (1 = one pCPU busy)', VM, (g, { vms }) => {
    for (const v of vms) g.set(vmLabels(v), v.cpuPercent / 100);
  });
  const perVcpu = (name: string, help: string, pick: (c: VmView['vcpus'][number]) => number | undefined) =>
    gauge(name, help, [...VM, 'vcpu'] as const, (g, { vms }) => {
      for (const v of vms) {
        for (const c of v.vcpus) {
          const value = pick(c);
          if (value !== undefined) g.set({ ...vmLabels(v), vcpu: String(c.id) }, value / 100);
        }
      }
    });
  perVcpu('ballast_domain_vcpu_usage_ratio', 'Each vCPU\'s use over the last interval, share of one pCPU', (c) => c.usagePercent);
  perVcpu('ballast_domain_vcpu_wait_ratio', 'Share of the last interval each vCPU waited, runnable, for a pCPU (where the collector reads it)', (c) => c.waitPercent);
}

function hostGauges(gauge: GaugeMaker): void {
  const HOST = ['host'] as const;
  const perHost = (name: string, help: string, pick: (h: HostView, nowMs: number) => number | undefined) =>
    gauge(name, help, HOST, (g, { hosts, nowMs }) => {
      for (const h of hosts) {
        const value = pick(h, nowMs);
        if (value !== undefined) g.set({ host: h.hostId }, value);
      }
    });
  perHost('ballast_host_cpus', 'pCPUs of the host', (h) => h.pcpuCount);
  perHost('ballast_host_memory_total_bytes', 'Memory of the host, bytes', (h) => h.memoryTotalKiB * KiB);
  perHost('ballast_host_memory_free_bytes', 'Free memory of the host, bytes', (h) => h.memoryFreeKiB * KiB);
  perHost('ballast_host_stale', 'Whether the host\'s last sample is older than the engine\'s staleAfterIntervals (1): policies leave a stale host alone', (h) => (h.stale ? 1 : 0));
  perHost('ballast_host_last_sample_age_seconds', 'Time since the engine received the host\'s last sample, seconds', (h, nowMs) => Math.max(0, nowMs - h.lastSampleMs) / 1000);
  perHost('ballast_host_maintenance', 'Whether the host is in maintenance mode (1)', (h) => (h.maintenance ? 1 : 0));
  gauge('ballast_host_vms', 'VMs the host reports', HOST, (g, { hosts, vms }) => {
    for (const h of hosts) g.set({ host: h.hostId }, 0);
    for (const v of vms) g.inc({ host: v.hostId });
  });
  gauge('ballast_host_vms_crashed', 'VMs the host reports crashed (a guest panic kept for inspection): no policy acts on them until they run again', HOST, (g, { hosts, vms }) => {
    for (const h of hosts) g.set({ host: h.hostId }, 0);
    for (const v of vms) if (v.state === 'crashed') g.inc({ host: v.hostId });
  });
  gauge('ballast_host_cpu_usage_ratio', 'Each pCPU\'s use over the last interval (0-1)', ['host', 'cpu'] as const, (g, { hosts }) => {
    for (const h of hosts) for (const p of h.pcpus) g.set({ host: h.hostId, cpu: String(p.pcpu) }, p.usagePercent / 100);
  });
  gauge('ballast_hosts', 'Hosts reporting to the engine', [], (g, { hosts }) => g.set(hosts.length));
  gauge('ballast_hosts_stale', 'Hosts whose last sample is stale', [], (g, { hosts }) => g.set(hosts.filter((h) => h.stale).length));
}

const KSM_RUN: Record<string, number> = { stop: 0, run: 1, unmerge: 2 };

function ksmGauges(gauge: GaugeMaker): void {
  const HOST = ['host'] as const;
  const perHost = (name: string, help: string, pick: (k: NonNullable<HostView['ksm']>) => number | undefined) =>
    gauge(name, help, HOST, (g, { hosts }) => {
      for (const h of hosts) {
        const value = h.ksm ? pick(h.ksm) : undefined;
        if (value !== undefined) g.set({ host: h.hostId }, value);
      }
    });
  perHost('ballast_host_ksm_run', 'ksmd\'s mode: 0 stop, 1 run, 2 unmerge (hosts whose collector reads /sys/kernel/mm/ksm)', (k) => (k.run !== undefined ? KSM_RUN[k.run] : undefined));
  perHost('ballast_host_ksm_pages_shared', 'KSM shared pages in use', (k) => k.pagesShared);
  perHost('ballast_host_ksm_pages_sharing', 'KSM sites sharing them (pages_sharing x page size is what merging saves)', (k) => k.pagesSharing);
  perHost('ballast_host_ksm_pages_unshared', 'KSM pages unique but checked repeatedly for merging', (k) => k.pagesUnshared);
  perHost('ballast_host_ksm_pages_volatile', 'KSM pages changing too fast to be merged', (k) => k.pagesVolatile);
  perHost('ballast_host_ksm_full_scans', 'Full scans ksmd has made (the kernel\'s counter: use rate() / increase())', (k) => k.fullScans);
  perHost('ballast_host_ksm_pages_to_scan', 'Pages ksmd scans per wake-up', (k) => k.pagesToScan);
  perHost('ballast_host_ksm_sleep_seconds', 'ksmd\'s sleep between scans, seconds', (k) => k.sleepMillisecs / 1000);
  perHost('ballast_host_ksmd_cpu_usage_ratio', 'ksmd\'s CPU over the last interval, share of one pCPU (collector on the libvirt host only)', (k) =>
    k.ksmdCpuPercent !== undefined ? k.ksmdCpuPercent / 100 : undefined,
  );
}
