/**
 * The dashboard's Approve on the lab: two libvirt hosts (the root one and host2), cluster-balance in
 * `recommend` mode, the root host put in maintenance, so the policy recommends moving its guests to host2.
 * In headless Chromium the recommendation shows; Approve reaches the API (the recommendation is approved),
 * the migrate job shows its progress (bandwidth capped so it lasts a few seconds) and ends succeeded, and the
 * guest runs on host2. Writes docs/img/dashboard-approve.png. The guest goes back and host2 down afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '@ballast/testkit';
import { policyFile } from './cpu-lab.js';
import { host2DownIfOurs, host2Up, type Host2 } from './host2.js';
import { REPO, startService, waitUntil, type ServiceProc } from './services.js';
import { apiVms, startStack, type Stack } from './stack.js';
import { LAB_URI } from './virsh.js';

const exec = promisify(execFile);
const LAB = process.env.BALLAST_LAB === '1';
const SKIP = !LAB ? 'needs the lab: run via `make test` or `make e2e`' : LAB_URI !== 'qemu:///system' ? 'host2 pairs with qemu:///system' : false;
const CHROMIUM = '/usr/bin/chromium';
const HOST1 = 'lab-host';
const HOST2 = 'lab-host2';
const VMS = ['lab-vm1', 'lab-vm2', 'lab-vm3', 'lab-vm4'];
const LAB_STATE_DIR = process.env.LAB_STATE_DIR || '/var/lib/ballast-lab';

const virshAt = async (uri: string, ...args: string[]) => (await exec('virsh', ['-q', '-c', uri, ...args], { timeout: 120000 })).stdout.trim();

/** Every lab guest that runs on host2 goes back to the root host. */
async function bringHome(h: Host2): Promise<void> {
  const onTwo = (await virshAt(h.HOST2_URI, 'list', '--name', '--state-running').catch(() => '')).split('\n').map((l) => l.trim()).filter((v) => VMS.includes(v));
  for (const vm of onTwo) {
    await virshAt(h.HOST2_URI, 'migrate', '--live', '--p2p', '--persistent', '--undefinesource', vm, h.HOST1_MIGRATION_URI, '--migrateuri', h.HOST1_MIGRATION_DATA_URI);
    // the destination (re)creates the serial log 0600; the lab keeps it 0644
    await chmod(path.join(LAB_STATE_DIR, `${vm}.serial.log`), 0o644).catch(() => undefined);
  }
}

describe('the dashboard on two lab hosts: Approve a recommended move', { skip: SKIP }, () => {
  let h: Host2 | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const host2Services: ServiceProc[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (infra/setup/deps.sh installs it)`);
    h = await host2Up();
    await bringHome(h);
    const policies = policyFile({ 'cluster-balance': { automation: 'recommend', args: { level: 3, cooldown: { minMs: 30000, maxMs: 60000 } } } });
    stack = await startStack({
      extraEnv: {
        BALLAST_POLICY_FILE: policies,
        BALLAST_MIGRATION_URI: h.HOST1_MIGRATION_URI,
        BALLAST_MIGRATION_DATA_URI: h.HOST1_MIGRATION_DATA_URI,
        BALLAST_MIGRATE_BANDWIDTH_MIB_PER_SEC: '40',
      },
    });
    const env2 = { ...stack.env, BALLAST_HOST_ID: HOST2, LIBVIRT_URI: h.HOST2_URI, BALLAST_MIGRATION_URI: h.HOST2_MIGRATION_URI, BALLAST_MIGRATION_DATA_URI: h.HOST2_MIGRATION_DATA_URI };
    host2Services.push(startService('collector', { ...env2, BALLAST_OPS_PORT: String(await freePort()) }));
    host2Services.push(startService('actuator', { ...env2, BALLAST_OPS_PORT: String(await freePort()), BALLAST_GRPC_PORT: String(await freePort()) }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await stack?.api(`/v1/hosts/${HOST1}/maintenance`, { method: 'POST', body: JSON.stringify({ enabled: false }) }).catch(() => undefined);
    await Promise.all(host2Services.map((s) => s.stop()));
    await stack?.stop();
    const problems: string[] = [];
    if (h) await bringHome(h).catch((e: Error) => problems.push(`moving the guests back: ${e.message}`));
    const down = await host2DownIfOurs(h);
    if (down) problems.push(down);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });

  test('a recommended move shows; Approve reaches the API; its migration shows progress and the guest runs on host2', { timeout: 300000 }, async () => {
    const s = stack as Stack;
    await waitUntil('both hosts in GET /v1/hosts', 30000, async () => {
      const hosts = ((await (await s.api('/v1/hosts')).json()) as { hosts: { hostId: string }[] }).hosts.map((x) => x.hostId);
      return hosts.includes(HOST1) && hosts.includes(HOST2) ? true : undefined;
    });
    const m = await s.api(`/v1/hosts/${HOST1}/maintenance`, { method: 'POST', body: JSON.stringify({ enabled: true, reason: 'dashboard e2e' }) });
    assert.equal(m.status, 200);

    const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1100 } });
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${s.ports.httpPort}/`);
    await page.fill('#token', s.token);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector(`#hosts [data-host="${HOST1}"] .flag.maintenance`);
    const row = page.locator('#recs tr[data-recommendation]').first();
    await row.waitFor({ timeout: 60000 });
    const id = (await row.getAttribute('data-recommendation')) as string;
    const vm = ((await row.locator('td').first().textContent()) ?? '').trim();
    assert.ok(VMS.includes(vm), `a lab guest is recommended: ${vm}`);

    await row.locator('button.approve').click();
    await page.waitForSelector(`#recs-message:has-text("Approved: ${vm} → ${HOST2}")`);
    const rec = (await (await s.api(`/v1/recommendations/${id}`)).json()) as { state: string; jobId: string | null };
    assert.ok(['approved', 'applied'].includes(rec.state), `the recommendation is ${rec.state}`);
    const job = `#jobs tr[data-job="${rec.jobId}"]`;
    await page.waitForSelector(`${job} progress`, { timeout: 30000 }).then(
      () => page.screenshot({ path: path.join(REPO, 'docs/img/dashboard-approve.png'), fullPage: true }),
      () => console.log('the migration ended before a progress poll: no progress screenshot'),
    );
    await page.waitForSelector(`${job}[data-state="succeeded"]`, { timeout: 120000 });
    await waitUntil(`${vm} on ${HOST2} in GET /v1/vms`, 30000, async () => ((await apiVms(s)).find((v) => v.name === vm)?.host === HOST2 ? true : undefined));
    await page.close();
  });
});
