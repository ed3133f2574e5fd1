import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './services.js';

// host2: a second libvirt host on this machine (infra/lab/host2-up.sh, a network + mount namespace with its own
// libvirtd). A test brings it up and takes it down again only when it was not up before: `make test` brings it up
// for the whole lab phase (the binding's migration test uses it) and takes it down at the end.

const exec = promisify(execFile);
const LAB_DIR = path.join(REPO, 'infra/lab');

/** What host2-up.sh prints (KEY=value lines). */
export interface Host2 {
  HOST1_URI: string;
  HOST1_MIGRATION_URI: string;
  HOST1_MIGRATION_DATA_URI: string;
  HOST2_URI: string;
  HOST2_MIGRATION_URI: string;
  HOST2_MIGRATION_DATA_URI: string;
  HOST2_LAB_DIR: string;
  /** '1' when host2's libvirtd was already running: someone else brought it up (leave it up). */
  HOST2_WAS_UP: string;
}

const KEYS = [
  'HOST1_URI',
  'HOST1_MIGRATION_URI',
  'HOST1_MIGRATION_DATA_URI',
  'HOST2_URI',
  'HOST2_MIGRATION_URI',
  'HOST2_MIGRATION_DATA_URI',
  'HOST2_LAB_DIR',
  'HOST2_WAS_UP',
] as const;

/** Runs host2-up.sh (idempotent) and returns what it printed. */
export async function host2Up(): Promise<Host2> {
  const { stdout } = await exec('bash', [path.join(LAB_DIR, 'host2-up.sh')], { timeout: 120000 });
  const kv = Object.fromEntries(
    stdout
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  ) as Partial<Host2>;
  for (const k of KEYS) {
    if (!kv[k]) throw new Error(`host2-up.sh printed no ${k}:\n${stdout}`);
  }
  return kv as Host2;
}

/**
 * Runs host2-down.sh (lab guests still on host2 are migrated back first) unless host2 was up before `h` was
 * brought up; returns a problem to report, or undefined.
 */
export async function host2DownIfOurs(h: Host2 | undefined): Promise<string | undefined> {
  if (h?.HOST2_WAS_UP === '1') return undefined;
  return exec('bash', [path.join(LAB_DIR, 'host2-down.sh')], { timeout: 180000 }).then(
    () => undefined,
    (e: Error & { stderr?: string }) => `host2-down.sh failed: ${e.stderr ?? e.message}`,
  );
}
