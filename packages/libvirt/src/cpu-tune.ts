import { AffectFlags } from './constants.js';
import type { Connection } from './connection.js';
import type { TypedParams } from './types.js';

/** CPU weight and bandwidth of a domain; absent fields are not reported by the driver. */
export interface CpuTuneParams {
  /** cpu_shares (cgroup weight). */
  shares?: number;
  /** vcpu_quota in µs per period; -1 (or a huge value on cgroup v2) means unlimited. */
  quotaUs?: number;
  /** vcpu_period in µs. */
  periodUs?: number;
}

/** cpu_shares / vcpu_quota / vcpu_period from the scheduler parameters. Default flags: CURRENT. */
export async function getCpuTune(
  conn: Connection,
  uuid: string,
  flags: number = AffectFlags.CURRENT,
): Promise<CpuTuneParams> {
  const { params } = await conn.getSchedulerParameters(uuid, flags);
  const out: CpuTuneParams = {};
  if (typeof params.cpu_shares === 'number') out.shares = params.cpu_shares;
  if (typeof params.vcpu_quota === 'number') out.quotaUs = params.vcpu_quota;
  if (typeof params.vcpu_period === 'number') out.periodUs = params.vcpu_period;
  return out;
}

/** Sets the given fields only. Default flags: LIVE. */
export function setCpuTune(
  conn: Connection,
  uuid: string,
  tune: CpuTuneParams,
  flags: number = AffectFlags.LIVE,
): Promise<void> {
  const params: TypedParams = {};
  if (tune.shares !== undefined) params.cpu_shares = tune.shares;
  if (tune.quotaUs !== undefined) params.vcpu_quota = tune.quotaUs;
  if (tune.periodUs !== undefined) params.vcpu_period = tune.periodUs;
  return conn.setSchedulerParameters(uuid, params, flags);
}
