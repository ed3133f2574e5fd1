// The simulator server as a process: `node dist/server/main.js …` prints where it listens on one JSON line,
// serves sim:// URIs, stops on SIGTERM; a bad flag is one line naming it and exit code 2.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openHypervisor } from '@ballast/hypervisor';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

function run(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('\n') && resolve(out.split('\n')[0] as string));
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  firstLine.catch(() => undefined); // awaited only by the tests that want it
  return { child, exited, firstLine, stderr: () => err };
}

test('main.js prints port and host ids on one JSON line and serves them until SIGTERM', async () => {
  const p = run(['--hosts', '3', '--vms-per-host', '2', '--port', '0', '--seed=7']);
  try {
    const info = JSON.parse(await p.firstLine) as { port: number; uriPrefix: string; hosts: string[]; vms: number };
    assert.deepEqual([info.hosts, info.vms], [['h0', 'h1', 'h2'], 6]);
    assert.equal(info.uriPrefix, `sim://127.0.0.1:${info.port}/`);
    const hv = await openHypervisor(`${info.uriPrefix}h1`, { readOnly: true });
    try {
      assert.deepEqual((await hv.listVms()).map((v) => v.name), ['vm-1-0', 'vm-1-1']);
      assert.equal((await hv.hostInfo()).pcpus, 32);
    } finally {
      await hv.close();
    }
  } finally {
    p.child.kill('SIGTERM');
  }
  assert.equal(await p.exited, 0);
});

test('a bad flag is one line naming it, exit code 2', async () => {
  for (const [args, line] of [
    [['--hosts', 'many'], 'sim-server: --hosts: expected an integer from 1 to 10000, got "many"'],
    [['--vms-per-host=-1'], 'sim-server: --vms-per-host: expected an integer from 0 to 1000, got "-1"'],
    [['--port'], 'sim-server: --port: a value is required'],
  ] as const) {
    const p = run([...args]);
    assert.equal(await p.exited, 2);
    assert.equal(p.stderr(), `${line}\n`);
  }
  const unknown = run(['--host', '3']);
  assert.equal(await unknown.exited, 2);
  assert.match(unknown.stderr(), /^sim-server: --host: unknown flag \(known: --hosts, --vms-per-host, .*\)\n$/);
});
