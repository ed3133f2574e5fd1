import { execFile } from 'node:child_process';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO, waitUntil } from './services.js';
import { host2DownIfOurs, type Host2 } from './host2.js';

// What a lab test sees of the two libvirt hosts (the root namespace's qemu:///system and host2) from outside,
// through virsh only, as ../shared/tools judges a scenario: a domain's state on each host, jobs under way,
// paused domains, and the veth that joins them (infra/lab/lib/host2-common.sh names it).

const exec = promisify(execFile);

/** host2's network namespace and its end of the veth pair (HOST2_NETNS / H2_VETH_NS in host2-common.sh). */
export const HOST2_NETNS = process.env.HOST2_NETNS || 'ballast-h2';
export const HOST2_VETH = 'ballast-h2n';

export async function virshAt(uri: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('virsh', ['-q', '-c', uri, ...args], { timeout: 60000 });
  return stdout.trim();
}

/**
 * libvirt's state of the VM on that host ("running", "paused", …; with `withReason`, "paused (migrating)"), or
 * null when it has no such domain.
 */
export async function domState(uri: string, vm: string, withReason = false): Promise<string | null> {
  return virshAt(uri, 'domstate', vm, ...(withReason ? ['--reason'] : [])).then(
    (s) => s.split('\n')[0] ?? null,
    () => null,
  );
}

/** Names of the domains in state paused on that host. */
export async function pausedDomains(uri: string): Promise<string[]> {
  return (await virshAt(uri, 'list', '--state-paused', '--name')).split('\n').filter((l) => l.trim() !== '');
}

/** Waits while a job (a migration, in or out) of the VM runs on either host. */
export async function settle(h: Host2, vm: string, timeoutMs = 120000): Promise<void> {
  await waitUntil(`no job of ${vm} on either host`, timeoutMs, async () => {
    for (const uri of [h.HOST1_URI, h.HOST2_URI]) {
      const info = await virshAt(uri, 'domjobinfo', vm).catch(() => '');
      if (/Job type:\s+(Unbounded|Bounded)/.test(info)) return undefined;
    }
    return true;
  }, 500);
}

/** Makes sure the VM runs on the root host again, migrating it back with virsh when it is on host2. */
export async function ensureOnRoot(h: Host2, vm: string): Promise<string> {
  await settle(h, vm);
  const [s1, s2] = [await domState(h.HOST1_URI, vm), await domState(h.HOST2_URI, vm)];
  if (s1?.startsWith('running')) return 'already on the root host';
  if (s1?.startsWith('paused') && !s2) {
    await virshAt(h.HOST1_URI, 'resume', vm);
    return `was ${s1} on the root host: resumed`;
  }
  if (!s2?.startsWith('running') && !s2?.startsWith('paused')) throw new Error(`${vm} is neither running on the root host (${s1}) nor on host2 (${s2})`);
  const t0 = Date.now();
  await virshAt(h.HOST2_URI, 'migrate', '--live', '--p2p', '--persistent', '--undefinesource', vm, h.HOST1_MIGRATION_URI, '--migrateuri', h.HOST1_MIGRATION_DATA_URI);
  return `migrated back by virsh in ${Date.now() - t0} ms`;
}

/** Sets host2's end of the veth down (the link between the hosts cut) or up again. */
export async function setLink(up: boolean): Promise<void> {
  await exec('ip', ['-n', HOST2_NETNS, 'link', 'set', HOST2_VETH, up ? 'up' : 'down'], { timeout: 10000 });
}

/** Whether host2's end of the veth is up (`ip link` flags). */
export async function linkIsUp(): Promise<boolean> {
  const { stdout } = await exec('ip', ['-n', HOST2_NETNS, '-o', 'link', 'show', HOST2_VETH], { timeout: 10000 });
  return /<[^>]*\bUP\b[^>]*>/.test(stdout);
}

/** One look at both hosts: the VM's state (with libvirt's reason) on each, and their paused domains. */
export interface TwoHostLook {
  atMs: number;
  host1: string | null;
  host2: string | null;
  paused1: string[];
  paused2: string[];
}

export async function look(h: Host2, vm: string, t0: number): Promise<TwoHostLook> {
  const [host1, host2, paused1, paused2] = await Promise.all([
    domState(h.HOST1_URI, vm, true),
    domState(h.HOST2_URI, vm, true),
    pausedDomains(h.HOST1_URI).catch(() => ['?']),
    pausedDomains(h.HOST2_URI).catch(() => ['?']),
  ]);
  return { atMs: Date.now() - t0, host1, host2, paused1, paused2 };
}

/**
 * Looks at both hosts every `everyMs` until stopped; keeps only the looks where something changed, so the
 * result is the timeline of what libvirt reported on each side.
 */
export function watchHosts(h: Host2, vm: string, t0: number, everyMs = 500): { stop: () => Promise<TwoHostLook[]> } {
  const seen: TwoHostLook[] = [];
  let running = true;
  const key = (l: TwoHostLook) => JSON.stringify([l.host1, l.host2, l.paused1, l.paused2]);
  const loop = (async () => {
    while (running) {
      const l = await look(h, vm, t0).catch(() => undefined);
      const prev = seen[seen.length - 1];
      if (l && (!prev || key(prev) !== key(l))) seen.push(l);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

const LAB_STATE_DIR = process.env.LAB_STATE_DIR || '/var/lib/ballast-lab';

/** A domain's balloon (`virsh dommemstat` actual), MiB. */
export async function actualMiB(uri: string, vm: string): Promise<number> {
  const m = /^actual\s+(\d+)/m.exec(await virshAt(uri, 'dommemstat', vm));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** `ballast lab health <vm>` against a lab state dir (the lab's, or host2's view of it). */
export async function labHealth(vm: string, stateDir?: string): Promise<{ status: string; detail: string }> {
  const env = { ...process.env, ...(stateDir ? { LAB_STATE_DIR: stateDir } : {}) };
  const { stdout } = await exec(process.execPath, [path.join(REPO, 'packages/cli/dist/bin.js'), 'lab', 'health', vm, '--timeout', '5'], {
    env,
    timeout: 30000,
  }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const parsed = JSON.parse(stdout || '[]') as unknown;
  const h = (Array.isArray(parsed) ? parsed[0] : parsed) as { status?: string; detail?: string } | undefined;
  return { status: h?.status ?? 'unknown', detail: h?.detail ?? stdout };
}

/**
 * A migration test's cleanup: the guest back on the root host at `memoryMiB`, its serial log readable again (the
 * destination recreates it 0600; the lab keeps it 0644), host2 down unless it was up before, the guest alive.
 * Returns the problems found (the test's `after` throws them).
 */
export async function putBackOnRoot(h: Host2 | undefined, vm: string, memoryMiB: number, before?: () => Promise<void>): Promise<string[]> {
  const problems: string[] = [];
  if (h) {
    try {
      await before?.();
      console.log(`${vm} after the test: ${await ensureOnRoot(h, vm)}`);
      if ((await actualMiB(h.HOST1_URI, vm)) !== memoryMiB) await virshAt(h.HOST1_URI, 'setmem', vm, `${memoryMiB}M`, '--live');
      await chmod(path.join(LAB_STATE_DIR, `${vm}.serial.log`), 0o644).catch(() => {});
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  // host2 goes down unless it was up before (`make test` brings it up for the whole lab phase)
  const down = await host2DownIfOurs(h);
  if (down) problems.push(down);
  const health = await labHealth(vm);
  if (health.status !== 'alive') problems.push(`${vm} is ${health.status} after the test: ${health.detail}`);
  return problems;
}
