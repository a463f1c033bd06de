// The resident's phone, in headless Chromium against the real server: post, follow, cancel and
// rate an order with and without JavaScript, online and offline; the volunteer sign-up; the
// byte budget, foreign hosts, accessibility and small screens.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, launchBrowser, api, fillOrder, artifact, sleep } = require('./harness');

const PHONE = {
  viewport: { width: 360, height: 640 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'zh-CN',
};
const BUDGET = 30 * 1024;
let server, browser, A, cast;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  A = api(server.base);
  cast = await A.cast();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function phone(options = {}) {
  const context = await browser.newContext({ ...PHONE, baseURL: server.base, ...options });
  const page = await context.newPage();
  return { context, page };
}

const CODE = /^[23456789A-HJ-NP-Z]{8}$/;

async function submitWithScript(page, description) {
  await page.goto('/');
  await fillOrder(page, { description });
  await Promise.all([page.waitForURL(/\/done\/[A-Z0-9]{8}$/), page.click('#send')]);
  const code = (await page.textContent('#code')).trim();
  assert.match(code, CODE);
  return code;
}

async function outbox(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('kepu.outbox') || '[]'));
}

async function stored(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem('kepu.orders') || '[]'));
}

test('a resident submits with JavaScript, sees the code, and finds it under my requests', async () => {
  const { context, page } = await phone();
  await page.goto('/');
  // Nothing filled in: the browser-side check answers by the fields, nothing is sent.
  let posted = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/orders')) posted++; });
  await page.click('#send');
  assert.equal((await page.textContent('#e-theme')).trim(), '必填');
  assert.equal((await page.textContent('#e-contact_phone')).trim(), '必填');
  await page.fill('#contact_phone', '12345');
  await page.click('#send');
  assert.match(await page.textContent('#e-contact_phone'), /11位手机号码/);
  assert.equal(posted, 0);
  assert.equal(new URL(page.url()).pathname, '/');

  const code = await submitWithScript(page, '请来讲讲春季接羔的注意事项');
  assert.match(await page.textContent('main'), /请记下或截图保存/);
  const mine = await stored(page);
  assert.equal(mine[0].code, code);
  assert.ok(mine[0].token && mine[0].id, 'the phone keeps the resident token and order id');
  await page.goto('/');
  assert.ok(await page.locator(`#mine a[href="/t/${code}"]`).isVisible(), 'listed under my requests');
  const order = (await A.orders()).find((o) => o.tracking_code === code);
  assert.equal(order.description, '请来讲讲春季接羔的注意事项');
  assert.equal(order.contact_phone, '13922223333');
  await context.close();
});

test('with JavaScript off, the form posts, errors come back by the field, and cancel works', async () => {
  const { context, page } = await phone({ javaScriptEnabled: false });
  await page.goto('/');
  await fillOrder(page, { description: '无脚本：请讲讲防火知识', phone: '12345' });
  await Promise.all([page.waitForURL(/\?lang=zh$/), page.click('#send')]);
  // The server refused the phone and kept everything typed.
  assert.match(await page.textContent('#e-contact_phone'), /11位手机号码/);
  assert.equal(await page.inputValue('#description'), '无脚本：请讲讲防火知识');
  assert.equal(await page.inputValue('#contact_name'), '王大妈');
  assert.ok(await page.isChecked('input[name=theme][value=health]'));
  assert.match(await page.textContent('#notice'), /内容都还在/);

  await page.fill('#contact_phone', '13922223333');
  await Promise.all([page.waitForURL(/\/done\//), page.click('#send')]);
  const code = (await page.textContent('#code')).trim();
  assert.match(code, CODE);
  const orders = (await A.orders()).filter((o) => o.description === '无脚本：请讲讲防火知识');
  assert.equal(orders.length, 1);

  await page.click(`a[href="/t/${code}"]`);
  assert.match(await page.textContent('#state'), /已点单/);
  assert.ok(await page.locator('#act').isVisible(), 'this phone may act on its order');
  await page.fill('#reason', '已经解决了');
  await Promise.all([page.waitForURL(/\?m=cancelled$/), page.click('#cancel button')]);
  assert.match(await page.textContent('#state'), /已取消/);
  assert.equal((await A.order(orders[0].id)).state, 'cancelled');
  await context.close();
});

test('offline: the page opens from the service worker, a submit is saved and sent once the signal is back', async () => {
  const { context, page } = await phone();
  await page.goto('/');
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);

  await context.setOffline(true);
  await page.reload();
  assert.ok(await page.locator('#order').isVisible(), 'the form opens without signal');
  const description = `离线提交 ${Date.now()}`;
  await fillOrder(page, { description });
  await page.click('#send');
  await page.waitForFunction(() => /已保存，有信号后自动提交/.test(document.getElementById('notice').textContent));
  assert.equal((await outbox(page)).length, 1);
  assert.match(await page.textContent('#mine'), /待发送/);
  assert.equal((await A.orders()).filter((o) => o.description === description).length, 0);
  // Tapping send again with the same content does not make a second submission.
  await fillOrder(page, { description });
  await page.click('#send');
  await page.waitForFunction(() => /已保存/.test(document.getElementById('notice').textContent));
  assert.equal((await outbox(page)).length, 1);

  await context.setOffline(false);
  await page.waitForURL(/\/done\//, { timeout: 40000 });
  const code = (await page.textContent('#code')).trim();
  const sent = (await A.orders()).filter((o) => o.description === description);
  assert.equal(sent.length, 1, 'exactly one order');
  assert.equal(sent[0].tracking_code, code);
  assert.equal((await outbox(page)).length, 0);
  await context.close();
});

test('a retry after a lost answer returns the order the first attempt made, never a second one', async () => {
  const { context, page } = await phone({ serviceWorkers: 'block' });
  let reached = 0;
  await page.route('**/api/v1/orders', async (route) => {
    await route.fetch(); // the server stores the order ...
    reached++;
    await route.abort('internetdisconnected'); // ... and the answer never arrives
  });
  await page.goto('/');
  const description = `回答丢失 ${Date.now()}`;
  await fillOrder(page, { description });
  await page.click('#send');
  await page.waitForFunction(() => /已保存/.test(document.getElementById('notice').textContent));
  assert.equal(reached, 1);
  const first = (await A.orders()).filter((o) => o.description === description);
  assert.equal(first.length, 1, 'the first attempt did reach the server');

  await page.unroute('**/api/v1/orders');
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForURL(/\/done\//, { timeout: 40000 });
  const code = (await page.textContent('#code')).trim();
  const all = (await A.orders()).filter((o) => o.description === description);
  assert.equal(all.length, 1, 'still exactly one order');
  assert.equal(all[0].tracking_code, code, 'the retry got the original order back');
  await context.close();
});

test('the resident cancels with JavaScript, and rates an order the staff completed', async () => {
  const { context, page } = await phone();
  const first = await submitWithScript(page, '请来讲讲饲草料储备');
  await page.goto(`/t/${first}`);
  assert.ok(await page.locator('#act').isVisible());
  await Promise.all([page.waitForURL(/\?m=cancelled$/), page.click('#cancel button')]);
  assert.match(await page.textContent('#state'), /已取消/);
  assert.equal(await page.locator('#act').count(), 0, 'nothing left to do');

  const code = await submitWithScript(page, '请来教老人用手机挂号');
  const { id } = (await stored(page)).find((o) => o.code === code);
  await A.complete(id, cast);
  await page.goto(`/t/${code}`);
  const timeline = await page.textContent('#timeline');
  for (const step of ['已点单', '已派单', '已领单', '已接单', '已结单', '已评单']) {
    assert.ok(timeline.includes(step), `timeline shows ${step}`);
  }
  assert.match(await page.textContent('.facts'), /旗农牧局/);
  assert.doesNotMatch(await page.content(), /13922223333|王大妈/, 'no personal data');
  assert.equal(await page.locator('#cancel').count(), 0, 'a served order is not cancelled');
  await page.screenshot({ path: artifact('rate-360x640.png'), fullPage: true });
  await page.locator('label.opt', { hasText: '5星' }).click();
  await page.fill('#comment', '讲得很清楚，谢谢');
  await Promise.all([page.waitForURL(/\?m=rated$/), page.click('#rate button')]);
  assert.match(await page.textContent('#notice'), /谢谢您的评价/);
  assert.match(await page.textContent('#state'), /已评单/);
  const order = await A.order(id);
  assert.equal(order.state, 'closed');
  assert.equal(order.rating_score, 5);
  assert.equal(order.rating_comment, '讲得很清楚，谢谢');
  await context.close();
});

test('a volunteer signs up and is told what happens next', async () => {
  const { context, page } = await phone();
  await page.goto('/');
  await page.click('a[href="/volunteer"]');
  await page.fill('#real_name', '乌云其其格');
  await page.fill('#phone', '13600002222');
  await page.selectOption('#township', 'yiheusu');
  await page.fill('#skills', '兽医；会教老人用智能手机');
  await page.fill('#password', 'short');
  await page.click('#volunteer button');
  assert.match(await page.textContent('#e-password'), /至少8位/);
  assert.equal(new URL(page.url()).pathname, '/volunteer');
  await page.fill('#password', 'a-long-password');
  await Promise.all([page.waitForURL(/\/volunteer\/done$/), page.click('#volunteer button')]);
  assert.match(await page.textContent('#pending'), /等待科协审核/);
  assert.match(await page.textContent('main'), /加入一支科技志愿服务队/);
  const pending = (await A.pendingVolunteers()).filter((v) => v.real_name === '乌云其其格');
  assert.equal(pending.length, 1);
  await context.close();
});

test('the form stays within 30 KB transferred and asks no other host', async () => {
  const { context, page } = await phone();
  const hosts = new Set();
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:') hosts.add(u.origin);
  });
  const finished = [];
  page.on('requestfinished', (r) => finished.push(r));
  await page.goto('/');
  await page.waitForLoadState('networkidle');
  const figures = {};
  let total = 0;
  for (const r of finished) {
    const type = r.resourceType();
    if (!['document', 'stylesheet', 'script'].includes(type)) continue;
    const s = await r.sizes();
    const resp = await r.response();
    const bytes = s.responseBodySize + s.responseHeadersSize;
    figures[type] = {
      url: new URL(r.url()).pathname,
      body_bytes_compressed: s.responseBodySize,
      body_bytes_uncompressed: (await resp.body()).length,
      header_bytes: s.responseHeadersSize,
      encoding: resp.headers()['content-encoding'] || 'identity',
    };
    total += bytes;
  }
  figures.total_transferred_bytes = total;
  figures.budget_bytes = BUDGET;
  fs.writeFileSync(artifact('budget.json'), JSON.stringify(figures, null, 2));
  console.log('form transfer:', JSON.stringify(figures));
  for (const type of ['document', 'stylesheet', 'script']) {
    assert.ok(figures[type], `${type} loaded`);
    assert.equal(figures[type].encoding, 'gzip', `${type} is compressed`);
  }
  assert.ok(total <= BUDGET, `transferred ${total} bytes, budget ${BUDGET}`);
  assert.deepEqual([...hosts], [server.base], 'no request to any other host');
  await context.close();
});

test('small screens, tap targets, labels and contrast pass, in both languages', async () => {
  const axeSource = fs.readFileSync(require.resolve('axe-core'), 'utf8');
  const { context: c1, page: p1 } = await phone();
  const code = await submitWithScript(p1, '请来讲讲手机防诈骗');
  await c1.close();
  const pages = [['form', '/'], ['track', `/t/${code}`], ['volunteer', '/volunteer'],
    ['done', `/done/${code}`], ['form-en', '/?lang=en']];
  for (const [w, h] of [[360, 640], [320, 568]]) {
    // bypassCSP only so the test can inject axe; the pages themselves are unchanged.
    const { context, page } = await phone({ viewport: { width: w, height: h }, bypassCSP: true });
    for (const [name, url] of pages) {
      await page.goto(url);
      await page.screenshot({ path: artifact(`${name}-${w}x${h}.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} at ${w}px scrolls sideways by ${overflow}px`);
      const small = await page.evaluate(() => {
        const els = document.querySelectorAll('a, button, select, textarea, input:not([type=hidden]):not([type=radio]), label.opt');
        return Array.from(els).filter((e) => {
          const r = e.getBoundingClientRect();
          return r.width > 0 && r.height > 0 && (r.height < 44 || r.width < 44);
        }).map((e) => `${e.tagName}#${e.id} ${e.textContent.trim().slice(0, 20)}`);
      });
      assert.deepEqual(small, [], `${name} at ${w}px: tap targets under 44 px`);
      const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
        .filter((e) => !e.labels || e.labels.length === 0).map((e) => e.name));
      assert.deepEqual(unlabelled, [], `${name}: every input has a label`);
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(() => window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      }));
      const problems = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      assert.deepEqual(problems, [], `${name} at ${w}px: accessibility violations`);
    }
    await context.close();
  }
  const { context, page } = await phone();
  await page.goto('/');
  await page.click('header .lang');
  assert.match(await page.textContent('h1'), /Request a science service/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.goto('/volunteer');
  assert.match(await page.textContent('h1'), /volunteer sign-up/i, 'the choice is remembered');
  await context.close();
});

// Last: the villages it adds would change the measured form of the budget test.
test('choosing a township offers only its villages', async () => {
  const wulan = await A.village('balagong', '乌兰嘎查');
  await A.village('xini', '阿日善嘎查');
  const { context, page } = await phone();
  await page.goto('/');
  assert.equal(await page.locator('#f-village').isVisible(), false, 'no township, no village list');
  await page.selectOption('#township', 'balagong');
  assert.ok(await page.locator('#f-village').isVisible());
  const offered = await page.evaluate(() => Array.from(document.querySelectorAll('#village optgroup'))
    .filter((g) => !g.disabled).map((g) => g.label));
  assert.deepEqual(offered, ['巴拉贡镇']);
  await fillOrder(page, { description: '请来讲讲沙葱种植' });
  await page.selectOption('#township', 'balagong');
  await page.selectOption('#village', wulan);
  await Promise.all([page.waitForURL(/\/done\//), page.click('#send')]);
  const order = (await A.orders()).find((o) => o.description === '请来讲讲沙葱种植');
  assert.equal(order.village, wulan);
  await context.close();
});
