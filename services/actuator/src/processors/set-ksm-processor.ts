import { KIB_PER_MIB, type ActionOf, type KsmSettings, type KsmTunables } from '@ballast/domain';
import { isNoSupport } from '@ballast/libvirt';
import { PermanentJobError, waitFor, type HostProcessor, type ProcessorContext } from './processor-context.js';

type SetKsm = ActionOf<'set-ksm'>;

/** A merged page is a 4 KiB page on the hosts Ballast runs on (x86-64). */
const PAGE_KIB = 4;

/**
 * Sets the host's KSM (run state, pace, cross-cell merging). Only the fields that differ are written.
 * Safety: `unmerge` gives every merged page its own copy again, which takes host memory; it is refused when
 * the host's free memory minus what unmerging takes would fall below `hostFreeFloorMiB`. Verifies the
 * settings read back.
 */
export const setKsmProcessor: HostProcessor<SetKsm> = async (ctx, spec, action) => {
  const before = await readKsm(ctx, spec.hostId);
  const change = differences(action, before);
  if (Object.keys(change).length === 0) {
    return { message: `already there: ${describe(before)}`, alreadyThere: true, observed: { ...before } };
  }
  if (change.run === 'unmerge') await checkRoomToUnmerge(ctx, before);
  try {
    await ctx.hv.setKsm(change);
  } catch (e) {
    if (isNoSupport(e)) throw new PermanentJobError(`cannot set KSM on ${spec.hostId}: ${(e as Error).message}`);
    throw e;
  }
  const after = await waitFor(
    ctx,
    ctx.config.verifyTimeoutMs,
    async () => {
      const k = await ctx.hv.getKsm();
      return Object.keys(differences(change, k)).length === 0 ? k : undefined;
    },
    () => `KSM settings did not read back as ${JSON.stringify(change)}`,
  );
  return { message: `KSM ${describe(after)}`, alreadyThere: false, observed: { ...after, previous: before } };
};

async function readKsm(ctx: ProcessorContext, hostId: string): Promise<KsmSettings> {
  try {
    return await ctx.hv.getKsm();
  } catch (e) {
    if (isNoSupport(e)) throw new PermanentJobError(`cannot read KSM on ${hostId}: ${(e as Error).message}`);
    throw e;
  }
}

/** The fields of `want` that `have` does not have yet. */
function differences(want: Partial<KsmTunables>, have: KsmTunables): Partial<KsmTunables> {
  const d: Partial<KsmTunables> = {};
  if (want.run !== undefined && want.run !== have.run) d.run = want.run;
  if (want.pagesToScan !== undefined && want.pagesToScan !== have.pagesToScan) d.pagesToScan = want.pagesToScan;
  if (want.sleepMillisecs !== undefined && want.sleepMillisecs !== have.sleepMillisecs) d.sleepMillisecs = want.sleepMillisecs;
  if (want.mergeAcrossNodes !== undefined && want.mergeAcrossNodes !== have.mergeAcrossNodes) d.mergeAcrossNodes = want.mergeAcrossNodes;
  return d;
}

async function checkRoomToUnmerge(ctx: ProcessorContext, ksm: KsmSettings): Promise<void> {
  const needKiB = ksm.counters.pagesSharing * PAGE_KIB;
  const freeKiB = (await ctx.hv.nodeMemory()).freeKiB;
  const floorKiB = ctx.config.hostFreeFloorMiB * KIB_PER_MIB;
  if (freeKiB - needKiB < floorKiB) {
    throw new PermanentJobError(
      `refusing to unmerge KSM: ${ksm.counters.pagesSharing} shared pages need ${Math.ceil(needKiB / KIB_PER_MIB)} MiB and the host has ` +
        `${Math.floor(freeKiB / KIB_PER_MIB)} MiB free (floor ${ctx.config.hostFreeFloorMiB} MiB)`,
    );
  }
}

function describe(k: KsmTunables): string {
  return `run=${k.run ?? '?'} pagesToScan=${k.pagesToScan} sleepMillisecs=${k.sleepMillisecs}${k.mergeAcrossNodes !== undefined ? ` mergeAcrossNodes=${k.mergeAcrossNodes}` : ''}`;
}
