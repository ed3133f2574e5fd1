// The `ballast` operator commands against a real policy engine: a simulator server with 3 hosts, a collector
// and an actuator per host, the engine and Redis (as sim-stack.int.test.ts starts them). The CLI runs as a
// child process, as an operator runs it: tables, -o json, a migration followed with --wait, maintenance, the
// exit codes scripts rely on, and every operator command of README.md's sh blocks as written.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, readmeCommands, startRedis, type RedisHandle } from '@ballast/testkit';
import { REPO, startService, waitUntil, type ServiceProc } from './services.js';
import { startSimServer, type SimServerProc } from './sim-server-proc.js';

const HOSTS = ['h0', 'h1', 'h2'];
const TOKEN = 'cli-int-token-0123456789';
const BIN = path.join(REPO, 'packages/cli/dist/bin.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line (argv to the built CLI, or a string for bash in the repository root). */
function run(cmd: string[] | string, env: NodeJS.ProcessEnv): Promise<Run> {
  const [file, args] = typeof cmd === 'string' ? ['bash', ['-c', cmd]] : [process.execPath, [BIN, ...cmd]];
  return new Promise((resolve) => {
    execFile(file, args, { cwd: REPO, env, timeout: 120000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the ballast CLI against an engine on 3 simulated hosts', () => {
  let redis: RedisHandle;
  let sim: SimServerProc;
  let env: NodeJS.ProcessEnv;
  let tmp: string;
  const procs: ServiceProc[] = [];
  const logs = () => procs.map((p) => `--- ${p.name} ---\n${p.output().slice(-2000)}`).join('\n');
  const cli = (...args: string[]) => run(args, env);
  const json = <T>(r: Run): T => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  before(async () => {
    // 128 MiB/s: migrating a 0.5-4 GiB simulated VM takes 4-30 s, long enough for the actuator (which reads a
    // migration's figures once a second) to report progress a few times
    [redis, sim] = await Promise.all([startRedis(), startSimServer(['--hosts', '3', '--vms-per-host', '2', '--migration-rate-mibs', '128'])]);
    tmp = mkdtempSync(path.join(tmpdir(), 'ballast-cli-'));
    const policyFile = path.join(tmp, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ policies: { 'cluster-balance': { automation: 'recommend' } } }));
    const httpPort = await freePort();
    const grpcPort = await freePort();
    const common = { REDIS_URL: redis.url, BALLAST_LOG_LEVEL: 'warn', BALLAST_OPS_PORT: '0' };
    procs.push(
      startService('policy-engine', { ...common, BALLAST_API_TOKEN: TOKEN, BALLAST_HTTP_PORT: String(httpPort), BALLAST_GRPC_PORT: String(grpcPort), BALLAST_CYCLE_MS: '1000', BALLAST_POLICY_FILE: policyFile }),
    );
    for (const host of HOSTS) {
      const hostEnv = { ...common, BALLAST_HOST_ID: host, LIBVIRT_URI: `${sim.uriPrefix}${host}` };
      procs.push(startService('collector', { ...hostEnv, BALLAST_ENGINE_ADDRESS: `127.0.0.1:${grpcPort}`, BALLAST_INTERVAL_MS: '500' }));
      procs.push(startService('actuator', { ...hostEnv, BALLAST_GRPC_PORT: '0', BALLAST_LOCK_DURATION_MS: '5000', BALLAST_STALLED_INTERVAL_MS: '2000' }));
    }
    // the operator's environment: no config file, no token file; URL and token from the environment
    env = {
      ...process.env,
      BALLAST_API_URL: `http://127.0.0.1:${httpPort}`,
      BALLAST_API_TOKEN: TOKEN,
      BALLAST_CLI_CONFIG: path.join(tmp, 'no-cli.json'),
      BALLAST_API_TOKEN_FILE: path.join(tmp, 'no-token'),
      npm_config_yes: 'false',
    };
    await waitUntil('3 hosts with 2 VMs each in `ballast hosts -o json`', 30000, async () => {
      const r = await cli('hosts', '-o', 'json');
      const hosts = r.code === 0 ? (JSON.parse(r.stdout) as { hosts: { vmCount: number }[] }).hosts : [];
      return hosts.length === 3 && hosts.every((h) => h.vmCount === 2) ? true : undefined;
    }).catch((e: Error) => assert.fail(`${e.message}\n${logs()}`));
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all([sim?.stop(), redis?.stop()]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('hosts: a table with every host', async () => {
    const r = await cli('hosts');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^HOST\s+VMS\s+PCPUS/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' ')).sort(), ['h0 2 32', 'h1 2 32', 'h2 2 32']);
  });

  test('vms -o json: the API answer', async () => {
    const body = json<{ vms: { name: string; host: string }[] }>(await cli('vms', '-o', 'json'));
    assert.deepEqual(body.vms.map((v) => `${v.host}/${v.name}`).sort(), ['h0/vm-0-0', 'h0/vm-0-1', 'h1/vm-1-0', 'h1/vm-1-1', 'h2/vm-2-0', 'h2/vm-2-1']);
    const h2 = await cli('vms', '--host', 'h2');
    assert.deepEqual(h2.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]).sort(), ['vm-2-0', 'vm-2-1']);
  });

  test('status: healthy, 3 hosts, 6 VMs', async () => {
    const r = await cli('status');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /engine:\s+http:\/\/127\.0\.0\.1:\d+ healthy/);
    assert.match(r.stdout, /^hosts:\s+3$/m);
    assert.match(r.stdout, /^vms:\s+6 \(6 running\)$/m);
  });

  test('jobs submit migrate --wait: shows the progress and exits 0 once the VM is on h1', async () => {
    const r = await cli('jobs', 'submit', 'migrate', '--vm', 'vm-0-1', '--target-host', 'h1', '--wait');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${logs()}`);
    assert.match(r.stderr, /job [\w-]+@h0: active, migrate vm-0-1 → h1: [\d.]+\/[\d.]+ MiB sent \(\d+%\)/);
    assert.match(r.stdout, /^state:\s+succeeded$/m);
    assert.match(r.stdout, /^result:\s+migrated to h1 in [\d.]+ s$/m);
    const id = /^id:\s+(\S+)$/m.exec(r.stdout)?.[1] as string;
    const job = json<{ state: string; vm: string }>(await cli('jobs', 'get', id, '-o', 'json'));
    assert.deepEqual([job.state, job.vm], ['succeeded', 'vm-0-1']);
    await waitUntil('vm-0-1 on h1', 15000, async () => {
      const body = json<{ vms: { name: string }[] }>(await cli('vms', '--host', 'h1', '-o', 'json'));
      return body.vms.some((v) => v.name === 'vm-0-1') ? true : undefined;
    });
  });

  test('maintenance h0 on, then off; hosts shows it', async () => {
    const on = await cli('maintenance', 'h0', 'on', '--reason', 'cli test');
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /^maintenance:\s+yes$/m);
    const hosts = json<{ hosts: { hostId: string; maintenance: boolean }[] }>(await cli('hosts', '-o', 'json'));
    assert.deepEqual(hosts.hosts.filter((h) => h.maintenance).map((h) => h.hostId), ['h0']);
    const off = await cli('maintenance', 'h0', 'off');
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /^maintenance:\s+no$/m);
  });

  test('policy get, recommendations, decisions, placement answer', async () => {
    assert.match((await cli('policy', 'get')).stdout, /^cluster-balance\s+recommend/m);
    assert.equal((await cli('recommendations')).code, 0);
    assert.equal((await cli('decisions', '--limit', '5')).code, 0);
    const p = json<{ hosts: { hostId: string; rank: number }[] }>(await cli('placement', '--vcpus', '1', '--memory-mib', '512', '-o', 'json'));
    assert.deepEqual(p.hosts.map((h) => h.hostId).sort(), HOSTS);
  });

  test('exit codes: 2 for a bad flag, 3 for an unreachable API, 4 for a refusal with its field, 1 for a failed job', async () => {
    const bad = await cli('hosts', '--bogus');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--bogus/);
    const port = await freePort();
    const down = await cli('hosts', '--api-url', `http://127.0.0.1:${port}`);
    assert.equal(down.code, 3);
    assert.match(down.stderr, /cannot reach the policy engine at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    const refused = await cli('jobs', 'submit', 'migrate', '--vm', 'no-such-vm', '--target-host', 'h1');
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /404 vm_not_found: .*\[field: vm\] \(--vm\)/);
    const noToken = await run(['maintenance', 'h0', 'on'], { ...env, BALLAST_API_TOKEN: '' });
    assert.equal(noToken.code, 4);
    assert.match(noToken.stderr, /401 unauthorized: .*no API token/);
    // vm-0-0 to h0: the VM already runs there, which the engine refuses (422)
    const same = await cli('jobs', 'submit', 'migrate', '--vm', 'vm-0-0', '--target-host', 'h0', '--wait');
    assert.equal(same.code, 4, same.stderr);
    assert.match(same.stderr, /same_host: .*\(--target-host\)/);
    // a balloon above the domain's maximum: the actuator fails the job at once, and --wait exits 1
    const failed = await cli('jobs', 'submit', 'set-memory', '--vm', 'vm-0-0', '--memory-mib', '1000000', '--wait', '--timeout', '60');
    assert.equal(failed.code, 1, `${failed.stdout}\n${failed.stderr}`);
    assert.match(failed.stdout, /^state:\s+failed$/m);
    assert.match(failed.stdout, /^error:\s+\S/m);
  });

  test('a config file gives the URL and the token when the environment does not', async () => {
    const file = path.join(tmp, 'cli.json');
    writeFileSync(file, JSON.stringify({ apiUrl: env.BALLAST_API_URL, token: TOKEN }));
    const r = await run(['maintenance', 'h2', 'off'], { ...env, BALLAST_API_URL: '', BALLAST_API_TOKEN: '', BALLAST_CLI_CONFIG: file });
    assert.equal(r.code, 0, r.stderr);
  });

  test("README.md's operator commands run as written", async () => {
    const lines = readmeCommands(readFileSync(path.join(REPO, 'README.md'), 'utf8'), 'npx ballast ').filter((l) => !l.startsWith('npx ballast lab '));
    assert.ok(lines.length >= 5, `found only: ${JSON.stringify(lines)}`);
    for (const line of lines) {
      const r = await run(line, env);
      assert.equal(r.code, 0, `${line}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      assert.notEqual(r.stdout.trim(), '', `${line}: printed nothing`);
      if (/\s-o json\b/.test(line)) JSON.parse(r.stdout);
    }
  });
});
