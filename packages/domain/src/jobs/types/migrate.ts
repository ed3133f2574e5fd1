import { z } from 'zod';
import { JobRequestError, defineJobType } from '../job-type.js';

const targetHost = z.string().min(1, 'must name a host');

/**
 * `migrate`: live-migrate a VM to another host (peer to peer, persistent there, undefined here). The
 * engine fills the destination's libvirt and migration URIs from what that host's collector reports.
 */
export const migrateJob = defineJobType({
  type: 'migrate',
  scope: 'vm',
  resource: 'placement',
  action: z.object({
    type: z.literal('migrate'),
    targetHost,
    /** The destination's libvirt URI, e.g. qemu+tcp://10.77.0.2/system. */
    destUri: z.string().min(1),
    /** Where QEMU sends the migration data (VIR_MIGRATE_PARAM_URI), e.g. tcp://10.77.0.2. */
    migrateUri: z.string().min(1).optional(),
  }),
  request: z.strictObject({ targetHost }),
  fill: (r, ctx) => {
    if (r.targetHost === ctx.hostId) throw new JobRequestError('unprocessable', 'same_host', 'targetHost', `the VM already runs on ${ctx.hostId}`);
    const target = ctx.host(r.targetHost);
    if (!target) throw new JobRequestError('not-found', 'host_not_found', 'targetHost', `no host "${r.targetHost}" reports to this engine`);
    if (!target.migrationUri) {
      throw new JobRequestError(
        'unprocessable',
        'no_migration_uri',
        'targetHost',
        `${r.targetHost} has no migration URI (set BALLAST_MIGRATION_URI on its collector)`,
      );
    }
    return {
      type: 'migrate' as const,
      targetHost: r.targetHost,
      destUri: target.migrationUri,
      ...(target.migrationDataUri ? { migrateUri: target.migrationDataUri } : {}),
    };
  },
  describe: (a) => `migrate to ${a.targetHost}`,
  example: { type: 'migrate', targetHost: 'h2', destUri: 'qemu+tcp://10.77.0.2/system', migrateUri: 'tcp://10.77.0.2' },
});
