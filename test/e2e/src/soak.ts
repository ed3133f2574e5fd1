/**
 * `make soak` (docs/soak.md): the lab under changing random CPU and memory load with every policy in `auto`
 * (infra/lab/policy.json) for SOAK_MINUTES (30), then judged: zero guest deaths, zero lost jobs (every job the
 * policies enqueued reaches a terminal state), and each service's RSS growth per hour. Not a test file (`make
 * test` does not run it): `node test/e2e/dist/soak.js` with the lab up. Exit 0 when it passes, 1 when not,
 * 2 when it could not run. Prints a summary and writes the whole record as JSON (SOAK_OUT).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { resetCpu } from './cpu-lab.js';
import { restoreKsm, saveKsm } from './ksm-host.js';
import { LAB_VMS, resetGuests, sleep } from './memory-lab.js';
import { REPO } from './services.js';
import { SoakLoad, type LoadChange } from './soak-load.js';
import { growthPerHour, isDeath, JobLedger, lookAtGuests, rssMiB, type GuestLook } from './soak-watch.js';
import { startStack, type Stack } from './stack.js';
import { virsh } from './virsh.js';

function num(name: string, dflt: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return v;
}

const OPTS = {
  minutes: num('SOAK_MINUTES', 30),
  changeSec: num('SOAK_CHANGE_SEC', 30),
  sampleSec: num('SOAK_SAMPLE_SEC', 10),
  drainSec: num('SOAK_DRAIN_SEC', 120),
  seed: num('SOAK_SEED', 20261130),
  /** RSS growth a run of at least 20 minutes may show, MiB/h per service (shorter runs only report it). */
  maxRssGrowthMiBPerHour: num('SOAK_MAX_RSS_GROWTH_MIB_PER_H', 30),
  out: process.env['SOAK_OUT'] || `/tmp/ballast-soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
};
const SERVICES = ['engine', 'collector', 'actuator'] as const;
type Service = (typeof SERVICES)[number];

interface SoakRecord {
  options: typeof OPTS;
  startedAt: string;
  rss: Record<Service, [number, number][]>;
  looks: GuestLook[];
  steps: { atSec: number; changes: LoadChange[] }[];
  exited: string[];
}

/** The run itself: load steps every changeSec, samples every sampleSec, until the time is up. */
async function soak(stack: Stack, rec: SoakRecord, ledger: JobLedger): Promise<void> {
  const load = new SoakLoad(LAB_VMS, OPTS.seed);
  const t0 = Date.now();
  const sec = () => (Date.now() - t0) / 1000;
  let nextStep = 0;
  let nextSample = 0;
  // a step (a few CLI calls per guest, slow while guests are loaded) runs beside the sampling, one at a time
  let stepping: Promise<void> | undefined;
  try {
    while (sec() < OPTS.minutes * 60) {
      if (sec() >= nextStep && !stepping) {
        const atSec = Math.round(sec());
        stepping = load
          .step()
          .then(
            (changes) => void rec.steps.push({ atSec, changes }),
            (e: Error) => console.error(`soak: load step at ${atSec} s: ${e.message}`),
          )
          .finally(() => {
            stepping = undefined;
          });
        nextStep += OPTS.changeSec;
      }
      if (sec() >= nextSample) {
        await sample(stack, rec, ledger, sec());
        nextSample += OPTS.sampleSec;
        process.stdout.write(`soak: ${Math.round(sec())} s, ${ledger.jobs.size} jobs seen, ${rec.looks.filter(isDeath).length} dead looks\n`);
      }
      await sleep(500);
    }
  } finally {
    await stepping;
    await load.stop();
  }
}

async function sample(stack: Stack, rec: SoakRecord, ledger: JobLedger, atSec: number): Promise<void> {
  const procs: Record<Service, typeof stack.engine> = { engine: stack.engine, collector: stack.collector, actuator: stack.actuator };
  for (const s of SERVICES) {
    const child = procs[s].child;
    if (child.exitCode !== null || child.signalCode !== null) {
      if (!rec.exited.some((e) => e.startsWith(s))) rec.exited.push(`${s} exited (${child.exitCode ?? child.signalCode}) at ${Math.round(atSec)} s`);
      continue;
    }
    const mib = await rssMiB(child.pid);
    if (mib !== undefined) rec.rss[s].push([Math.round(atSec), Math.round(mib * 10) / 10]);
  }
  rec.looks.push(...(await lookAtGuests(LAB_VMS, Math.round(atSec))));
  await ledger.poll().catch((e: Error) => console.error(`soak: polling jobs: ${e.message}`));
}

/** After the load: wait until every job seen is terminal (or drainSec), then ask for each by id. */
async function drain(ledger: JobLedger): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    await ledger.poll().catch(() => undefined);
    await ledger.settle();
    if (ledger.unfinished().length === 0 || Date.now() - t0 > OPTS.drainSec * 1000) return Date.now() - t0;
    await sleep(2000);
  }
}

/** The guests' health once the load is gone: a loaded TCG guest may miss a ping, an idle one answers. */
async function finalLooks(): Promise<GuestLook[]> {
  let looks: GuestLook[] = [];
  for (let i = 0; i < 20; i++) {
    looks = await lookAtGuests(LAB_VMS, -1);
    if (looks.every((l) => l.health === 'alive' && l.domState.startsWith('running'))) break;
    await sleep(3000);
  }
  return looks;
}

interface Verdict {
  pass: boolean;
  lines: string[];
}

function judge(rec: SoakRecord, ledger: JobLedger, final: GuestLook[], drainMs: number): Verdict {
  const warmupSec = Math.min(300, (OPTS.minutes * 60) / 5);
  const deaths = [...rec.looks, ...final].filter(isDeath);
  const deadVms = [...new Set(deaths.map((d) => d.vm))];
  const lost = ledger.unfinished();
  const notAlive = final.filter((l) => l.health !== 'alive');
  const lines = [
    `soak: ${OPTS.minutes} min, load changed every ${OPTS.changeSec} s (${rec.steps.length} steps, seed ${OPTS.seed}), sampled every ${OPTS.sampleSec} s`,
    `guest deaths: ${deadVms.length}${deadVms.length ? ` (${deaths.map((d) => `${d.vm} at ${d.atSec} s: ${d.domState}, ${d.health} ${d.detail}`).slice(0, 5).join('; ')})` : ''}`,
    `looks unreachable (agent missed a 3 s ping): ${rec.looks.filter((l) => l.health === 'unreachable').length} of ${rec.looks.length}; oom-killed: ${rec.looks.filter((l) => l.health === 'oom-killed').length}`,
    `at the end: ${final.map((l) => `${l.vm} ${l.domState}/${l.health}`).join(', ')}`,
    `jobs: ${ledger.jobs.size} enqueued by the policies, ${lost.length} lost (not terminal ${Math.round(drainMs / 1000)} s after the load stopped)${lost.length ? `: ${lost.slice(0, 5).map((j) => `${j.id} ${j.state}`).join(', ')}` : ''}`,
    `jobs by type: ${JSON.stringify(ledger.counts())}`,
    ...rec.exited.map((e) => `service ${e}`),
  ];
  let rssOk = true;
  for (const s of SERVICES) {
    const pts = rec.rss[s];
    const after = pts.filter(([t]) => t >= warmupSec);
    const g = growthPerHour(after);
    const ys = pts.map(([, y]) => y);
    if (g !== undefined && OPTS.minutes >= 20 && g > OPTS.maxRssGrowthMiBPerHour) rssOk = false;
    lines.push(
      `rss ${s}: ${ys[0] ?? '?'} -> ${ys.at(-1) ?? '?'} MiB (max ${ys.length ? Math.max(...ys) : '?'}), growth ${g === undefined ? '?' : g.toFixed(1)} MiB/h (least squares after ${Math.round(warmupSec)} s warm-up, ${after.length} samples)`,
    );
  }
  // no job at all would make "none lost" say nothing: the load must have reached the policies
  if (ledger.jobs.size === 0) lines.push('no job was enqueued: the load did not make any policy act');
  const pass = ledger.jobs.size > 0 && deadVms.length === 0 && lost.length === 0 && notAlive.length === 0 && rec.exited.length === 0 && rssOk;
  lines.push(`verdict: ${pass ? 'PASS' : 'FAIL'}${OPTS.minutes < 20 ? ' (RSS growth reported, judged only in runs of 20 min or more)' : ''}`);
  return { pass, lines };
}

async function labIsUp(): Promise<string | undefined> {
  const running = (await virsh('list', '--name').catch(() => '')).split('\n').map((l) => l.trim());
  const missing = LAB_VMS.filter((v) => !running.includes(v));
  return missing.length ? `lab guests not running: ${missing.join(', ')} (make lab-up)` : undefined;
}

async function main(): Promise<number> {
  const down = await labIsUp();
  if (down) {
    console.error(`soak: ${down}`);
    return 2;
  }
  const rec: SoakRecord = { options: OPTS, startedAt: new Date().toISOString(), rss: { engine: [], collector: [], actuator: [] }, looks: [], steps: [], exited: [] };
  const ksm = saveKsm();
  await resetGuests();
  await resetCpu();
  const stack = await startStack({ intervalMs: 2000, extraEnv: { BALLAST_POLICY_FILE: path.join(REPO, 'infra/lab/policy.json') } });
  const ledger = new JobLedger(stack);
  let verdict: Verdict;
  try {
    await soak(stack, rec, ledger);
    const drainMs = await drain(ledger);
    verdict = judge(rec, ledger, await finalLooks(), drainMs);
  } finally {
    await stack.stop();
    await resetGuests().catch((e: Error) => console.error(`soak: putting the guests back: ${e.message}`));
    await resetCpu();
    restoreKsm(ksm);
  }
  writeFileSync(OPTS.out, JSON.stringify({ ...rec, verdict, jobs: [...ledger.jobs.values()] }, null, 2) + '\n');
  console.log(verdict.lines.join('\n'));
  console.log(`soak: record in ${OPTS.out}`);
  return verdict.pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`soak: ${e.stack ?? e.message}`);
    process.exit(2);
  },
);
