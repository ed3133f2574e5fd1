/**
 * The stop switches (docs/stop-switches.md), kept in Redis so every engine replica sees the same and they
 * survive a restart: a cluster-wide pause (one key, JSON {reason, sinceMs, actor}) and per-VM opt-outs (a
 * hash: VM uuid → JSON {reason, sinceMs, actor, vmName}). Both are read back each cycle in one round trip
 * (refresh); a change made through this engine's API applies here at once, on other replicas at their next
 * cycle. A VM also opts out by carrying the domain label `ballast.dev/opt-out=true`. This is the cycle's
 * StopPort.
 */
import type { Redis } from 'ioredis';
import type { StopPort } from '@ballast/cycle';
import type { VmView } from '@ballast/domain';

export const PAUSE_KEY = 'ballast:stop:pause';
export const OPT_OUTS_KEY = 'ballast:stop:opt-outs';
/** The domain label (virsh metadata, docs/stop-switches.md) that opts a VM out; its value must be `true`. */
export const OPT_OUT_LABEL = 'ballast.dev/opt-out';
/** An optional label carrying the reason of a label opt-out. */
export const OPT_OUT_REASON_LABEL = 'ballast.dev/opt-out-reason';

export interface Pause {
  reason: string;
  sinceMs: number;
  /** The token id that paused. */
  actor: string;
}

export interface OptOut extends Pause {
  vmUuid: string;
  vmName: string;
}

/** Why a VM is opted out: set over the API, or carried as a label. */
export type VmOptOut = { source: 'api'; reason: string; sinceMs: number; actor: string } | { source: 'label'; reason: string };

const iso = (ms: number) => new Date(ms).toISOString();

function parse<T>(raw: string | null | undefined): T | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

export class StopSwitches implements StopPort {
  private pause: Pause | undefined;
  private optOuts = new Map<string, OptOut>();

  constructor(private readonly redis: Redis) {}

  /** Reads both switches back (one round trip). A failed read throws: the caller's cycle does not run. */
  async refresh(): Promise<void> {
    const res = await this.redis.multi().get(PAUSE_KEY).hgetall(OPT_OUTS_KEY).exec();
    const [pauseRes, optRes] = res ?? [];
    if (!pauseRes || !optRes || pauseRes[0] || optRes[0]) throw (pauseRes?.[0] ?? optRes?.[0] ?? new Error('stop switches: redis read failed'));
    this.pause = parse<Pause>(pauseRes[1] as string | null);
    const raw = optRes[1] as Record<string, string>;
    this.optOuts = new Map(Object.entries(raw).flatMap(([uuid, v]) => {
      const o = parse<Omit<OptOut, 'vmUuid'>>(v);
      return o ? [[uuid, { vmUuid: uuid, ...o }] as const] : [];
    }));
  }

  /** The pause in force, or undefined. */
  current(): Pause | undefined {
    return this.pause;
  }

  /** Pauses the cluster (a new pause, or a new reason for the one in force: its start stays). */
  async setPause(reason: string, actor: string, nowMs: number): Promise<Pause> {
    const before = parse<Pause>(await this.redis.get(PAUSE_KEY));
    const p: Pause = { reason, actor, sinceMs: before?.sinceMs ?? nowMs };
    await this.redis.set(PAUSE_KEY, JSON.stringify(p));
    this.pause = p;
    return p;
  }

  /** Lifts the pause; returns the one lifted (undefined when none was in force). */
  async clearPause(): Promise<Pause | undefined> {
    const before = parse<Pause>(await this.redis.getdel(PAUSE_KEY));
    this.pause = undefined;
    return before;
  }

  /** API opt-outs, oldest first. */
  optOutList(): OptOut[] {
    return [...this.optOuts.values()].sort((a, b) => a.sinceMs - b.sinceMs);
  }

  apiOptOut(vmUuid: string): OptOut | undefined {
    return this.optOuts.get(vmUuid);
  }

  async optOut(vm: { uuid: string; name: string }, reason: string, actor: string, nowMs: number): Promise<OptOut> {
    const before = this.optOuts.get(vm.uuid);
    const o: OptOut = { vmUuid: vm.uuid, vmName: vm.name, reason, actor, sinceMs: before?.sinceMs ?? nowMs };
    const { vmUuid: _u, ...stored } = o;
    await this.redis.hset(OPT_OUTS_KEY, vm.uuid, JSON.stringify(stored));
    this.optOuts.set(vm.uuid, o);
    return o;
  }

  /** Removes a VM's API opt-out; returns it (undefined when it had none). */
  async optIn(vmUuid: string): Promise<OptOut | undefined> {
    const before = this.optOuts.get(vmUuid);
    await this.redis.hdel(OPT_OUTS_KEY, vmUuid);
    this.optOuts.delete(vmUuid);
    return before;
  }

  /** Why a VM is opted out, the API's opt-out before the label's, or undefined. */
  vmOptOut(vm: Pick<VmView, 'uuid' | 'config'>): VmOptOut | undefined {
    const o = this.optOuts.get(vm.uuid);
    if (o) return { source: 'api', reason: o.reason, sinceMs: o.sinceMs, actor: o.actor };
    const labels = vm.config?.labels ?? {};
    if (labels[OPT_OUT_LABEL]?.toLowerCase() !== 'true') return undefined;
    return { source: 'label', reason: labels[OPT_OUT_REASON_LABEL] ?? '' };
  }

  // StopPort: the reasons the cycle writes into suppressed decisions.

  paused(): string | undefined {
    const p = this.pause;
    return p ? `cluster paused by ${p.actor} since ${iso(p.sinceMs)}: ${p.reason}` : undefined;
  }

  optedOut(vm: Pick<VmView, 'uuid' | 'name' | 'config'>): string | undefined {
    const o = this.vmOptOut(vm);
    if (!o) return undefined;
    if (o.source === 'api') return `opted out (api by ${o.actor} since ${iso(o.sinceMs)}): ${o.reason}`;
    return `opted out (label ${OPT_OUT_LABEL}=true)${o.reason ? `: ${o.reason}` : ''}`;
  }
}
