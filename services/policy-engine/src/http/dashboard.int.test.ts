import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { chromium, type Browser, type Page } from 'playwright-core';
import { QUEUE_PREFIX, jobQueueName } from '@ballast/queue';
import { hostReport, vmReport } from '@ballast/testkit';
import { placeVm, clusterBalancePolicy } from '@ballast/domain';
import { startTestEngine, type TestEngine } from '../test-engine.js';
import { DecisionLog } from '../state/decision-log.js';
import { MaintenanceStore } from '../cluster/maintenance-store.js';
import { RecommendationStore } from '../cluster/recommendation-store.js';
import { clusterRoutes } from '../cluster/cluster-routes.js';
import type { Authenticator } from '../security/auth.js';
import { createApp } from './create-app.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'dash-admin-token-0123456789';
const VIEWER = 'dash-viewer-token-0123456789';
const auth: Authenticator = {
  authenticate: async (t) =>
    t === ADMIN ? { tokenId: 'admin', role: 'admin' } : t === VIEWER ? { tokenId: 'viewer', role: 'viewer' } : { error: 'Authorization: bearer token is wrong' },
};
let engine: TestEngine;
let recommendations: RecommendationStore;
let http: Server;
let base: string;
let browser: Browser;
let worker: Worker | undefined;
let workerConn: Redis | undefined;

const mib = (n: number) => n * 1024;
const web = (actualMiB: number, unusedMiB: number) => vmReport('web', { balloon: { ...vmReport('web').balloon!, actualKiB: mib(actualMiB), unusedKiB: mib(unusedMiB) } });
const uris = (h: string) => ({ migrationUri: `qemu+tcp://${h}/system`, migrationDataUri: `tcp://${h}` });
const ingestH1 = (actualMiB: number, unusedMiB: number) =>
  engine.state.ingest(hostReport('h1', [web(actualMiB, unusedMiB), vmReport('db')], { takenAtMs: Date.now(), pcpus: [{ pcpu: 0, usagePercent: 62 }, { pcpu: 1, usagePercent: 7 }], ...uris('h1') }));

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: the dashboard tests need Debian's chromium (apt-get install -y chromium; infra/setup/deps.sh installs it)`);
  engine = await startTestEngine(300000);
  ingestH1(512, 300);
  engine.state.ingest(hostReport('h2', [vmReport('cache')], { takenAtMs: Date.now(), ...uris('h2') }));
  recommendations = new RecommendationStore(engine.redis, { now: () => Date.now() });
  const decision = {
    policy: 'cluster-balance', kind: 'recommend', vmUuid: 'uuid-web', hostId: 'h1', atMs: Date.now(),
    reason: 'h1 carries 2 of 3 VMs: moving web to h2 lowers the imbalance',
    inputs: { action: { type: 'migrate', targetHost: 'h2' }, move: 'balance', priority: 2, imbalanceBefore: 0.31, imbalanceAfter: 0.12, from: 'h1', vm: 'web' },
  };
  await recommendations.afterCycle([decision], 0.31, async () => new Map(), () => 'h1');
  const decisions = new DecisionLog();
  decisions.add([decision, { policy: 'memory', kind: 'grow', vmUuid: 'uuid-db', hostId: 'h1', atMs: Date.now(), reason: 'db has 20 MiB unused: grow to 600 MiB' }]);
  const state = engine.state;
  const routes = clusterRoutes({ state, jobs: engine.jobs, maintenance: new MaintenanceStore(engine.redis), recommendations, now: () => Date.now(), place: (req) => placeVm({ ...state.snapshot(), jobs: [], signals: {} }, clusterBalancePolicy.defaults, req) });
  http = createServer(createApp({ state, jobs: engine.jobs, token: ADMIN, auth, holdMs: 300000, decisions, extraRoutes: routes }));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await worker?.close();
  await workerConn?.quit();
  if (http) await new Promise((r) => http.close(r));
  await engine?.stop();
});

async function signIn(token: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  await page.goto(`${base}/`);
  await page.fill('#token', token);
  await page.click('#signin button[type=submit]');
  return page;
}

test('the page is public, with a CSP allowing only this origin; uPlot comes from its package', async () => {
  const r = await fetch(`${base}/`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self';/);
  assert.doesNotMatch(await r.text(), /<script>/, 'no inline script');
  const u = await fetch(`${base}/vendor/uPlot.esm.js`);
  assert.equal(u.status, 200);
  assert.ok((await u.text()).includes('export { uPlot as default }'), 'the ESM build of uPlot');
  assert.equal((await fetch(`${base}/v1/hosts`)).status, 401, 'the data still needs a token');
});

test('a wrong token stays on the sign-in form with the error', async () => {
  const page = await signIn('not-a-token');
  await page.waitForSelector('#signin-error:has-text("Token refused")');
  assert.equal(await page.isHidden('#dash'), true);
  assert.equal(await page.evaluate("sessionStorage.getItem('ballast.token')"), null);
  await page.close();
});

test('signed in: hosts with per-pCPU usage, VMs with balloon actual / used, a number changes with a new report, decisions and charts', async () => {
  const page = await signIn(ADMIN);
  await page.waitForSelector('#hosts [data-host="h1"]');
  assert.equal(await page.textContent('[data-host="h1"] [data-pcpu="0"] .value'), '62.0 %');
  assert.equal(await page.textContent('#vms tr[data-vm="web"] .actual'), '512.0');
  assert.equal(await page.textContent('#vms tr[data-vm="web"] .used'), '212.0');
  assert.equal(await page.evaluate("sessionStorage.getItem('ballast.token')"), ADMIN, 'kept for the session');
  ingestH1(640, 100);
  await page.waitForSelector('#vms tr[data-vm="web"] .used:text-is("540.0")', { timeout: 6000 });
  assert.equal(await page.textContent('#vms tr[data-vm="web"] .actual'), '640.0');
  assert.equal(await page.locator('#charts [data-chart="web"] canvas').count(), 1, 'a uPlot chart for web');
  await page.waitForSelector('#decisions li[data-kind="grow"]:has-text("db")');
  assert.match((await page.textContent('#decisions li[data-kind="recommend"]')) ?? '', /cluster-balance.*web/s);
  await page.close();
});

test('a viewer token: Approve shows that it needs the operator role, and the recommendation stays pending', async () => {
  const page = await signIn(VIEWER);
  await page.click('#recs tr[data-recommendation] button.approve');
  await page.waitForSelector('#recs-message:has-text("needs the operator role")');
  assert.deepEqual(recommendations.list().map((r) => r.state), ['pending']);
  await page.close();
});

test('Approve reaches the API: the recommendation is approved and its migrate job shows its progress', async () => {
  workerConn = new Redis(engine.redisSrv.url, { maxRetriesPerRequest: null });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  worker = new Worker(jobQueueName('h1'), async (job) => {
    await job.updateProgress({ phase: 'migrating', targetHost: 'h2', percent: 40, memorySentMiB: 100, memoryTotalMiB: 250, rateMiBs: 31.5 });
    await held;
    return { message: 'migrated to h2' };
  }, { connection: workerConn, prefix: QUEUE_PREFIX });
  const page = await signIn(ADMIN);
  const id = recommendations.list()[0]?.id;
  await page.click(`#recs tr[data-recommendation="${id}"] button.approve`);
  await page.waitForSelector('#recs-message:has-text("Approved: web → h2")');
  const rec = recommendations.list().find((r) => r.id === id);
  assert.equal(rec?.state, 'approved');
  await page.waitForSelector(`#jobs tr[data-job="${rec?.jobId}"]:has-text("40 % 100 / 250 MiB at 31.5 MiB/s")`, { timeout: 8000 });
  release();
  await page.waitForSelector(`#jobs tr[data-job="${rec?.jobId}"][data-state="succeeded"]:has-text("migrated to h2")`, { timeout: 8000 });
  await page.waitForSelector('#recs td:has-text("Nothing pending.")');
  await page.close();
});

test('a token that stops working returns to the sign-in form', async () => {
  const page = await signIn(ADMIN);
  await page.waitForSelector('#hosts [data-host="h1"]');
  await page.evaluate("sessionStorage.setItem('ballast.token', 'revoked')");
  await page.waitForSelector('#signin-error:has-text("Signed out")', { timeout: 6000 });
  assert.equal(await page.isVisible('#signin'), true);
  await page.close();
});
