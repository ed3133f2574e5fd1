import type { JobAction } from '@ballast/domain';
import { isVmGone, type MigrateOptions, type MigrationProgress } from '@ballast/hypervisor';
import { PermanentJobError, readVm, waitFor, type Processor, type ProcessorContext, type VmJobSpec } from './processor-context.js';

type Migrate = Extract<JobAction, { type: 'migrate' }>;

/** How often a migration under way is looked at: its progress reported, its time checked. */
export const MIGRATION_POLL_MS = 1000;

type Settled = { ok: true } | { ok: false; err: Error };

/**
 * Live-migrates a VM to another host. While it runs, its progress (libvirt's job stats on this host) is
 * reported with the job every MIGRATION_POLL_MS; one still running after `migrateTimeoutMs` is aborted
 * (virDomainAbortJob), the VM stays here, and the job fails permanently saying how far it got (the policy
 * that wanted it decides again). A migration libvirt fails (the link to the destination lost: its keepalive gives
 * up after ~30 s) fails permanently too, with libvirt's reason and where the VM is now; see `failure`.
 * `migrateBandwidthMiBPerSec` caps its bandwidth. A VM already gone from this
 * host after an earlier attempt is not "already there" here (the actuator cannot see the destination):
 * that job fails as gone.
 */
export const migrateProcessor: Processor<Migrate> = async (ctx, spec, action) => {
  if (action.targetHost === spec.hostId) {
    return { message: `already there: ${spec.vmName} runs on ${spec.hostId}`, alreadyThere: true };
  }
  const vm = await readVm(ctx, spec.vmUuid, false);
  if (vm.state !== 'running' && vm.state !== 'paused') {
    throw new PermanentJobError(`cannot live-migrate ${spec.vmName}: it is ${vm.state}`);
  }
  const started = ctx.now();
  const opts: MigrateOptions = { destUri: action.destUri, live: true };
  if (action.migrateUri) opts.migrateUri = action.migrateUri;
  if (ctx.config.migrateBandwidthMiBPerSec > 0) opts.bandwidthMiBs = ctx.config.migrateBandwidthMiBPerSec;
  const { settled, abortedAtMs, last } = await watchMigration(ctx, spec, action, opts, started);
  if (!settled.ok) throw await failure(ctx, spec, action, { err: settled.err, started, abortedAtMs, endedAtMs: ctx.now(), last });
  await waitFor(
    ctx,
    ctx.config.verifyTimeoutMs,
    async () => ((await ctx.hv.listVms()).some((v) => v.uuid === spec.vmUuid && v.state === 'running') ? undefined : true),
    () => `${spec.vmName} still runs on this host after migration`,
  );
  const tookMs = ctx.now() - started;
  return { message: `migrated to ${action.targetHost} in ${(tookMs / 1000).toFixed(1)} s`, alreadyThere: false, observed: { tookMs, ...(last ? { lastProgress: figures(last, action) } : {}) } };
};

/** Runs the migration, reporting its progress, and aborts it once it runs past migrateTimeoutMs. */
async function watchMigration(
  ctx: ProcessorContext,
  spec: VmJobSpec,
  action: Migrate,
  opts: MigrateOptions,
  started: number,
): Promise<{ settled: Settled; abortedAtMs: number | undefined; last: MigrationProgress | undefined }> {
  let settled: Settled | undefined;
  const run = ctx.hv.migrate(spec.vmUuid, opts).then(
    () => void (settled = { ok: true }),
    (err: unknown) => void (settled = { ok: false, err: err instanceof Error ? err : new Error(String(err)) }),
  );
  let last: MigrationProgress | undefined;
  let abortedAtMs: number | undefined;
  const deadline = started + ctx.config.migrateTimeoutMs;
  // stats are read beside the loop, one call at a time: on a busy host a call can wait seconds for QEMU, and the
  // deadline must not wait with it (on CI a 3 s limit aborted after 6 s while the loop awaited them)
  let reading = false;
  const readProgress = (): void => {
    if (reading) return;
    reading = true;
    void ctx.hv
      .migrationProgress(spec.vmUuid)
      .then((seen) => {
        // once aborted, its stats read zero while it winds down: the last ones stand
        if (abortedAtMs !== undefined || !seen || !((seen.memoryTotalBytes ?? 0) > 0)) return;
        last = seen;
        ctx.progress?.(figures(seen, action));
      }, () => undefined)
      .finally(() => {
        reading = false;
      });
  };
  while (settled === undefined) {
    const left = deadline - ctx.now();
    await Promise.race([run, ctx.sleep(abortedAtMs !== undefined ? MIGRATION_POLL_MS : Math.max(10, Math.min(MIGRATION_POLL_MS, left)))]);
    if (settled !== undefined || abortedAtMs !== undefined) continue;
    if (ctx.now() >= deadline) {
      abortedAtMs = ctx.now();
      // an abort that finds no job lost a race with the migration's end: its outcome stands
      await ctx.hv.abortMigration(spec.vmUuid).catch(() => undefined);
      continue;
    }
    readProgress();
  }
  await run;
  return { settled: settled as Settled, abortedAtMs, last };
}

/** The figures a migration's job carries while it runs (and in its result): MiB and seconds. */
function figures(p: MigrationProgress, action: Migrate): Record<string, unknown> {
  const mib = (b: number | undefined) => (b === undefined ? undefined : Math.round((b / 1048576) * 10) / 10);
  const out: Record<string, unknown> = { phase: 'migrating', targetHost: action.targetHost };
  const put = (k: string, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  put('elapsedSec', p.elapsedMs === undefined ? undefined : Math.round(p.elapsedMs / 100) / 10);
  put('memoryTotalMiB', mib(p.memoryTotalBytes));
  put('memorySentMiB', mib(p.memoryProcessedBytes));
  put('memoryLeftMiB', mib(p.memoryRemainingBytes));
  put('rateMiBs', mib(p.memoryBytesPerSec));
  if (p.memoryTotalBytes && p.memoryProcessedBytes !== undefined) out['percent'] = Math.min(100, Math.round((100 * p.memoryProcessedBytes) / p.memoryTotalBytes));
  return out;
}

/** An abort that took effect later than this is said in the job's outcome (libvirt waited on the destination). */
export const ABORT_LAG_REPORT_MS = 2000;

interface Failed {
  err: Error;
  started: number;
  abortedAtMs: number | undefined;
  endedAtMs: number;
  last: MigrationProgress | undefined;
}

/**
 * Why a migration failed, as a permanent error saying where the VM is now: the policy that wanted it decides
 * again (a link to the destination that is down fails the same way at once, or hangs in its connect). Only
 * when this host cannot tell where the VM is (its libvirt unreachable) does libvirt's error stand, retried.
 * An abort that libvirt carried out only seconds later (it waits for the destination to answer, or for its
 * keepalive to give the destination up) says so, with libvirt's error. A source left paused is said
 * ("it still runs on h1 (paused)"), not resumed: this host cannot see whether the destination runs the guest
 * (a Finish that succeeded there but whose answer was lost), and resuming here then would run it twice.
 */
async function failure(ctx: ProcessorContext, spec: VmJobSpec, action: Migrate, f: Failed): Promise<Error> {
  const here = await whereNow(ctx, spec, action);
  if (here === undefined && f.abortedAtMs === undefined) return f.err;
  const where = here ?? `its state on ${spec.hostId} could not be read: check ${action.targetHost}`;
  const what = `migration of ${spec.vmName} to ${action.targetHost}`;
  const how = sentSoFar(f.last, action);
  if (f.abortedAtMs === undefined) {
    return new PermanentJobError(`${what} failed after ${secs(f.endedAtMs - f.started)} s${how}: ${f.err.message}: ${where}`);
  }
  const lag = f.endedAtMs - f.abortedAtMs;
  const ended = lag >= ABORT_LAG_REPORT_MS ? `; libvirt ended it ${secs(lag)} s later (${f.err.message})` : '';
  return new PermanentJobError(
    `${what} did not finish within ${ctx.config.migrateTimeoutMs / 1000} s${how} and was aborted after ${secs(f.abortedAtMs - f.started)} s${ended}: ${where}`,
  );
}

const secs = (ms: number) => (ms / 1000).toFixed(1);

/** " (x of y MiB of memory sent at z MiB/s)" from the last progress seen, or "". */
function sentSoFar(last: MigrationProgress | undefined, action: Migrate): string {
  const f = last ? figures(last, action) : undefined;
  if (f?.['memorySentMiB'] === undefined) return '';
  const rate = f['rateMiBs'] !== undefined ? ` at ${String(f['rateMiBs'])} MiB/s` : '';
  return ` (${String(f['memorySentMiB'])} of ${String(f['memoryTotalMiB'] ?? '?')} MiB of memory sent${rate})`;
}

/** Where the VM is after a failed migration, as this host sees it; undefined when this host cannot tell. */
async function whereNow(ctx: ProcessorContext, spec: VmJobSpec, action: Migrate): Promise<string | undefined> {
  return ctx.hv.vmStats(spec.vmUuid, { balloon: false, vcpu: false }).then(
    (s) => `it still runs on ${spec.hostId} (${s.state})`,
    (e: unknown) => (isVmGone(e) ? `it is not found on ${spec.hostId} any more: check ${action.targetHost}` : undefined),
  );
}
