import type { JobAction } from '@ballast/domain';
import { PermanentJobError, readVm, waitFor, type Processor } from './processor-context.js';

type Migrate = Extract<JobAction, { type: 'migrate' }>;

/**
 * Live-migrates a VM to another host. A VM already gone from this host after an earlier attempt
 * is not "already there" here (the actuator cannot see the destination): that job fails as gone.
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
  const opts: { destUri: string; live: boolean; migrateUri?: string } = { destUri: action.destUri, live: true };
  if (action.migrateUri) opts.migrateUri = action.migrateUri;
  await ctx.hv.migrate(spec.vmUuid, opts);
  await waitFor(
    ctx,
    ctx.config.verifyTimeoutMs,
    async () => ((await ctx.hv.listVms()).some((v) => v.uuid === spec.vmUuid && v.state === 'running') ? undefined : true),
    () => `${spec.vmName} still runs on this host after migration`,
  );
  const tookMs = ctx.now() - started;
  return { message: `migrated to ${action.targetHost} in ${(tookMs / 1000).toFixed(1)} s`, alreadyThere: false, observed: { tookMs } };
};
