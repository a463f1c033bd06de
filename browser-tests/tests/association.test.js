// The association's console in headless Chromium against the real server: volunteers approved
// in bulk on /console/volunteers and the count moving on the dashboard; a rejection with its
// required reason; axe-core (WCAG 2.1 A/AA) on the dashboard, volunteer review and every
// administration page in Chinese and English; no sideways scrolling at 360 px. Screenshots go
// to artifacts/association-*.png.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, launchBrowser, api, artifact } = require('./harness');

const DESK = { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' };
const PHONE = { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
let server, browser, A;
let n = 0;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  A = api(server.base);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Registers a volunteer in `township`; returns the id. */
async function register(township, realName) {
  const phone = `135${String((Date.now() + n++) % 1e8).padStart(8, '0')}`;
  const r = await A.call('POST', '/api/v1/volunteers', {
    real_name: realName, phone, township, password: 'password-123', skills: '农牧技术',
  });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

/** A browser context signed in to the console as the association. */
async function association(options = DESK) {
  const context = await browser.newContext({ ...options, baseURL: server.base });
  const page = await context.newPage();
  await page.goto('/console/login');
  await page.fill('#username', 'admin');
  await page.fill('#password', 'browser-tests-admin-1');
  await Promise.all([page.waitForURL(/\/console\/dashboard/), page.click('button[type=submit].primary')]);
  return { context, page };
}

async function approvedOnDashboard(page) {
  await page.goto('/console/dashboard');
  return Number((await page.textContent('#approved')).trim());
}

test('the association approves volunteers in bulk and sees the count move on the dashboard', async () => {
  const ids = [];
  for (const [town, name] of [['xini', '其木格'], ['balagong', '巴特尔'], ['yiheusu', '萨仁']]) {
    ids.push(await register(town, name));
  }
  const { context, page } = await association();
  const before = await approvedOnDashboard(page);
  await page.click('nav a[href="/console/volunteers"]');
  await page.waitForURL(/\/console\/volunteers/);
  // Two ticked, approved at once.
  await page.check(`#pick-${ids[0]}`);
  await page.check(`#pick-${ids[1]}`);
  await page.screenshot({ path: artifact('association-volunteers-1280.png'), fullPage: true });
  await Promise.all([page.waitForURL(/done=2-0/), page.click('#bulk button[type=submit]')]);
  assert.match(await page.textContent('#notice'), /已办理 2 个/);
  // The third rejected with a reason; without one it is refused beside the field.
  await page.click(`#v-${ids[2]} summary`);
  await page.fill(`#reason-${ids[2]}`, '  ');
  await page.evaluate((id) => { document.getElementById(`reason-${id}`).removeAttribute('required'); }, ids[2]);
  await Promise.all([page.waitForLoadState(), page.click(`#v-${ids[2]} form button`)]);
  assert.notEqual((await page.textContent(`#e-reason-${ids[2]}`)).trim(), '');
  await page.fill(`#reason-${ids[2]}`, '联系不上本人');
  await Promise.all([page.waitForURL(/done=1-0/), page.click(`#v-${ids[2]} form button`)]);

  const states = Object.fromEntries((await A.call('GET', '/api/v1/volunteers?limit=200', undefined,
    `Bearer ${await A.admin()}`)).body.items.map((v) => [v.id, v.state]));
  assert.deepEqual([states[ids[0]], states[ids[1]], states[ids[2]]], ['approved', 'approved', 'rejected']);
  assert.equal(await approvedOnDashboard(page), before + 2);
  const stats = (await A.call('GET', '/api/v1/stats/volunteers', undefined, `Bearer ${await A.admin()}`)).body;
  assert.equal(stats.approved, before + 2);
  await page.screenshot({ path: artifact('association-dashboard-1280.png'), fullPage: true });
  await context.close();
});

test('the association pages pass axe in both languages and fit a 360 px phone', async () => {
  const axeSource = fs.readFileSync(require.resolve('axe-core'), 'utf8');
  await register('xini', '乌云');
  const paths = ['/console/dashboard', '/console/dashboard?township=xini', '/console/volunteers',
    '/console/volunteers?state=approved', '/console/admin', '/console/admin/users',
    '/console/admin/stations', '/console/admin/departments', '/console/admin/teams',
    '/console/admin/villages', '/console/admin/mail'];
  for (const options of [DESK, PHONE]) {
    const w = options.viewport.width;
    const { context, page } = await association({ ...options, bypassCSP: true });
    const hosts = new Set();
    context.on('request', (r) => { const u = new URL(r.url()); if (u.protocol !== 'data:') hosts.add(u.origin); });
    for (const path of paths) {
      for (const lang of ['zh', 'en']) {
        await page.goto(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
        await page.waitForLoadState('networkidle');
        const name = `${path.replace(/[^a-z]+/g, '-').replace(/^-|-$/g, '')}-${lang}-${w}`;
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px`);
        await page.addScriptTag({ content: axeSource });
        const result = await page.evaluate(() => window.axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        }));
        const problems = result.violations.map((v) => `${v.id}: ${v.nodes.map((x) => x.target.join(' ')).join(', ')}`);
        assert.deepEqual(problems, [], `${name}: accessibility violations`);
        if (path === '/console/dashboard' || (lang === 'zh' && w === 360)) {
          await page.screenshot({ path: artifact(`association-${name}.png`), fullPage: true });
        }
      }
    }
    assert.deepEqual([...hosts], [server.base], 'no request to any other host');
    await context.close();
  }
});
