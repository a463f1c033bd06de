// The staff console in headless Chromium against the real server: one order's whole life done
// in the console alone (station clerk at 1280 px, department officer, team leader on a 360 px
// phone, hours confirmed by the department), checked afterwards through the JSON API; bulk
// dispatch; a stale page refused with its message; dispatch by keyboard alone; axe-core on
// every page in both languages; the page weight and no other host. Screenshots go to
// artifacts/console-*.png.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, launchBrowser, api, artifact } = require('./harness');

const DESK = { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' };
const PHONE = { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
const BUDGET = 60 * 1024;
const PASSWORD = 'password-123';
let server, browser, A, crew;
let n = 0;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  A = api(server.base);
  crew = await makeCrew();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Creates an account and returns its username. */
async function account(role, scope, display) {
  const username = `${role.split('_')[0]}${Date.now() % 1e6}${n++}`;
  const r = await A.call('POST', '/api/v1/users', {
    username, password: PASSWORD, role, display_name: display, ...scope,
  }, `Bearer ${await A.admin()}`);
  assert.equal(r.status, 201, r.text);
  return username;
}

async function makeCrew() {
  const admin = `Bearer ${await A.admin()}`;
  const stations = (await A.call('GET', '/api/v1/stations')).body.items;
  const station = stations.find((s) => s.township_codes.includes('xini'));
  const dept = (await A.call('GET', '/api/v1/departments')).body.items.find((d) => d.code === 'nongmu');
  const team = (await A.call('POST', '/api/v1/teams', { name: '锡尼镇农牧科技服务队', theme_codes: ['farming_herding'] }, admin)).body;
  const members = [];
  for (const name of ['其木格', '巴特尔']) {
    const phone = `136${String((Date.now() + n++) % 1e8).padStart(8, '0')}`;
    const v = (await A.call('POST', '/api/v1/volunteers', { real_name: name, phone, township: 'xini', password: PASSWORD })).body;
    await A.call('POST', `/api/v1/volunteers/${v.id}/approve`, {}, admin);
    await A.call('POST', `/api/v1/teams/${team.id}/members`, { volunteer_id: v.id }, admin);
    members.push(v.id);
  }
  return {
    station: await account('station_staff', { station_id: station.id }, '锡尼镇实践站 王芳'),
    department: await account('department_staff', { department_id: dept.id }, '农牧局 李强'),
    leader: await account('team_leader', { team_id: team.id }, '队长 乌日娜'),
    departmentId: dept.id,
    teamId: team.id,
    members,
  };
}

async function submit(description) {
  const r = await A.call('POST', '/api/v1/orders', {
    theme: 'farming_herding', description, township: 'xini', contact_name: '巴特尔',
    contact_phone: '13812345678', expected_attendees: 30,
  });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

/** A browser context signed in to the console as `username`. */
async function signedIn(username, options = DESK) {
  const context = await browser.newContext({ ...options, baseURL: server.base });
  const page = await context.newPage();
  await page.goto('/console/login');
  await page.fill('#username', username);
  await page.fill('#password', username === 'admin' ? 'browser-tests-admin-1' : PASSWORD);
  await Promise.all([page.waitForURL(/\/console\/(orders|me)/), page.click('button[type=submit].primary')]);
  return { context, page };
}

test('one order lives its whole life in the console, checked through the API', async () => {
  const id = await submit('请来讲讲羊的疫苗接种，牧民大约三十人');
  // Station clerk at the desk: the queue, the order, dispatch to the suggested department.
  const s = await signedIn(crew.station);
  await s.page.goto('/console/orders');
  await s.page.screenshot({ path: artifact('console-queue-1280.png'), fullPage: true });
  await s.page.click(`a[href="/console/orders/${id}"]`);
  assert.match(await s.page.textContent('#phone'), /13812345678/);
  await s.page.selectOption('#dispatch-department', crew.departmentId);
  await s.page.screenshot({ path: artifact('console-order-station-1280.png'), fullPage: true });
  await Promise.all([s.page.waitForURL(/done=1/), s.page.click('#f-dispatch button')]);
  assert.match(await s.page.textContent('#notice'), /已办理/);
  await s.context.close();

  // Department officer: accept, offering it to the theme's team only.
  const d = await signedIn(crew.department);
  await d.page.goto(`/console/orders/${id}`);
  await d.page.check('#offer-chosen');
  await d.page.check(`input[name=team_ids][value="${crew.teamId}"]`);
  await Promise.all([d.page.waitForURL(/done=1/), d.page.click('#f-accept button')]);

  // Team leader on a phone: claim with a planned date, complete with the hours table.
  const l = await signedIn(crew.leader, PHONE);
  await l.page.goto('/console/orders');
  await l.page.screenshot({ path: artifact('console-queue-leader-360.png'), fullPage: true });
  await l.page.click(`a[href="/console/orders/${id}"]`);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  await l.page.fill('#claim-planned_date', today);
  await Promise.all([l.page.waitForURL(/done=1/), l.page.click('#f-claim button')]);
  await l.page.fill('#complete-attendees', '32');
  await l.page.fill('#complete-summary', '讲解了春季羊的疫苗接种和驱虫，发放了资料。');
  await l.page.fill(`#h-${crew.members[0]}`, '2.5');
  await l.page.fill(`#h-${crew.members[1]}`, '2');
  await l.page.screenshot({ path: artifact('console-complete-360.png'), fullPage: true });
  const overflow = await l.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the order page scrolls sideways by ${overflow}px at 360 px`);
  await Promise.all([l.page.waitForURL(/done=1/), l.page.click('#f-complete button')]);
  await l.context.close();

  // The department confirms the hours, all at once.
  await d.page.goto('/console/hours');
  await d.page.screenshot({ path: artifact('console-hours-1280.png'), fullPage: true });
  await d.page.check('[data-select-all] input');
  await Promise.all([d.page.waitForURL(/done=2-0/), d.page.click('button[value=confirm]')]);
  await d.context.close();

  // Through the API: completed, the chain verified, both members' hours confirmed.
  const order = await A.order(id);
  assert.equal(order.state, 'completed');
  assert.equal(order.attendees, 32);
  const admin = `Bearer ${await A.admin()}`;
  const events = (await A.call('GET', `/api/v1/orders/${id}/events`, undefined, admin)).body;
  assert.equal(events.chain_valid, true);
  assert.deepEqual(events.items.map((e) => e.action), ['submit', 'dispatch', 'accept', 'claim', 'complete']);
  const hours = (await A.call('GET', `/api/v1/volunteers/${crew.members[0]}/hours`, undefined, admin)).body;
  assert.equal(hours.confirmed_hours, 2.5);
});

test('bulk dispatch, and a stale page refused with its message', async () => {
  const ids = [await submit('讲讲草场防火'), await submit('讲讲牛羊驱虫')];
  const s = await signedIn(crew.station);
  await s.page.goto('/console/orders?state=submitted');
  for (const id of ids) await s.page.check(`input[name=order][value^="${id}."]`);
  await s.page.selectOption('#bulk-department', crew.departmentId);
  await Promise.all([s.page.waitForURL(/done=2-0/), s.page.click('#bulk button[type=submit]')]);
  for (const id of ids) assert.equal((await A.order(id)).state, 'dispatched');

  const stale = await submit('讲讲冬季储草');
  await s.page.goto(`/console/orders/${stale}`);
  const station = await A.login(crew.station, PASSWORD);
  const r = await A.call('POST', `/api/v1/orders/${stale}/dispatch`, { department_id: crew.departmentId }, `Bearer ${station}`);
  assert.equal(r.status, 200);
  await s.page.fill('#reject-reason', '重复点单');
  await s.page.click('#f-reject button');
  assert.match(await s.page.textContent('#notice'), /其他人已经处理了这个订单/);
  assert.equal((await A.order(stale)).state, 'dispatched');
  await s.page.screenshot({ path: artifact('console-stale-1280.png'), fullPage: true });
  await s.context.close();
});

test('dispatch with the keyboard alone', async () => {
  const id = await submit('讲讲牧区用电安全');
  const s = await signedIn(crew.station);
  await s.page.goto(`/console/orders/${id}`);
  await s.page.keyboard.press('Tab');
  assert.equal(await s.page.evaluate(() => document.activeElement.className), 'skip', 'the first stop skips to the content');
  // Tab to the department list, choose with the keyboard, tab to the button and press Enter.
  for (let i = 0; i < 60; i++) {
    await s.page.keyboard.press('Tab');
    if (await s.page.evaluate(() => document.activeElement.id) === 'dispatch-department') break;
  }
  assert.equal(await s.page.evaluate(() => document.activeElement.id), 'dispatch-department');
  const value = await s.page.evaluate((dept) => {
    const sel = document.activeElement;
    return Array.from(sel.options).findIndex((o) => o.value === dept);
  }, crew.departmentId);
  await s.page.selectOption('#dispatch-department', { index: value });
  await s.page.keyboard.press('Tab');
  await s.page.keyboard.press('Tab');
  assert.equal(await s.page.evaluate(() => document.activeElement.tagName), 'BUTTON');
  await Promise.all([s.page.waitForURL(/done=1/), s.page.keyboard.press('Enter')]);
  assert.equal((await A.order(id)).state, 'dispatched');
  await s.context.close();
});

test('every console page passes axe in both languages, weighs under 60 KB and asks no other host', async () => {
  const axeSource = fs.readFileSync(require.resolve('axe-core'), 'utf8');
  const id = await submit('讲讲手机防诈骗');
  const figures = {};
  const roles = [
    ['login', null, ['/console/login']],
    ['station', crew.station, ['/console/orders', `/console/orders/${id}`, '/console/orders/new', '/console/me']],
    ['department', crew.department, ['/console/hours']],
  ];
  for (const [role, username, paths] of roles) {
    for (const [w, h] of [[1280, 900], [360, 640]]) {
      const options = { viewport: { width: w, height: h }, locale: 'zh-CN', bypassCSP: true };
      let context, page;
      if (username) {
        ({ context, page } = await signedIn(username, options));
      } else {
        context = await browser.newContext({ ...options, baseURL: server.base });
        page = await context.newPage();
      }
      const hosts = new Set();
      context.on('request', (r) => { const u = new URL(r.url()); if (u.protocol !== 'data:') hosts.add(u.origin); });
      for (const path of paths) {
        for (const lang of ['zh', 'en']) {
          const sizes = [];
          page.removeAllListeners('requestfinished');
          page.on('requestfinished', (r) => sizes.push(r));
          await page.goto(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
          await page.waitForLoadState('networkidle');
          let total = 0;
          for (const r of sizes) total += (await r.sizes()).responseBodySize;
          const name = `${role}${path.replace(/[^a-z]+/g, '-').replace(/-[0-9a-f-]{30,}/, '-order')}-${lang}-${w}`;
          figures[name] = total;
          assert.ok(total <= BUDGET, `${name}: ${total} bytes compressed`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px`);
          await page.addScriptTag({ content: axeSource });
          const result = await page.evaluate(() => window.axe.run(document, {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          }));
          const problems = result.violations.map((v) => `${v.id}: ${v.nodes.map((x) => x.target.join(' ')).join(', ')}`);
          assert.deepEqual(problems, [], `${name}: accessibility violations`);
          if (lang === 'en' || w === 360) await page.screenshot({ path: artifact(`console-${name}.png`), fullPage: true });
        }
      }
      assert.deepEqual([...hosts], [server.base], 'no request to any other host');
      await context.close();
    }
  }
  fs.writeFileSync(artifact('console-sizes.json'), JSON.stringify(figures, null, 2));
  console.log('console page weights (bytes, compressed):', JSON.stringify(figures));
});
