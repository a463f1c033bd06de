// The volunteers' and leaders' console pages in headless Chromium against the real server: on a
// 360 px phone a volunteer signs in with their phone number, signs up for an activity, checks
// in with the code the leader's page shows, and opens their certificate; the leader records a
// member without a phone and completes the order with the hours pre-filled from attendance,
// checked through the JSON API; axe-core on every page in both languages. Screenshots go to
// artifacts/volunteer-*.png.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, launchBrowser, api, artifact } = require('./harness');

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'zh-CN' };
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

async function ok(method, path, body, token, want) {
  const r = await A.call(method, path, body, token && `Bearer ${token}`);
  assert.equal(r.status, want, `${method} ${path}: ${r.text}`);
  return r.body;
}

/** A time as a `datetime-local` value in Asia/Shanghai. */
function local(d) {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(d).replace(' ', 'T');
}

async function makeCrew() {
  const admin = await A.admin();
  const stations = (await ok('GET', '/api/v1/stations', undefined, null, 200)).items;
  const station = stations.find((s) => s.township_codes.includes('xini'));
  const dept = (await ok('GET', '/api/v1/departments', undefined, null, 200)).items.find((d) => d.code === 'nongmu');
  const team = await ok('POST', '/api/v1/teams', { name: '锡尼镇农牧科技服务队', theme_codes: ['farming_herding'] }, admin, 201);
  const members = [];
  for (const name of ['其木格', '巴特尔']) {
    const phone = `136${String((Date.now() + n++) % 1e8).padStart(8, '0')}`;
    const v = await ok('POST', '/api/v1/volunteers', { real_name: name, phone, township: 'xini', password: PASSWORD }, null, 201);
    await ok('POST', `/api/v1/volunteers/${v.id}/approve`, {}, admin, 200);
    await ok('POST', `/api/v1/teams/${team.id}/members`, { volunteer_id: v.id }, admin, 201);
    members.push({ id: v.id, phone, name });
  }
  const leader = `leader${Date.now() % 1e6}`;
  await ok('POST', '/api/v1/users', {
    username: leader, password: PASSWORD, role: 'team_leader', display_name: '队长 乌日娜', team_id: team.id,
  }, admin, 201);
  const department = await A.user('department_staff', { department_id: dept.id });
  return {
    admin, station, departmentId: dept.id, department, teamId: team.id, members,
    leader, leaderToken: await A.login(leader, PASSWORD),
  };
}

/** An order claimed by the crew's team; returns its id. */
async function claimed(description) {
  const o = await ok('POST', '/api/v1/orders', {
    theme: 'farming_herding', description, township: 'xini', contact_name: '巴特尔',
    contact_phone: '13812345678', expected_attendees: 30,
  }, null, 201);
  await ok('POST', `/api/v1/orders/${o.id}/dispatch`, { department_id: crew.departmentId }, crew.admin, 200);
  await ok('POST', `/api/v1/orders/${o.id}/accept`, {}, crew.department, 200);
  await ok('POST', `/api/v1/orders/${o.id}/claim`, {}, crew.leaderToken, 200);
  return o.id;
}

/** A browser context signed in to the console as `username`. */
async function signedIn(username, options = PHONE) {
  const context = await browser.newContext({ ...options, baseURL: server.base });
  const page = await context.newPage();
  await page.goto('/console/login');
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/console\/(orders|me)/), page.click('button[type=submit].primary')]);
  return { context, page };
}

async function noSidewaysScroll(page, name) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow}px`);
}

test('a volunteer signs up, checks in with the leader\'s code and opens their certificate; the leader completes with hours from attendance', async () => {
  const [anna, bat] = crew.members;
  // Anna's earlier service, confirmed: it is what her certificate shows.
  const earlier = await claimed('上次的羊疫苗讲座');
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  await ok('POST', `/api/v1/orders/${earlier}/complete`, {
    served_on: today, attendees: 20, summary: '讲解完成', hours: [{ volunteer_id: anna.id, hours: 3 }],
  }, crew.leaderToken, 200);
  const records = (await ok('GET', `/api/v1/service-records?order_id=${earlier}`, undefined, crew.admin, 200)).items;
  await ok('POST', `/api/v1/service-records/${records[0].id}/confirm`, {}, crew.admin, 200);

  const id = await claimed('请来讲讲羊的疫苗接种，牧民大约三十人');
  // The leader, on a phone, schedules the activity: it began two hours ago and ends in one.
  const l = await signedIn(crew.leader);
  await l.page.goto('/console/activities');
  await Promise.all([l.page.waitForURL(new RegExp(`/console/activities/${id}`)), l.page.click(`a[href="/console/activities/${id}#schedule"]`)]);
  const start = new Date(Date.now() - 2 * 3600e3);
  await l.page.fill('#starts_at', local(start));
  await l.page.fill('#ends_at', local(new Date(Date.now() + 3600e3)));
  await l.page.fill('#place', '锡尼镇嘎查文化室');
  await l.page.fill('#slots', '5');
  await l.page.fill('#note', '请带上防疫手册');
  await Promise.all([l.page.waitForURL(/done=scheduled/), l.page.click('#schedule button')]);

  // Anna on her phone: signs in with her number as she types it, finds the activity, signs up.
  const v = await signedIn(`${anna.phone.slice(0, 3)} ${anna.phone.slice(3, 7)} ${anna.phone.slice(7)}`);
  assert.match(v.page.url(), /\/console\/me$/);
  await v.page.click('a[href="/console/activities"]');
  await v.page.click(`a[href="/console/activities/${id}"]`);
  await Promise.all([v.page.waitForURL(/done=signed_up/), v.page.click('#f-signup button')]);
  assert.match(await v.page.textContent('#notice'), /报名成功/);

  // The leader shows a new code, large, with its QR code.
  await l.page.goto(`/console/activities/${id}`);
  await Promise.all([l.page.waitForURL(/code=\d{6}/), l.page.click('#f-code button')]);
  const code = (await l.page.textContent('#big-code')).trim();
  assert.match(code, /^\d{6}$/);
  assert.ok(await l.page.isVisible('img.qr'));
  await l.page.screenshot({ path: artifact('volunteer-leader-code-360.png'), fullPage: true });
  await noSidewaysScroll(l.page, 'the leader\'s code page');

  // Anna types the code and checks in, then out.
  await v.page.fill('#in-code', code);
  await Promise.all([v.page.waitForURL(/done=checked_in/), v.page.click('#f-check-in button')]);
  assert.match(await v.page.textContent('#notice'), /签到成功/);
  await v.page.screenshot({ path: artifact('volunteer-checked-in-360.png'), fullPage: true });
  await v.page.fill('#out-code', code);
  await Promise.all([v.page.waitForURL(/done=checked_out/), v.page.click('#f-check-out button')]);
  const row = (await ok('GET', `/api/v1/orders/${id}/activity`, undefined, crew.admin, 200)).roster
    .find((r) => r.volunteer_id === anna.id);
  assert.equal(row.source, 'attendance');
  assert.ok(row.checked_in_at && row.checked_out_at);

  // Bat has no phone: the leader records his time, which the complete form then carries.
  await l.page.goto(`/console/activities/${id}`);
  await l.page.selectOption('#att-volunteer', bat.id);
  await l.page.fill('#checked_in_at', local(start));
  await l.page.fill('#checked_out_at', local(new Date(start.getTime() + 1.5 * 3600e3)));
  await Promise.all([l.page.waitForURL(/done=attendance/), l.page.click('#attendance button')]);
  assert.match(await l.page.textContent('#roster'), /巴特尔/);
  await l.page.click('a[href="/console/orders/' + id + '"]');
  assert.ok(await l.page.isVisible('#prefilled'));
  assert.equal(await l.page.inputValue(`#h-${bat.id}`), '1.5');
  await l.page.fill('#complete-attendees', '31');
  await l.page.fill('#complete-summary', '讲解了羊的疫苗接种，发放了防疫手册。');
  await l.page.screenshot({ path: artifact('volunteer-leader-complete-360.png'), fullPage: true });
  await noSidewaysScroll(l.page, 'the order page');
  await Promise.all([l.page.waitForURL(/done=1/), l.page.click('#f-complete button')]);
  const filed = (await ok('GET', `/api/v1/service-records?order_id=${id}`, undefined, crew.admin, 200)).items;
  assert.deepEqual(filed.map((r) => [r.volunteer_id, r.hours, r.source]), [[bat.id, 1.5, 'attendance']]);
  assert.equal((await A.order(id)).state, 'completed');

  // Anna's page: her hours and her certificate, printable, with its code and /verify link.
  await v.page.goto('/console/me');
  assert.equal((await v.page.textContent('#confirmed-hours')).trim(), '3');
  await v.page.screenshot({ path: artifact('volunteer-me-360.png'), fullPage: true });
  await noSidewaysScroll(v.page, 'the volunteer\'s page');
  await Promise.all([v.page.waitForURL(/\/console\/me\/certificate/), v.page.click('#certificate button')]);
  assert.equal((await v.page.textContent('#cert-hours')).trim(), '3');
  const certCode = (await v.page.textContent('#cert-code')).trim();
  const verify = await A.call('GET', `/verify/${certCode}`);
  assert.equal(verify.status, 200);
  await v.page.screenshot({ path: artifact('volunteer-certificate-360.png'), fullPage: true });
  await noSidewaysScroll(v.page, 'the certificate');
  await v.context.close();
  await l.context.close();
});

test('the volunteers\' and leaders\' pages pass axe in both languages and ask no other host', async () => {
  const axeSource = fs.readFileSync(require.resolve('axe-core'), 'utf8');
  const id = await claimed('讲讲手机防诈骗');
  const [anna] = crew.members;
  // An activity with Anna signed up, and an invitation waiting for her.
  const start = new Date(Date.now() + 3600e3);
  await ok('PUT', `/api/v1/orders/${id}/activity`, {
    starts_at: start.toISOString(), ends_at: new Date(start.getTime() + 2 * 3600e3).toISOString(),
    place: '学校礼堂', slots: 3, note: '八点集合',
  }, crew.leaderToken, 200);
  const annaToken = await A.login(anna.phone, PASSWORD);
  await ok('POST', `/api/v1/orders/${id}/activity/signup`, undefined, annaToken, 201);
  const other = await ok('POST', '/api/v1/teams', { name: '杭锦旗卫生健康服务队' }, crew.admin, 201);
  const otherLeader = await A.user('team_leader', { team_id: other.id });
  await ok('POST', `/api/v1/teams/${other.id}/members`, { volunteer_id: anna.id }, otherLeader, 202);
  const code = (await ok('POST', `/api/v1/orders/${id}/activity/code`, undefined, crew.leaderToken, 200)).code;

  const roles = [
    ['volunteer', anna.phone, ['/console/me', '/console/activities', `/console/activities/${id}`,
      `/console/activities/${id}/check-in?code=${code}`, `/console/activities/${id}/withdraw`, '/console/me/certificate']],
    ['leader', crew.leader, ['/console/activities', `/console/activities/${id}?code=${code}`, `/console/orders/${id}`]],
  ];
  for (const [role, username, paths] of roles) {
    for (const [w, h] of [[360, 740], [1280, 900]]) {
      const options = { viewport: { width: w, height: h }, locale: 'zh-CN', bypassCSP: true };
      const { context, page } = await signedIn(username, options);
      const hosts = new Set();
      context.on('request', (r) => { const u = new URL(r.url()); if (u.protocol !== 'data:') hosts.add(u.origin); });
      for (const path of paths) {
        for (const lang of ['zh', 'en']) {
          await page.goto(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
          await page.waitForLoadState('networkidle');
          const name = `${role}${path.replace(/\?.*/, '').replace(/[0-9a-f-]{36}/, 'order').replace(/[^a-z]+/g, '-')}-${lang}-${w}`;
          await noSidewaysScroll(page, name);
          await page.addScriptTag({ content: axeSource });
          const result = await page.evaluate(() => window.axe.run(document, {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          }));
          const problems = result.violations.map((v) => `${v.id}: ${v.nodes.map((x) => x.target.join(' ')).join(', ')}`);
          assert.deepEqual(problems, [], `${name}: accessibility violations`);
          if (lang === 'en' || w === 360) await page.screenshot({ path: artifact(`volunteer-${name}.png`), fullPage: true });
        }
      }
      assert.deepEqual([...hosts], [server.base], 'no request to any other host');
      await context.close();
    }
  }
});
