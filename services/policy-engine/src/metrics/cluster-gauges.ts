/**
 * Per-VM and per-host gauges from the engine's ClusterState, computed when /metrics is scraped: what the
 * collectors last reported, so one scrape of the engine covers the cluster. Names follow
 * prometheus-libvirt-exporter's where they mean the same (`libvirt_domain_*`), ballast_ otherwise; labels are
 * `host` (the reporting host's id) and `domain` (the VM's name, as the exporter labels it), plus `vcpu` /
 * `cpu` on per-vCPU and per-pCPU series. Series of VMs and hosts that left the state go with them.
 */
import type { Registry } from 'prom-client';
import type { HostView, VmReport } from '@ballast/domain';
import { TextGauge, labelPairs, type SeriesWriter } from '@ballast/runtime';
import { onePerScrape } from './one-per-scrape.js';

const KiB = 1024;

/** A VM as the gauges read it: its latest report and its host (ClusterState.placedVms fits). */
export interface PlacedVm {
  hostId: string;
  vm: Pick<VmReport, 'uuid' | 'name' | 'state' | 'cpuPercent' | 'vcpus' | 'balloon'>;
}

/** What the gauges read: the cluster now (ClusterState fits) and the last balloon target sent per VM. */
export interface ClusterGaugeSource {
  hosts(): HostView[];
  vms(): readonly PlacedVm[];
  /** The last set-memory target this engine sent for the VM (by uuid), KiB; undefined when it sent none. */
  balloonTargetKiB(vmUuid: string): number | undefined;
  now(): number;
}

type Fill = (w: SeriesWriter, view: ClusterView) => void;

interface ClusterView {
  nowMs: number;
  hosts: HostView[];
  vms: readonly PlacedVm[];
  /** Each VM's labels (host, domain) as text, by its index in vms: made once a scrape, shared by its series. */
  vmText: string[];
  /** Each host's label (host) as text, by host id. */
  hostText: Map<string, string>;
  /** No two VMs with the same host and name, no VM with two vCPUs of one id, no host with two pCPUs of one id: each series is set once. */
  distinct: boolean;
}

/**
 * Registers every cluster gauge on `registry`. They are TextGauges (@ballast/runtime): at 20,000 VMs a scrape
 * writes some 250,000 series, too many for prom-client's Gauge to hash and format in time.
 */
export function registerClusterGauges(registry: Registry, source: ClusterGaugeSource): void {
  // one read of the state per scrape, shared by every gauge
  const view = onePerScrape((nowMs): ClusterView => viewOf(nowMs, source.hosts(), source.vms()), source.now);
  const gauge = (name: string, help: string, labelNames: readonly string[], fill: Fill, counts = false) =>
    new TextGauge({ name, help, labelNames, registers: [registry], fill: (w) => fill(w, view()), distinct: () => !counts && view().distinct });
  vmGauges(gauge, source);
  hostGauges(gauge);
  ksmGauges(gauge);
}

function viewOf(nowMs: number, hosts: HostView[], vms: readonly PlacedVm[]): ClusterView {
  const hostText = new Map<string, string>();
  const hostLabel = (h: string) => {
    let t = hostText.get(h);
    if (t === undefined) hostText.set(h, (t = labelPairs({ host: h })));
    return t;
  };
  for (const h of hosts) hostLabel(h.hostId);
  const vmText = vms.map((v) => `${hostLabel(v.hostId)},${labelPairs({ domain: v.vm.name })}`);
  const distinct = namesDistinct(vms) && vms.every((v) => idsDistinct(v.vm.vcpus, (c) => c.id)) && hosts.every((h) => idsDistinct(h.pcpus, (p) => p.pcpu));
  return { nowMs, hosts, vms, vmText, hostText, distinct };
}

/** No host with two VMs of one name (by the reports' own name strings: their hashes are kept from scrape to scrape). */
function namesDistinct(vms: readonly PlacedVm[]): boolean {
  const byHost = new Map<string, Set<string>>();
  for (const { hostId, vm } of vms) {
    let names = byHost.get(hostId);
    if (!names) byHost.set(hostId, (names = new Set()));
    if (names.has(vm.name)) return false;
    names.add(vm.name);
  }
  return true;
}

function idsDistinct<T>(xs: readonly T[], id: (x: T) => number): boolean {
  for (let i = 1; i < xs.length; i++) for (let j = 0; j < i; j++) if (id(xs[i] as T) === id(xs[j] as T)) return false;
  return true;
}

/** `counts`: the fill adds up (inc), so the series are kept in a map. */
type GaugeMaker = (name: string, help: string, labelNames: readonly string[], fill: Fill, counts?: boolean) => TextGauge;

const VM = ['host', 'domain'] as const;
type Balloon = NonNullable<VmReport['balloon']>;
type Vcpu = VmReport['vcpus'][number];

function vmGauges(gauge: GaugeMaker, source: ClusterGaugeSource): void {
  const balloon = (name: string, help: string, pick: (b: Balloon) => number | undefined) =>
    gauge(name, help, VM, (w, { vms, vmText }) => {
      vms.forEach(({ vm }, i) => {
        const value = vm.balloon ? pick(vm.balloon) : undefined;
        if (value !== undefined) w.set(vmText[i] as string, value * KiB);
      });
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
  gauge('ballast_domain_balloon_target_bytes', 'The last balloon target Ballast sent for the VM (set-memory), bytes; absent when it sent none since the engine started', VM, (w, { vms, vmText }) => {
    vms.forEach(({ vm }, i) => {
      const kib = source.balloonTargetKiB(vm.uuid);
      if (kib !== undefined) w.set(vmText[i] as string, kib * KiB);
    });
  });
  gauge('libvirt_domain_info_virtual_cpus', 'Number of virtual CPUs of the VM (VMs whose vCPU stats the collector reads)', VM, (w, { vms, vmText }) => {
    vms.forEach(({ vm }, i) => {
      if (vm.vcpus.length > 0) w.set(vmText[i] as string, vm.vcpus.length);
    });
  });
  gauge('ballast_domain_cpu_usage_ratio', 'The VM\'s CPU use over the last interval, in pCPUs (1 = one pCPU busy)', VM, (w, { vms, vmText }) => {
    vms.forEach(({ vm }, i) => w.set(vmText[i] as string, vm.cpuPercent / 100));
  });
  const perVcpu = (name: string, help: string, pick: (c: Vcpu) => number | undefined) =>
    gauge(name, help, [...VM, 'vcpu'], (w, { vms, vmText }) => {
      vms.forEach(({ vm }, i) => {
        for (const c of vm.vcpus) {
          const value = pick(c);
          if (value !== undefined) w.set(`${vmText[i] as string},${labelPairs({ vcpu: String(c.id) })}`, value / 100);
        }
      });
    });
  perVcpu('ballast_domain_vcpu_usage_ratio', 'Each vCPU\'s use over the last interval, share of one pCPU', (c) => c.usagePercent);
  perVcpu('ballast_domain_vcpu_wait_ratio', 'Share of the last interval each vCPU waited, runnable, for a pCPU (where the collector reads it)', (c) => c.waitPercent);
}

function hostGauges(gauge: GaugeMaker): void {
  const HOST = ['host'] as const;
  const perHost = (name: string, help: string, pick: (h: HostView, nowMs: number) => number | undefined) =>
    gauge(name, help, HOST, (w, { hosts, nowMs, hostText }) => {
      for (const h of hosts) {
        const value = pick(h, nowMs);
        if (value !== undefined) w.set(hostText.get(h.hostId) as string, value);
      }
    });
  perHost('ballast_host_cpus', 'pCPUs of the host', (h) => h.pcpuCount);
  perHost('ballast_host_memory_total_bytes', 'Memory of the host, bytes', (h) => h.memoryTotalKiB * KiB);
  perHost('ballast_host_memory_free_bytes', 'Free memory of the host, bytes', (h) => h.memoryFreeKiB * KiB);
  perHost('ballast_host_stale', 'Whether the host\'s last sample is older than the engine\'s staleAfterIntervals (1): policies leave a stale host alone', (h) => (h.stale ? 1 : 0));
  perHost('ballast_host_last_sample_age_seconds', 'Time since the engine received the host\'s last sample, seconds', (h, nowMs) => Math.max(0, nowMs - h.lastSampleMs) / 1000);
  perHost('ballast_host_maintenance', 'Whether the host is in maintenance mode (1)', (h) => (h.maintenance ? 1 : 0));
  const countVms = (name: string, help: string, counts: (v: PlacedVm) => boolean) =>
    gauge(name, help, HOST, (w, { hosts, vms, hostText }) => {
      for (const h of hosts) w.set(hostText.get(h.hostId) as string, 0);
      for (const v of vms) if (counts(v)) w.inc(hostText.get(v.hostId) as string);
    }, true);
  countVms('ballast_host_vms', 'VMs the host reports', () => true);
  countVms('ballast_host_vms_crashed', 'VMs the host reports crashed (a guest panic kept for inspection): no policy acts on them until they run again', (v) => v.vm.state === 'crashed');
  gauge('ballast_host_cpu_usage_ratio', 'Each pCPU\'s use over the last interval (0-1)', ['host', 'cpu'], (w, { hosts, hostText }) => {
    for (const h of hosts) {
      const host = hostText.get(h.hostId) as string;
      for (const p of h.pcpus) w.set(`${host},${labelPairs({ cpu: String(p.pcpu) })}`, p.usagePercent / 100);
    }
  });
  gauge('ballast_hosts', 'Hosts reporting to the engine', [], (w, { hosts }) => w.set('', hosts.length));
  gauge('ballast_hosts_stale', 'Hosts whose last sample is stale', [], (w, { hosts }) => w.set('', hosts.filter((h) => h.stale).length));
}

const KSM_RUN: Record<string, number> = { stop: 0, run: 1, unmerge: 2 };

function ksmGauges(gauge: GaugeMaker): void {
  const HOST = ['host'] as const;
  const perHost = (name: string, help: string, pick: (k: NonNullable<HostView['ksm']>) => number | undefined) =>
    gauge(name, help, HOST, (w, { hosts, hostText }) => {
      for (const h of hosts) {
        const value = h.ksm ? pick(h.ksm) : undefined;
        if (value !== undefined) w.set(hostText.get(h.hostId) as string, value);
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
