// Shared by the browser tests: starts the real `kepu` binary on a fresh SQLite database and a
// free port, launches the Debian Chromium through playwright-core, and speaks to the JSON API
// as the association admin and staff to move orders along.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const REPO = process.env.KEPU_REPO_ROOT || path.resolve(__dirname, '..', '..');
const BIN = process.env.KEPU_BIN || path.join(REPO, 'target', 'debug', 'kepu');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ADMIN_PASSWORD = 'browser-tests-admin-1';
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the server and waits for /readyz; returns { base, stop }. */
async function startServer() {
  if (!fs.existsSync(BIN)) throw new Error(`kepu binary not found at ${BIN}; run cargo build --bin kepu`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kepu-browser-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(dir, 'server.log'), 'w');
  const child = spawn(BIN, ['serve'], {
    env: {
      ...process.env,
      KEPU_DATABASE_URL: `sqlite://${dir}/kepu.db?mode=rwc`,
      KEPU_LISTEN: `127.0.0.1:${port}`,
      KEPU_ADMIN_PASSWORD: ADMIN_PASSWORD,
      KEPU_RATE_LIMIT: '0',
      KEPU_ENV: 'dev',
      RUST_LOG: 'warn',
    },
    stdio: ['ignore', log, log],
  });
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  for (let i = 0; i < 300; i++) {
    if (exited !== null) {
      throw new Error(`kepu exited with ${exited}:\n${fs.readFileSync(path.join(dir, 'server.log'), 'utf8')}`);
    }
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) break;
    } catch (_) { /* not listening yet */ }
    await sleep(100);
  }
  return {
    base,
    async stop() {
      if (exited === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([done, sleep(5000)]);
        if (exited === null) child.kill('SIGKILL');
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A small JSON API client. */
function api(base) {
  async function call(method, p, body, auth) {
    const headers = { 'Content-Type': 'application/json' };
    if (auth) headers.Authorization = auth;
    const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch (_) { json = null; }
    return { status: r.status, body: json, text };
  }
  async function ok(method, p, body, token, want) {
    const r = await call(method, p, body, token && `Bearer ${token}`);
    if (r.status !== want) throw new Error(`${method} ${p}: ${r.status} ${r.text}`);
    return r.body;
  }
  let n = 0;
  const self = {
    call,
    async login(username, password) {
      return (await ok('POST', '/api/v1/auth/login', { username, password }, null, 200)).access_token;
    },
    async admin() {
      if (!self.adminToken) self.adminToken = await self.login('admin', ADMIN_PASSWORD);
      return self.adminToken;
    },
    async user(role, scope) {
      const username = `${role}${Date.now()}${n++}`;
      await ok('POST', '/api/v1/users', {
        username, password: 'password-123', role, display_name: '测试', ...scope,
      }, await self.admin(), 201);
      return self.login(username, 'password-123');
    },
    /** Everyone needed to move an order from submitted to completed. */
    async cast() {
      const admin = await self.admin();
      const stations = (await ok('GET', '/api/v1/stations', undefined, null, 200)).items;
      const station = stations.find((s) => s.township_codes.includes('xini'));
      const departments = (await ok('GET', '/api/v1/departments', undefined, null, 200)).items;
      const dept = departments.find((d) => d.code === 'nongmu');
      const team = await ok('POST', '/api/v1/teams', { name: `科技志愿服务队${n++}` }, admin, 201);
      const phone = `137${String(Date.now() % 1e8).padStart(8, '0')}`;
      const v = await ok('POST', '/api/v1/volunteers',
        { real_name: '志愿者', phone, township: 'xini', password: 'password-123' }, null, 201);
      await ok('POST', `/api/v1/volunteers/${v.id}/approve`, {}, admin, 200);
      await ok('POST', `/api/v1/teams/${team.id}/members`, { volunteer_id: v.id }, admin, 201);
      return {
        station: await self.user('station_staff', { station_id: station.id }),
        department: await self.user('department_staff', { department_id: dept.id }),
        departmentId: dept.id,
        leader: await self.user('team_leader', { team_id: team.id }),
        volunteer: v.id,
      };
    },
    /** Drives order `id` to completed through the API, as the staff would. */
    async complete(id, cast) {
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
      await ok('POST', `/api/v1/orders/${id}/dispatch`, { department_id: cast.departmentId }, cast.station, 200);
      await ok('POST', `/api/v1/orders/${id}/accept`, {}, cast.department, 200);
      await ok('POST', `/api/v1/orders/${id}/claim`, {}, cast.leader, 200);
      await ok('POST', `/api/v1/orders/${id}/complete`, {
        served_on: today, attendees: 12, summary: '讲解完成',
        hours: [{ volunteer_id: cast.volunteer, hours: 1.5 }],
      }, cast.leader, 200);
    },
    /** Adds a village to a township; returns its id. */
    async village(township, name) {
      return (await ok('POST', `/api/v1/townships/${township}/villages`, { name }, await self.admin(), 201)).id;
    },
    /** Every order, as the association sees them. */
    async orders() {
      return (await ok('GET', '/api/v1/orders?limit=200', undefined, await self.admin(), 200)).items;
    },
    async order(id) {
      return ok('GET', `/api/v1/orders/${id}`, undefined, await self.admin(), 200);
    },
    async pendingVolunteers() {
      return (await ok('GET', '/api/v1/volunteers?state=pending', undefined, await self.admin(), 200)).items;
    },
  };
  return self;
}

/** Fills the request form as a resident would, by tapping and typing. */
async function fillOrder(page, { description, phone = '13922223333', name = '王大妈' } = {}) {
  await page.locator('label.opt', { hasText: /卫生健康|Health/ }).first().click();
  await page.selectOption('#township', 'xini');
  await page.fill('#description', description);
  await page.fill('#contact_name', name);
  await page.fill('#contact_phone', phone);
  await page.fill('#expected_attendees', '15');
}

function artifact(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

module.exports = { startServer, launchBrowser, api, fillOrder, artifact, sleep };
