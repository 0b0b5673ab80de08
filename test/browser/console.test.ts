/**
 * The console in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core;
 * no browser download) against the running demo, started in-process on free ports in a temp data
 * dir: log in, every view renders live data (screenshots at 1920×1080 into docs/screenshots/),
 * a thermal-runaway drill changes the rack's stage and raises the alarm without a reload, an
 * operator acknowledges it, and a viewer is refused (no button, and the API answers 403).
 * One demo, one browser, sequential steps; the drill runs the simulator at ×10.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type DemoHandle } from '../../server/demo/stack.js';

const SHOTS = join(import.meta.dirname, '../../docs/screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let demo: DemoHandle;
let browser: Browser;
let dir: string;
const pw = (user: string) => demo.accounts.accounts.find((a) => a.username === user)!.password!;

async function login(page: Page, user: string) {
  await page.goto(demo.consoleUrl);
  await page.fill('#login-user', user);
  await page.fill('#login-password', pw(user));
  await page.click('form[aria-label="log in"] button[type=submit]');
  await page.waitForSelector(`#who:has-text("${user}")`);
}

async function view(page: Page, name: string) {
  await page.evaluate((n) => { location.hash = `#/${n}`; }, name);
  await page.waitForSelector(`#nav a[href="#/${name}"][aria-current]`);
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

describe('facility console in headless Chromium against the demo', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dcim-console-'));
    mkdirSync(SHOTS, { recursive: true });
    demo = await startDemo({ dataDir: dir, port: 0, drillTimeScale: 10 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // Every part of the demo stops within 10 s or is left behind with a log line (server/demo/stack.ts).
  }, 120_000);

  it('logs in as operator and every view renders live data', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(demo.consoleUrl);
    await page.waitForSelector('#login-user');
    await shot(page, 'login');
    await login(page, 'operator');

    await view(page, 'overview');
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-kpi="it-load"] .kpi')?.textContent ?? ''), undefined, { timeout: 60_000 });
    await page.waitForFunction(() => /\d+ %/.test(document.querySelector('[data-node="ups-z1"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect(await page.locator('#power-chain [data-node]').count()).toBeGreaterThanOrEqual(13);
    expect(await page.locator('#cooling-chain [data-node]').count()).toBeGreaterThanOrEqual(7);
    expect(await page.textContent('[data-node="ats-1"]')).toMatch(/source\s*feed A/);
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-kpi="pue"] .kpi')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await shot(page, 'overview');

    await view(page, 'battery');
    await page.waitForFunction(() => document.querySelectorAll('#rack-grid .rack').length >= 8
      && [...document.querySelectorAll('#rack-grid .rack .t')].every((e) => /°C/.test(e.textContent ?? '')), undefined, { timeout: 30_000 });
    await page.click('#rack-grid [data-rack="BR1-R03"]');
    await page.waitForSelector('#rack-detail :text("Probe A")');
    await shot(page, 'battery-room');

    await view(page, 'status');
    await page.waitForSelector('[data-node="ats-1"] .st.Up', { timeout: 30_000 });
    await page.click('[data-node="ups-z1"] a');
    await page.waitForSelector('#status-detail :text("What is affected")');
    await shot(page, 'status');

    await view(page, 'trends');
    await page.waitForFunction(() => Number(document.querySelector('#trend-chart')?.getAttribute('data-points') ?? 0) > 0, undefined, { timeout: 30_000 });
    expect(await page.locator('#trend-chart canvas').count()).toBeGreaterThan(0);
    await page.waitForSelector('#trend-device option[value="chiller-plant"]', { state: 'attached', timeout: 30_000 });
    await page.selectOption('#trend-device', 'chiller-plant');
    await page.waitForSelector('#trend-point option[value="chw.a.supply.temperature"]', { state: 'attached' });
    await page.selectOption('#trend-point', 'chw.a.supply.temperature');
    await page.click('#trend-add');
    await page.waitForFunction(() => document.querySelector('#trend-chart')?.getAttribute('data-series') === '3');
    const download = page.waitForEvent('download');
    await page.click('#trend-csv');
    const csv = await (await download).createReadStream().then(async (s) => { let t = ''; for await (const c of s) t += c; return t; });
    expect(csv.split('\n')[0]).toMatch(/^time,meters-1 meter\.it\.realpower \[W\],.*chiller-plant chw\.a\.supply\.temperature/);
    expect(csv.split('\n').length).toBeGreaterThan(3);
    await shot(page, 'trends');
    await page.close();
  }, 180_000);

  it('runs a thermal-runaway drill: the rack changes stage and the alarm appears without reload; the operator acknowledges it', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await login(page, 'operator');
    await page.evaluate(() => { (window as unknown as { loadMark: string }).loadMark = 'same-page'; });
    await view(page, 'drills');
    await page.waitForSelector('#drill-scenario option[value="thermal-runaway-fast"]', { state: 'attached' });
    await page.selectOption('#drill-scenario', 'thermal-runaway-fast');
    await page.selectOption('#drill-zone', 'z1');
    await page.click('#drill-start');
    await page.waitForSelector('#drill-msg:has-text("started")');
    await page.waitForSelector('#drill-list [data-state="running"]');

    await view(page, 'battery');
    await page.waitForSelector('#rack-grid [data-rack="BR1-R03"].stage', { timeout: 120_000 }).catch((err: Error) => {
      const z = demo.server.ops.fire.get('sim1', 'z1');
      const rack = demo.sim.truth().rooms?.find((r) => r.id === 'BR1')?.racks.find((k) => k.index === 3);
      throw new Error(`${err.message}\nzone z1: stage ${z?.stage}, racks ${JSON.stringify(z?.racks)}, affected ${JSON.stringify((z?.state as { affectedRacks?: unknown } | undefined)?.affectedRacks)}; simulated rack BR1-R03 ${JSON.stringify(rack)?.slice(0, 300)}`);
    });
    expect(await page.textContent('#rack-grid [data-rack="BR1-R03"]')).toMatch(/Stage [0-5]/);
    expect(await page.textContent('#next-step')).toMatch(/Stage [0-5]/);
    await shot(page, 'battery-room-drill');

    await view(page, 'alarms');
    const row = page.locator('#alarm-table tbody tr[data-state="UNACK"], #alarm-table tbody tr[data-state="LATCH_UNACK"]').filter({ hasText: 'z1' }).filter({ has: page.locator('.prio.P1') }).first();
    await row.waitFor({ timeout: 60_000 });
    expect(await page.locator('#banner').isVisible()).toBe(true);
    await shot(page, 'alarms');
    const id = await row.getAttribute('data-alarm-id');
    await row.locator('button:has-text("Acknowledge")').click();
    await page.waitForSelector(`#alarm-table tr[data-alarm-id="${id}"]:is([data-state="ACKED"], [data-state="LATCH_ACK"], [data-state="NORM"])`, { timeout: 60_000 });
    expect(await page.evaluate(() => (window as unknown as { loadMark?: string }).loadMark)).toBe('same-page');

    await view(page, 'incidents');
    await page.waitForSelector('#incident-list tr[data-incident]', { timeout: 30_000 });
    await page.locator('#incident-list tr[data-incident] a').first().click();
    await page.waitForFunction(() => [...document.querySelectorAll('#incident-detail ol.timeline li')].some((li) => /\[stage\] \S/.test(li.textContent ?? '')));
    await shot(page, 'incidents');
    await view(page, 'drills');
    await page.locator('#drill-list tr[data-drill] a').first().click();
    await page.waitForSelector('#drill-report h2:has-text("thermal-runaway-fast")');
    await shot(page, 'drills');
    await page.close();
  }, 240_000);

  it('refuses a viewer in the interface and in the API', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await login(page, 'viewer');
    await view(page, 'alarms');
    await page.waitForSelector('#alarm-table tbody tr[data-alarm-id]', { timeout: 30_000 });
    expect(await page.locator('#alarm-table button:has-text("Acknowledge")').count()).toBe(0);
    const alarmId = await page.locator('#alarm-table tbody tr[data-alarm-id]').first().getAttribute('data-alarm-id');
    await view(page, 'drills');
    expect(await page.locator('#drill-start').isDisabled()).toBe(true);
    const statuses = await page.evaluate(async (aid) => {
      const post = (p: string, body: unknown) => fetch(p, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);
      return { ack: await post(`/api/alarms/${aid}/ack`, {}), drill: await post('/api/drills', { scenario: 'thermal-runaway-fast' }), data: (await fetch('/api/sites').then((r) => r.status)) };
    }, alarmId);
    expect(statuses).toEqual({ ack: 403, drill: 403, data: 200 });
    await page.close();
  }, 60_000);
});
