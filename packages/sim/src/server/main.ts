#!/usr/bin/env node
/**
 * Starts a simulator server: a seeded random cluster (buildRandomCluster) whose clock follows real time,
 * served on a TCP port; prints one JSON line saying where, then serves until SIGINT/SIGTERM.
 *
 *   node packages/sim/dist/server/main.js --hosts 5 --vms-per-host 4 --port 0
 *   {"listening":"127.0.0.1:41235","port":41235,"uriPrefix":"sim://127.0.0.1:41235/","hosts":["h0",…],"vms":20,…}
 *
 * A bad flag prints one line naming it and exits 2.
 */
import { buildRandomCluster } from '../sim-scenario.js';
import { gib, mib } from '../sim-workload.js';
import { parseSimServerArgs, SIM_SERVER_USAGE, SimServerArgsError, type SimServerArgs } from './server-args.js';
import { SimServer } from './sim-server.js';

function readArgs(): SimServerArgs {
  try {
    return parseSimServerArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof SimServerArgsError)) throw e;
    process.stderr.write(`sim-server: ${e.message}\n`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const args = readArgs();
  if (args.help) {
    process.stdout.write(`${SIM_SERVER_USAGE}\n`);
    return;
  }
  const startedMs = Date.now();
  const cluster = buildRandomCluster({
    seed: args.seed,
    hosts: args.hosts,
    vmsPerHost: args.vmsPerHost,
    pcpusPerHost: args.pcpus,
    numaNodes: Math.min(args.numaNodes, args.pcpus),
    statsPeriodSec: args.statsPeriodSec,
    epochSec: Math.floor(startedMs / 1000),
    migrationRateKiBPerSec: mib(args.migrationRateMiBs),
    migrationSetupMs: args.migrationSetupMs,
    ...(args.memoryGiB !== undefined ? { memoryKiBPerHost: gib(args.memoryGiB) } : {}),
  });
  const server = new SimServer({
    cluster,
    tickMs: args.tickMs,
    onClockError: (err) => process.stderr.write(`sim-server: clock tick failed: ${(err as Error).message}\n`),
  });
  let bound;
  try {
    bound = await server.listen(args.port, args.listen);
  } catch (e) {
    process.stderr.write(`sim-server: --port ${args.port} / --listen ${args.listen}: cannot listen: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const hosts = cluster.hosts().map((h) => h.id);
  process.stdout.write(
    `${JSON.stringify({
      listening: `${bound.address}:${bound.port}`,
      port: bound.port,
      uriPrefix: server.uri(''),
      hosts,
      vms: cluster.totals().vms,
      pid: process.pid,
      startMs: Date.now() - startedMs,
    })}\n`,
  );
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`sim-server: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
