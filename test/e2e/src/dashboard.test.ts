/**
 * The dashboard against a running stack on the lab, in headless Chromium: it shows lab-vm1's balloon
 * (actual and used, as the API and `virsh dommemstat` see them), the numbers and the chart move while the
 * guest consumes memory, and the screenshots in docs/img/dashboard-*.png are written (README, "Dashboard").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { consume, labMem, LAB_VMS, MEMORY_POLICY, resetGuests, sleep } from './memory-lab.js';
import { REPO, waitUntil } from './services.js';
import { apiVms, startStack, type Stack } from './stack.js';

const LAB = process.env.BALLAST_LAB === '1';
const CHROMIUM = '/usr/bin/chromium';
const VM = 'lab-vm1';
const IMG = path.join(REPO, 'docs/img');

/** lab-vm1's row as the page shows it: balloon actual and used, MiB. */
async function shown(page: Page): Promise<{ actual: number; used: number }> {
  const cell = async (c: string) => Number(await page.textContent(`#vms tr[data-vm="${VM}"] .${c}`));
  return { actual: await cell('actual'), used: await cell('used') };
}

describe('the dashboard on the lab', { skip: LAB ? false : 'needs the lab: run via `make test` or `make e2e`' }, () => {
  let stack: Stack | undefined;
  let browser: Browser | undefined;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (infra/setup/deps.sh installs it)`);
    await resetGuests();
    stack = await startStack({ extraEnv: { BALLAST_POLICY_FILE: MEMORY_POLICY } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await labMem(VM, '--free').catch(() => '');
    await stack?.stop();
    await resetGuests();
  });

  test(`shows ${VM}'s balloon actual / used, live while it consumes memory; screenshots`, { timeout: 240000 }, async () => {
    const s = stack as Stack;
    await waitUntil('the lab guests in the API with balloon stats', 30000, async () => {
      const v = (await apiVms(s)).filter((x) => LAB_VMS.includes(x.name) && x.balloon?.hasGuestStats);
      return v.length === LAB_VMS.length ? true : undefined;
    });
    const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1100 } });
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${s.ports.httpPort}/`);
    await page.fill('#token', s.token);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector(`#hosts [data-host="${s.hostId}"] [data-pcpu="0"]`);
    await page.waitForSelector(`#vms tr[data-vm="${VM}"] .used`);
    // the page shows what the API says (the balloon stands still while the guest is idle)
    const before = await waitUntil('the page to show the API balloon of lab-vm1', 10000, async () => {
      const api = (await apiVms(s)).find((x) => x.name === VM)?.balloon;
      const p = await shown(page);
      return api && p.actual === api.actualMiB && Math.abs(p.used - (api.actualMiB - (api.unusedMiB ?? 0))) < 30 ? p : undefined;
    }, 500);
    assert.ok(before.used > 0 && before.used < before.actual, `used ${before.used} MiB of ${before.actual} MiB`);
    await sleep(8000); // a few points on the charts
    mkdirSync(IMG, { recursive: true });
    await page.screenshot({ path: path.join(IMG, 'dashboard-overview.png'), fullPage: true });

    await consume(VM, 300, 20);
    const grown = await waitUntil(`the page to show ${VM} using 150 MiB more and its balloon grown`, 120000, async () => {
      const p = await shown(page);
      return p.used >= before.used + 150 && p.actual > before.actual ? p : undefined;
    }, 1000);
    assert.ok(grown.actual > before.actual, `actual ${before.actual} → ${grown.actual} MiB`);
    assert.equal(await page.locator(`#charts [data-chart="${VM}"] canvas`).count(), 1, `a chart for ${VM}`);
    await sleep(6000);
    await page.locator('#vms-panel').screenshot({ path: path.join(IMG, 'dashboard-vms.png') });
    await page.locator('#hosts-panel').screenshot({ path: path.join(IMG, 'dashboard-hosts.png') });
    await page.close();
  });
});
