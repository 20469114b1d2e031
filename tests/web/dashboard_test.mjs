// Browser tests of the dashboard (issue 8, docs/dashboard.md) in Debian's headless Chromium,
// driven by playwright-core. Run by ctest (tests/web/CMakeLists.txt):
//
//   node dashboard_test.mjs --tally <tally binary> --config <config/default.toml> --out <dir>
//
// It installs playwright-core into <dir>/node_modules when missing (npm ci from this folder's
// lock file), starts `tally serve --clock manual` on a free port with its own data directory
// and admin key, drives the page as an end user and as an operator, compares what the page
// shows with what the API says, saves a screenshot per test under <dir>/screenshots, and stops
// the server with SIGTERM.
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';
import {test, after} from 'node:test';
import assert from 'node:assert/strict';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const tallyBin = args.tally;
const configFile = args.config;
const outDir = path.resolve(args.out ?? path.join(os.tmpdir(), 'tally-web-test'));
const shotDir = path.join(outDir, 'screenshots');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const adminKey = 'tk_admin_web_test';
const t0 = '2031-03-01T10:00:00Z';  // the manual clock starts the tests here

// --- playwright-core, installed on first use ------------------------------------------------

function loadPlaywright() {
  fs.mkdirSync(outDir, {recursive: true});
  const require = createRequire(path.join(outDir, 'package.json'));
  const want = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'))
    .dependencies['playwright-core'];
  try {
    const have = require('playwright-core/package.json').version;
    if (have === want) return require('playwright-core');
  } catch (e) { /* not installed yet */ }
  for (const f of ['package.json', 'package-lock.json']) {
    fs.copyFileSync(path.join(here, f), path.join(outDir, f));
  }
  console.log(`installing playwright-core ${want} into ${outDir}/node_modules (npm ci)`);
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
                      {cwd: outDir, stdio: 'inherit'});
  if (r.status !== 0) throw new Error('npm ci failed: is the npm registry reachable?');
  return require('playwright-core');
}

// --- the server -----------------------------------------------------------------------------

// `data`: a data directory to use and keep (a restart on it); default a fresh one, removed.
async function startServer(flags = ['--clock', 'manual'], {data: keep} = {}) {
  const data = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tally-web-'));
  const child = spawn(tallyBin, ['serve', ...flags, '--data', data, '--listen', '127.0.0.1:0',
                                 '--shards', '2'],
                      {env: {...process.env, TALLY_ADMIN_KEY: adminKey},
                       stdio: ['ignore', 'pipe', 'inherit']});
  let buffer = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tally serve did not start in 60 s')), 60000);
    child.once('exit', (code) => reject(new Error(`tally serve exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const m = /^tally: listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(buffer);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  child.stdout.resume();  // keep draining
  // The first line of stdout matching `re`, once it is printed.
  const line = async (re) => {
    for (let i = 0; i < 600 && !re.test(buffer); ++i) await new Promise((r) => setTimeout(r, 100));
    const m = re.exec(buffer);
    if (!m) throw new Error(`tally serve never printed ${re}`);
    return m;
  };
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    if (!keep) fs.rmSync(data, {recursive: true, force: true});
    return code;
  };
  return {base, stop, line};
}

if (!fs.existsSync(chromiumPath)) {
  console.error(`no Chromium at ${chromiumPath}: run scripts/setup.sh (Debian package chromium)`);
  process.exit(1);
}
const {chromium} = loadPlaywright();
fs.mkdirSync(shotDir, {recursive: true});
const server = await startServer();
const base = server.base;

async function call(method, p, body, {key = adminKey, idempotent = true} = {}) {
  const headers = {Authorization: `Bearer ${key}`};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotent && method !== 'GET') {
    headers['Idempotency-Key'] = `t-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  }
  const r = await fetch(base + p, {method, headers,
                                   body: body === undefined ? undefined : JSON.stringify(body)});
  const json = await r.json();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}
const get = (p) => call('GET', p);
const post = (p, body, o) => call('POST', p, body, o);

await post('/v1/admin/clock', {now: t0}, {idempotent: false});
const browser = await chromium.launch({
  executablePath: chromiumPath,
  // Root (containers, CI) cannot use Chromium's sandbox.
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});
after(async () => {
  await browser.close();
  const code = await server.stop();
  assert.equal(code, 0, 'tally serve stops cleanly on SIGTERM');
});

// The page's way of writing an amount ("1234.5" -> "1,234.5", "-6" -> "−6").
function fmt(amount) {
  const neg = amount.startsWith('-');
  const [int, frac] = (neg ? amount.slice(1) : amount).split('.');
  const body = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac ? `.${frac}` : '');
  return neg ? `−${body}` : body;
}

async function newPage() {
  const context = await browser.newContext({viewport: {width: 1100, height: 900}});
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // A refused request (401 for a wrong token) is logged by Chromium; the page handles it.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      errors.push(m.text());
    }
  });
  page.errors = errors;
  return page;
}

async function openAsUser(account, page) {
  const {url} = await post(`/v1/accounts/${account}/tokens`, {ttl_s: 86400}, {idempotent: false});
  assert.ok(url.startsWith(`${base}/#token=`), `the token's url opens this server: ${url}`);
  page = page ?? await newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  return page;
}

async function shot(page, name) {
  await page.screenshot({path: path.join(shotDir, `${name}.png`), fullPage: true});
  assert.deepEqual(page.errors, [], 'no script or CSP errors in the page');
}

const text = async (page, selector) => (await page.locator(selector).innerText()).trim();

test('the page is served from the binary with a CSP and no external asset', async () => {
  const r = await fetch(base + '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
  const html = await r.text();
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    if (m[1].startsWith('#')) continue;
    assert.ok(m[1].startsWith('/'), `same-origin asset: ${m[1]}`);
    const a = await fetch(base + m[1]);
    assert.equal(a.status, 200, m[1]);
    assert.match(a.headers.get('cache-control'), /immutable/, m[1]);
  }
});

test('the page shows the same balance and lots as the API', async () => {
  await post('/v1/accounts', {id: 'alice'});
  await post('/v1/accounts/alice/grants', {amount: '40', reason: 'welcome bonus',
                                           valid_for: 'P5D'});
  await post('/v1/purchases', {account: 'alice', pack: 'small', currency: 'USD',
                               payment_ref: 'pay-alice-1'});
  await post('/v1/spends', {account: 'alice', tool: 'image', params: {}});
  const page = await openAsUser('alice');
  const a = await get('/v1/accounts/alice');

  assert.equal(await text(page, '#sum-available'), fmt(a.balance.available));
  assert.equal(await text(page, '#sum-held'), fmt(a.balance.held));
  assert.equal(await text(page, '#sum-plan'), 'Free');
  const day = new Intl.DateTimeFormat('en-GB', {timeZone: 'UTC', day: 'numeric', month: 'short',
                                                year: 'numeric'});
  assert.equal(a.subscription.period_end.slice(0, 10), '2031-03-08');  // weekly, from t0
  assert.equal(await text(page, '#sum-renews'), day.format(new Date(a.subscription.period_end)));
  const rows = page.locator('#lots tbody tr');
  assert.equal(await rows.count(), a.lots.length);
  for (const lot of a.lots) {
    const cells = await page.locator(`#lots tr[data-lot="${lot.id}"] td`).allInnerTexts();
    assert.equal(cells[0].trim(), lot.source);
    assert.equal(cells[2].trim(), fmt(lot.remaining), `remaining of lot ${lot.id}`);
    assert.equal(cells[3].trim(), fmt(lot.held));
  }
  const admin = a.lots.find((l) => l.source === 'admin');
  assert.match(await text(page, `#lots tr[data-lot="${admin.id}"]`), /expires in 5 days/);
  // The spend shows in the usage chart.
  assert.match(await text(page, '#usage'), /image/);
  await shot(page, 'balance_and_lots');
  await page.context().close();
});

test('a grant made in the operator view appears in the user history with its balance after',
     async () => {
  await post('/v1/accounts', {id: 'bob'});
  const page = await newPage();
  await page.goto(base + '/');
  await page.getByLabel('Access token or admin key').fill(adminKey);
  await page.getByRole('button', {name: 'Open'}).click();
  // The start of an id is enough: the accounts that start with it are offered.
  await page.getByLabel('Account id').fill('bo');
  await page.waitForFunction(() => [...document.querySelectorAll('#find-suggestions option')]
                                       .some((o) => o.value === 'bob'));
  await page.getByLabel('Account id').fill('bob');
  await page.getByRole('button', {name: 'Find'}).click();
  await page.waitForSelector('#operator-actions:not([hidden])');
  await page.getByLabel('Credits', {exact: true}).fill('12.5');
  await page.getByLabel('Reason (the user sees it)').fill('sorry for the outage');
  await page.getByLabel(/Expires on/).fill('2031-03-31');
  await page.getByRole('button', {name: 'Grant'}).click();
  await page.waitForFunction(() => /Granted/.test(document.getElementById('op-result').textContent));
  assert.match(await text(page, '#op-result'), /Granted 12\.5 credits/);
  await shot(page, 'operator_grant');

  const a = await get('/v1/accounts/bob');
  const lot = a.lots.find((l) => l.reason === 'sorry for the outage');
  assert.ok(lot, 'the API has the granted lot');
  assert.equal(lot.amount, '12.5');
  assert.equal(lot.expires_at, '2031-03-31T23:59:59Z');
  const {entries} = await get('/v1/accounts/bob/entries?limit=1000');
  const entry = entries.find((e) => e.kind === 'grant' && e.lot === lot.id);

  // The operator issues the user's link from the page; the user opens it.
  await page.getByText('End-user link').click();
  await page.getByRole('button', {name: 'Issue link'}).click();
  await page.waitForSelector('#link-out:not([hidden])');
  const url = await page.locator('#link-url').getAttribute('href');
  assert.ok(url.startsWith(`${base}/#token=v2.`), url);
  const user = await newPage();
  await user.goto(url);
  await user.waitForSelector('body[data-ready]');
  assert.equal(new URL(user.url()).hash, '', 'the token is taken out of the address bar');
  const row = user.locator(`#history tr.op[data-seq="${entry.seq}"] td`);
  const cells = await row.allInnerTexts();
  assert.equal(cells[1].trim(), 'Added 12.5 credits (admin): sorry for the outage');
  assert.equal(cells[2].trim(), 'admin');
  assert.equal(cells[3].trim(), '+12.5');
  assert.equal(cells[4].trim(), fmt(entry.balance_after));
  assert.equal(await text(user, '#sum-available'), fmt(a.balance.available));
  await shot(user, 'user_history_after_grant');
  await page.context().close();
  await user.context().close();
});

test('the alert settings and the automatic top-up are shown as the API has them', async () => {
  await post('/v1/accounts', {id: 'dora', plan: null});
  const page = await openAsUser('dora');
  assert.equal(await text(page, '#alert-low'), 'off');
  assert.equal(await text(page, '#alert-topup'), 'off');
  await call('PUT', '/v1/accounts/dora/alerts', {low_balance: '25', expiring_notice: 'P3D'});
  // Nothing available: below 10 at once, so the ledger asks for a top-up straight away.
  const topup = await call('PUT', '/v1/accounts/dora/auto_topup',
                           {below: '10', pack: 'small', currency: 'USD'});
  assert.ok(topup.request, 'an account with nothing is asked for a top-up at once');
  await page.reload();
  await page.waitForSelector('body[data-ready]');
  assert.equal(await text(page, '#alert-low'),
               'when fewer than 25 credits are available (set for this account)');
  assert.equal(await text(page, '#alert-notice'),
               '3 days before credits expire (set for this account)');
  const when = new Intl.DateTimeFormat('en-GB', {timeZone: 'UTC', day: 'numeric', month: 'short',
                                                 year: 'numeric', hour: '2-digit',
                                                 minute: '2-digit'});
  assert.equal(await text(page, '#alert-topup'),
               'buys pack small (100 credits, USD 9.99) when fewer than 10 credits are ' +
               `available; a top-up is waiting for payment until ` +
               `${when.format(new Date(topup.request.expires_at))} UTC`);
  assert.equal(await page.locator('#settings-panel').isVisible(), false,
               'the platform does not let end users change them: no form');
  await shot(page, 'alerts-and-topup');
});

test('an end user changes the alert threshold through the page when the platform allows it',
     async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-web-tokens-'));
  const config = path.join(dir, 'tally.toml');
  fs.writeFileSync(config, fs.readFileSync(configFile, 'utf8') +
                   '\n[tokens]\nedit_alerts = true\nedit_auto_topup = true\n');
  const other = await startServer(['--clock', 'manual', '--config', config]);
  try {
    const as = async (method, p, body) => {
      const r = await fetch(other.base + p, {method, body: body && JSON.stringify(body),
        headers: {Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json',
                  ...(method === 'GET' ? {} : {'Idempotency-Key': `w-${Math.random()}`})}});
      const json = await r.json();
      if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    await as('POST', '/v1/accounts', {id: 'erin'});
    const {url} = await as('POST', '/v1/accounts/erin/tokens', {ttl_s: 3600});
    const page = await newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready]');
    assert.equal(await text(page, '#alert-low'), 'off');
    assert.ok(await page.locator('#settings-panel').isVisible(), 'the form is offered');
    assert.ok(await page.locator('#settings-low').isVisible());
    assert.ok(await page.locator('#settings-topup-on').isVisible());
    await page.fill('#settings-low', '15');
    await page.click('#settings-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('settings-result').textContent === 'Saved.');
    assert.equal(await text(page, '#alert-low'),
                 'when fewer than 15 credits are available (set for this account)');
    const alerts = await as('GET', '/v1/accounts/erin/alerts');
    assert.equal(alerts.low_balance, '15');
    assert.equal(alerts.low_balance_from, 'account');
    assert.equal((await as('GET', '/v1/accounts/erin/auto_topup')).enabled, false,
                 'the top-up left off stays off');
    // A refusal shows its reason: a pack that is not sold.
    await page.check('#settings-topup-on');
    await page.fill('#settings-below', '5');
    await page.fill('#settings-currency', 'XXX');
    await page.click('#settings-form button[type=submit]');
    await page.waitForFunction(() =>
      document.getElementById('settings-result').classList.contains('bad'));
    assert.match(await text(page, '#settings-result'), /XXX/);
    await shot(page, 'alerts-form');
  } finally {
    assert.equal(await other.stop(), 0);
    fs.rmSync(dir, {recursive: true, force: true});
  }
});

test('a held job shows as held and disappears when released', async () => {
  await post('/v1/accounts', {id: 'carol'});
  const hold = await post('/v1/holds', {account: 'carol', tool: 'video', params: {seconds: 3}});
  assert.equal(hold.amount, '6');
  const page = await openAsUser('carol');
  assert.equal(await text(page, '#sum-held'), '6');
  const job = page.locator(`#jobs li[data-hold="${hold.id}"]`);
  assert.match(await job.innerText(), /6 credits held for video/);
  assert.equal(await text(page, '#history tbody tr:first-child td:nth-child(2)'),
               'Held 6 credits for video');
  await shot(page, 'held_job');

  await post(`/v1/holds/${hold.id}/release`, {reason: 'video generation failed'});
  await page.reload();  // the token stays in the tab's sessionStorage
  await page.waitForSelector('body[data-ready]');
  assert.equal(await text(page, '#sum-held'), '0');
  assert.equal(await job.count(), 0, 'the released job is gone');
  assert.equal(await text(page, '#history tbody tr:first-child td:nth-child(2)'),
               'Returned 6 credits held for video: video generation failed');
  const a = await get('/v1/accounts/carol');
  assert.equal(await text(page, '#sum-available'), fmt(a.balance.available));
  await shot(page, 'held_job_released');
  await page.context().close();
});

// Issue 19: a failed 12-credit video over several lots was a line per lot for its hold and
// another per lot for its release; it is one line each, the lots under it on request.
test('a hold over several lots and its release are one line each, lots expandable', async () => {
  await post('/v1/accounts', {id: 'vera', plan: null});
  for (const [i, day] of ['2032-01-10', '2032-01-11', '2032-01-12'].entries()) {
    await post('/v1/accounts/vera/grants',
               {amount: '4', reason: `credit ${i}`, expires_at: `${day}T00:00:00Z`});
  }
  const hold = await post('/v1/holds', {account: 'vera', amount: '12', tool: 'video'});
  await post(`/v1/holds/${hold.id}/release`, {reason: 'render failed'});
  const {operations} = await get('/v1/accounts/vera/entries?group=operation');
  const page = await openAsUser('vera');
  assert.equal(await page.locator('#history tbody tr.op').count(), operations.length);
  assert.equal(operations.length, 5, 'three grants, the hold, the release');
  const released = page.locator('#history tbody tr.op').first();
  assert.equal(await released.getAttribute('data-operation'), 'release');
  assert.equal(await text(page, '#history tbody tr.op:first-child td:nth-child(2)'),
               'Returned 12 credits held for video: render failed 3 lots');
  assert.equal(await page.locator('#history tr.portion:visible').count(), 0, 'folded');
  await released.getByRole('button', {name: '3 lots'}).click();
  assert.equal(await page.locator('#history tr.portion:visible').count(), 3);
  const portions = operations.at(-1).portions;
  for (const p of portions) {
    const cells = await page.locator(`#history tr.portion[data-seq="${p.seq}"] td`).allInnerTexts();
    assert.match(cells[1], new RegExp(`lot ${p.lot}`));
    assert.equal(cells[3].trim(), '+4');
  }
  await shot(page, 'history_by_operation');
  await page.context().close();
});

// Issue 19, the operator overview: the month's money and free credits are the finance report's.
test('the operator overview shows the month\'s finance report as the API has it', async () => {
  await post('/v1/accounts', {id: 'olga', plan: null});
  await post('/v1/purchases', {account: 'olga', pack: 'small', currency: 'USD',
                               payment_ref: 'pi_olga_1'}, {idempotent: false});
  await post('/v1/spends', {account: 'olga', amount: '30', tool: 'chat'});
  const report = await get('/v1/reports/finance?from=2031-03-01T00:00:00Z' +
                           '&to=2031-04-01T00:00:00Z&currency=USD');
  assert.notEqual(report.paid.received, '0', 'the purchase is in the report');
  const page = await newPage();
  await page.goto(base + '/');
  await page.getByLabel('Access token or admin key').fill(adminKey);
  await page.getByRole('button', {name: 'Open'}).click();
  await page.waitForSelector('#overview[data-period]');
  await page.fill('#overview-month', '2031-03');
  await page.selectOption('#overview-currency', 'USD');
  await page.getByRole('button', {name: 'Show'}).click();
  await page.waitForSelector('#overview[data-period="2031-03-01T00:00:00Z|USD"]');
  for (const name of ['received', 'recognized', 'deferred_closing', 'breakage', 'refunded']) {
    assert.equal(await text(page, `#overview-money [data-figure="${name}"] dd`),
                 `USD ${report.paid[name]} (${fmt(report.paid[`${name}_credits`])} credit` +
                 `${report.paid[`${name}_credits`] === '1' ? '' : 's'})`, name);
  }
  for (const f of report.free) {
    const cells = await page.locator(`#overview-free tr[data-source="${f.source}"] td`)
      .allInnerTexts();
    assert.deepEqual(cells.map((c) => c.trim()),
                     [f.source, fmt(f.issued), fmt(f.consumed), fmt(f.expired),
                      fmt(f.outstanding_closing)]);
  }
  assert.ok(report.free.length > 0, 'signup credits at least');
  // The accounts that used most, as the API ranks them; one opens the account.
  const top = await get('/v1/reports/top-accounts?from=2031-03-01T00:00:00Z' +
                        '&to=2031-04-01T00:00:00Z&limit=10');
  assert.deepEqual(await page.locator('#top-accounts tbody tr').evaluateAll(
                     (rows) => rows.map((r) => r.getAttribute('data-account'))),
                   top.accounts.map((u) => u.account));
  assert.ok(top.accounts.some((u) => u.account === 'olga' && u.used === '30'));
  assert.equal(await text(page, '#top-accounts tr[data-account="olga"] td:nth-child(2)'), '30');
  await shot(page, 'operator_overview');
  await page.getByRole('button', {name: 'olga', exact: true}).click();
  await page.waitForSelector('#account:not([hidden])');
  assert.equal(await text(page, '#account-title'), 'Account olga');
  await page.context().close();
});

test('the price table lists every tool of the configuration', async () => {
  const configured = [...fs.readFileSync(configFile, 'utf8')
    .matchAll(/^\[price_book\.tools\.([A-Za-z0-9_-]+)\]\s*$/gm)].map((m) => m[1]);
  assert.ok(configured.length >= 3, 'the configuration has tools');
  const pricing = await (await fetch(base + '/v1/pricing')).json();
  assert.deepEqual(pricing.tools.map((t) => t.id).sort(), [...configured].sort());

  const page = await newPage();  // no token: prices are public
  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready]');
  const shown = await page.locator('#price-table [data-tool]')
    .evaluateAll((els) => els.map((e) => e.dataset.tool));
  assert.deepEqual(shown.sort(), [...configured].sort());
  for (const tool of pricing.tools) {
    const card = await text(page, `#price-table [data-tool="${tool.id}"]`);
    assert.ok(card.includes(tool.name), tool.id);
    for (const p of tool.params) {
      for (const o of p.options) assert.ok(card.includes(`${o.name}: ${o.text}`), `${tool.id} ${o.id}`);
    }
  }
  const plans = (await (await fetch(base + '/v1/plans')).json()).plans;
  const packs = (await (await fetch(base + '/v1/packs')).json()).packs;
  assert.equal(await page.locator('#plans tbody tr').count(), plans.length);
  assert.equal(await page.locator('#packs tbody tr').count(), packs.length);
  // A plan's daily reward is what a claim grants: Plus's 1 with its member boost of 2.
  const plus = await text(page, '#plans tr[data-plan="plus"]');
  assert.match(plus, /2 a day \(member boost ×2\), valid 1 month/, plus);
  assert.match(await text(page, '#plans tr[data-plan="free"]'), /1 a day, valid 1 month/);
  const small = await text(page, '#packs tr[data-pack="small"]');
  assert.match(small, /0\.0999 USD/, 'price per credit');
  // Medium's 25 bonus credits last 30 days, not the 12 months of the credits bought.
  const medium = await text(page, '#packs tr[data-pack="medium"]');
  assert.match(medium, /500 \+ 25 bonus\s+12 months; bonus 30 days/, medium);

  // One truth (issue 19): the header's credit range is exactly the lowest and the highest
  // "per credit" of the pack table, regions included, each with at most 5 decimals.
  const header = await text(page, '#price-version');
  const packText = await text(page, '#packs');
  for (const v of pricing.credit_value) {
    const shown = packs.flatMap((p) => p.prices).filter((x) => x.currency === v.currency)
      .map((x) => x.per_credit);
    for (const x of shown) {
      assert.match(x, /^\d+(\.\d{1,5})?$/, `per_credit ${x} has at most 5 decimals`);
      assert.ok(packText.includes(`${x} ${v.currency}`), `${x} ${v.currency} in the pack table`);
    }
    const byValue = [...shown].sort((a, b) => Number(a) - Number(b));
    assert.equal(v.min, byValue[0], `${v.currency}: the header's lowest is the table's lowest`);
    assert.equal(v.max, byValue.at(-1), `${v.currency}: the header's highest is the table's`);
    assert.ok(header.includes(`${v.min}–${v.max} ${v.currency}`), header);
  }
  // Every tool's description agrees with its price (the default image's "1 credit" once did
  // not: 2 with the default priority), and the page shows the checklist the server scored.
  const fairness = pricing.fairness;
  assert.equal(fairness.items.length, 7);
  assert.equal(fairness.items.find((i) => i.id === 'tool_costs').outcome, 'pass',
    JSON.stringify(fairness.items));
  assert.match(await text(page, '#fairness-outcome'), new RegExp(`^Overall: ${fairness.outcome}`));
  for (const i of fairness.items) {
    const li = page.locator(`#fairness li[data-item="${i.id}"]`);
    assert.equal(await li.getAttribute('data-outcome'), i.outcome, i.id);
    assert.ok((await li.innerText()).includes(i.why), `${i.id}: ${i.why}`);
  }
  assert.deepEqual(pricing.upcoming, [], 'one version, in force');
  assert.equal(await page.locator('#price-upcoming').isHidden(), true);
  await shot(page, 'price_table');
  await page.context().close();
});

// Issue 19: a price book version that takes effect later is announced, not hidden. The data
// directory keeps the version in force; a restart with a later version adds it.
test('a price book version that takes effect later is shown as upcoming', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-web-versions-'));
  const next = path.join(dir, 'next.toml');
  fs.writeFileSync(next, fs.readFileSync(configFile, 'utf8')
    .replace('version = "studio-2026-11-01"', 'version = "studio-2031-04-01"')
    .replace('effective_at = 2026-11-01T00:00:00Z', 'effective_at = 2031-04-01T00:00:00Z'));
  const data = path.join(dir, 'data');
  const setClock = (s) => fetch(s.base + '/v1/admin/clock', {
    method: 'POST', body: JSON.stringify({now: t0}),
    headers: {Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json'}});
  const first = await startServer(['--clock', 'manual', '--config', configFile], {data});
  assert.equal((await setClock(first)).status, 200);
  assert.equal(await first.stop(), 0);
  const second = await startServer(['--clock', 'manual', '--config', next], {data});
  try {
    assert.equal((await setClock(second)).status, 200);
    const pricing = await (await fetch(second.base + '/v1/pricing')).json();
    assert.equal(pricing.version, 'studio-2026-11-01', 'the version in force is still charged');
    assert.deepEqual(pricing.upcoming.map((v) => v.version), ['studio-2031-04-01']);
    const page = await newPage();
    await page.goto(second.base + '/');
    await page.waitForSelector('body[data-ready]');
    assert.match(await text(page, '#price-version'), /studio-2026-11-01, in force since 1 Nov 2026/);
    assert.match(await text(page, '#price-upcoming'),
      /^Upcoming: Tally Studio studio-2031-04-01 takes effect on 1 Apr 2031/);
    await shot(page, 'price_upcoming');
    await page.context().close();
  } finally {
    await second.stop();
    fs.rmSync(dir, {recursive: true, force: true});
  }
});

test('a wrong or expired token shows a clear message', async () => {
  const page = await newPage();
  // A well-formed token for alice with a forged signature.
  await page.goto(`${base}/#token=v2.9999999999.1.00000000000000ff.616c696365.${'0'.repeat(64)}`);
  await page.waitForSelector('#message:not([hidden])');
  assert.match(await text(page, '#message'),
               /This link is not valid or has expired \(the token's signature is not valid\)/);
  assert.ok(await page.locator('#signin').isVisible(), 'the sign-in form is offered');
  assert.ok(!(await page.locator('#account').isVisible()), 'no account is shown');
  assert.ok(!(await page.locator('#summary').isVisible()), 'no balance in the top bar');
  await shot(page, 'wrong_token');

  await page.getByLabel('Access token or admin key').fill('not-a-key');
  await page.getByRole('button', {name: 'Open'}).click();
  await page.waitForFunction(() => /key is not valid/.test(document.getElementById('message').textContent));

  const {token} = await post('/v1/accounts/alice/tokens', {ttl_s: 60}, {idempotent: false});
  await post('/v1/admin/clock', {now: '2031-03-01T10:05:00Z'}, {idempotent: false});
  await page.goto(`${base}/#token=${token}`);
  await page.waitForFunction(() => /expired/.test(document.getElementById('message').textContent));
  assert.match(await text(page, '#message'), /the token has expired/);
  await shot(page, 'expired_token');
  await page.context().close();
});

test('the operator sees the webhook endpoints and their failed deliveries', async () => {
  // Port 9 (discard) refuses the connection: every attempt fails and is logged.
  const hook = await post('/v1/webhooks', {url: 'http://127.0.0.1:9/hook', description: 'crm sync',
                                           event_types: ['balance.depleted']}, {idempotent: false});
  await post('/v1/accounts', {id: 'hooked'});
  const a = await get('/v1/accounts/hooked');
  await post('/v1/spends', {account: 'hooked', amount: a.balance.available});
  let attempts = [];
  for (let i = 0; i < 100 && !attempts.length; ++i) {
    await new Promise((r) => setTimeout(r, 100));
    attempts = (await get(`/v1/webhooks/${hook.id}/deliveries`)).deliveries;
  }
  assert.ok(attempts.length, 'the first attempt was made');
  const page = await newPage();
  await page.goto(base + '/');
  await page.getByLabel('Access token or admin key').fill(adminKey);
  await page.getByRole('button', {name: 'Open'}).click();
  await page.waitForSelector('#webhooks-panel:not([hidden])');
  await page.getByText('Webhooks', {exact: true}).click();
  const row = page.locator(`#webhook-list tr[data-webhook="${hook.id}"]`);
  await row.waitFor();
  const shown = await row.innerText();
  assert.match(shown, /http:\/\/127\.0\.0\.1:9\/hook/);
  assert.match(shown, /crm sync/);
  assert.match(shown, /balance\.depleted/);
  assert.match(shown, /failing since/);
  assert.match(shown, /refused/i, 'the attempt\'s error is shown');
  await shot(page, 'operator_webhooks');
  // A service key may not list webhooks: no panel.
  const {key} = await post('/v1/keys', {name: 'web-service'}, {idempotent: false});
  const other = await newPage();
  await other.goto(base + '/');
  await other.getByLabel('Access token or admin key').fill(key);
  await other.getByRole('button', {name: 'Open'}).click();
  await other.waitForSelector('#operator:not([hidden])');
  // Signing in ends by focusing the account field, after the webhooks were asked for.
  await other.waitForFunction(() => document.activeElement?.id === 'find-id');
  assert.equal(await other.locator('#webhooks-panel').isHidden(), true);
  await page.context().close();
  await other.context().close();
  await call('DELETE', `/v1/webhooks/${hook.id}`, undefined, {idempotent: false});
});

// Issue 17: a team account's view. The team has an owner, an admin, two members and a viewer,
// budgets for two members and one project, and spends by members naming projects.
const team = 'studio-team';
let teamReady = null;
function openTeam() {
  teamReady ??= (async () => {
    await post('/v1/accounts', {id: team, plan: null, kind: 'team', owner: 'olga'});
    await post(`/v1/accounts/${team}/grants`, {amount: '500', reason: 'team credits'});
    for (const [user, role] of [['ada', 'admin'], ['ana', 'member'], ['bo', 'member'],
                                ['vic', 'viewer']]) {
      await post(`/v1/accounts/${team}/members`, {user, role});
    }
    const budget = (b) => post(`/v1/accounts/${team}/budgets`, {period: 'P1M', ...b});
    await budget({id: 'ana-month', member: 'ana', limit: '100'});
    await budget({id: 'bo-month', member: 'bo', limit: '50'});
    await budget({id: 'launch', project: 'launch', limit: '25', mode: 'soft'});
    for (const [member, amount, project] of [['ana', '20', 'launch'], ['ana', '15', 'docs'],
                                             ['bo', '10', 'launch'], ['bo', '5', 'docs']]) {
      await post('/v1/spends', {account: team, amount, member, project});
    }
  })();
  return teamReady;
}

// A team member's link (a v3 token naming the member), opened in a new page.
async function openAsMember(member) {
  const {url, token} = await post(`/v1/accounts/${team}/tokens`, {ttl_s: 86400, member},
                                  {idempotent: false});
  assert.ok(token.startsWith('v3.'), token);
  const page = await newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  return {page, token};
}

const rowKeys = (page, selector, attr) =>
  page.locator(selector).evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attr);

test('a team admin sees every member and each budget\'s usage against its limit as bars',
     async () => {
  await openTeam();
  const {page} = await openAsMember('ada');
  assert.equal(await text(page, '#team-whose'), `ada (admin) of team ${team}`);
  assert.equal(await text(page, '#account-title'), `Team ${team}`);
  assert.equal(await page.locator('#message').isHidden(), true, 'no error');
  assert.equal(await text(page, '#sum-available'), '450', 'the shared balance');
  const {members} = await get(`/v1/accounts/${team}/members`);
  assert.deepEqual(members.map((m) => m.user).sort(), ['ada', 'ana', 'bo', 'olga', 'vic']);
  assert.deepEqual((await rowKeys(page, '#members tbody tr', 'data-member')).sort(),
                   members.map((m) => m.user).sort(), 'every member is listed');
  for (const m of members) {
    const cells = await page.locator(`#members tr[data-member="${m.user}"] td`).allInnerTexts();
    assert.equal(cells[1].trim(), m.role, m.user);
  }
  assert.equal(await text(page, '#members tr[data-member="ana"] td:nth-child(3)'), 'ana-month');

  const {budgets} = await get(`/v1/accounts/${team}/budgets`);
  const used = Object.fromEntries(budgets.map((b) => [b.id, [b.used, b.limit, b.exceeded]]));
  assert.deepEqual(used, {'ana-month': ['35', '100', false], 'bo-month': ['15', '50', false],
                          launch: ['30', '25', true]});
  assert.deepEqual((await rowKeys(page, '#budgets tbody tr', 'data-budget')).sort(),
                   ['ana-month', 'bo-month', 'launch']);
  for (const b of budgets) {
    const row = page.locator(`#budgets tr[data-budget="${b.id}"]`);
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[3].trim(), fmt(b.used), `${b.id} used`);
    assert.equal(cells[4].trim(), fmt(b.limit), `${b.id} limit`);
    assert.equal(cells[5].trim(), fmt(b.left), `${b.id} left`);
    const bar = row.locator('svg.budget');
    assert.equal(await bar.getAttribute('aria-label'), `${fmt(b.used)} of ${fmt(b.limit)} used`);
    // The bar's length is the share of the limit used (200 wide; past the limit: full, red).
    const width = Number(await bar.locator('rect.bar').getAttribute('width'));
    const share = Math.min(1, Number(b.used) / Number(b.limit));
    assert.equal(width, Math.round(share * 200), `${b.id} bar`);
    assert.equal((await bar.locator('rect.bar').getAttribute('class')).includes('over'), b.exceeded);
  }
  assert.match(await text(page, '#budgets tr[data-budget="launch"]'), /project launch/);
  assert.match(await text(page, '#budgets tr[data-budget="launch"]'), /over its limit/);
  // Projects named by budgets (launch) and by history entries (docs, once entries name them).
  assert.ok((await rowKeys(page, '#projects tbody tr', 'data-project')).includes('launch'));
  assert.ok(await page.locator('#alerts-part').isVisible(), 'an admin reads the alerts');
  await shot(page, 'team_admin');
  await page.context().close();
});

test('a team member\'s link shows its own row and budgets, and no error for what it may not read',
     async () => {
  await openTeam();
  const {page, token} = await openAsMember('ana');
  assert.equal(await text(page, '#team-whose'), `ana (member) of team ${team}`);
  assert.equal(await page.locator('#message').isHidden(), true, 'no error banner');
  assert.equal(await page.locator('#alerts-part').isHidden(), true,
               'the alerts and auto top-up it may not read (403) are hidden');
  assert.deepEqual(await rowKeys(page, '#members tbody tr', 'data-member'), ['ana']);
  const mine = await call('GET', `/v1/accounts/${team}/budgets`, undefined, {key: token});
  const ids = mine.budgets.map((b) => b.id).sort();
  assert.ok(ids.includes('ana-month') && !ids.includes('bo-month'), ids.join());
  assert.deepEqual((await rowKeys(page, '#budgets tbody tr', 'data-budget')).sort(), ids);
  assert.equal(await text(page, '#budgets tr[data-budget="ana-month"] td:nth-child(4)'), '35');
  assert.deepEqual((await rowKeys(page, '#filter-member option', 'value')).filter(Boolean),
                   ['ana'], 'it filters by itself only');
  // Its history is what the server gives its token.
  const {operations} = await call('GET', `/v1/accounts/${team}/entries?limit=1000&group=operation`,
                                  undefined, {key: token});
  assert.equal(await page.locator('#history tbody tr.op').count(), operations.length);
  await shot(page, 'team_member');
  await page.context().close();
});

// The member and project filters are the server's (GET …/entries?member=&project=): the page
// shows exactly what the server answers for them. Entries that name their member and project
// come with the teams-reads work; until the server has them (no `project` field), only that
// the page asks the server and shows its answer is checked, and the test says so.
test('the team history filtered by project shows only that project\'s entries', async () => {
  await openTeam();
  const entries = async (q = '') =>
    (await get(`/v1/accounts/${team}/entries?limit=1000${q}`)).entries;
  const operations = async (q = '') =>
    (await get(`/v1/accounts/${team}/entries?limit=1000&group=operation${q}`)).operations;
  const all = await entries();
  const allOps = await operations();
  const named = all.some((e) => 'project' in e);
  const launch = await entries('&project=launch');
  if (named) {
    assert.equal(launch.length, 2, 'the server filters: the two spends on launch');
    assert.ok(launch.every((e) => e.project === 'launch'));
  } else {
    console.log('# entries name no member or project yet (GET …/entries without them): ' +
                'checking only that the page filters through the server');
  }
  const {page} = await openAsMember('ada');
  assert.equal(await page.locator('#history tbody tr.op').count(), allOps.length);
  if (named) {  // each line names its member and project
    const spend = all.find((e) => e.member === 'bo' && e.project === 'docs');
    const line = await text(page, `#history tr.op[data-seq="${spend.seq}"] td:nth-child(2)`);
    assert.match(line, /bo/);
    assert.match(line, /project docs/);
    assert.ok((await rowKeys(page, '#projects tbody tr', 'data-project')).includes('docs'));
  }
  const seqs = async () => (await rowKeys(page, '#history tbody tr.op', 'data-seq')).map(Number);
  const newestFirst = (list) => list.map((op) => op.first_seq).reverse();

  const asked = page.waitForRequest((r) => /\/entries\?.*project=launch/.test(r.url()));
  await page.selectOption('#filter-project', 'launch');  // offered: a budget names it
  await asked;
  await page.waitForSelector('#history[data-query="|launch"]');
  assert.deepEqual(await seqs(), newestFirst(await operations('&project=launch')),
                   'what the server answers, newest first');
  if (named) {
    assert.deepEqual([...new Set(await rowKeys(page, '#history tbody tr.op', 'data-project'))],
                     ['launch'], 'only the project\'s entries');
  }
  await page.selectOption('#filter-member', 'ana');
  await page.waitForSelector('#history[data-query="ana|launch"]');
  const anaLaunch = await operations('&member=ana&project=launch');
  assert.deepEqual(await seqs(), newestFirst(anaLaunch));
  if (named) assert.deepEqual(await rowKeys(page, '#history tbody tr.op', 'data-member'), ['ana']);
  await page.selectOption('#filter-project', '');
  await page.selectOption('#filter-member', '');
  await page.waitForSelector('#history[data-query="|"]');
  assert.equal(await page.locator('#history tbody tr.op').count(), allOps.length);
  await shot(page, 'team_history_by_project');
  await page.context().close();
});

test('tally serve --demo seeds accounts with months of history and links to one', async () => {
  const demo = await startServer(['--demo']);  // on the wall clock, as `make run` would
  try {
    const [, url] = await demo.line(/^tally: demo +(http\S+)/m);
    assert.ok(url.startsWith(`${demo.base}/#token=v2.`), url);
    const page = await newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready]');
    assert.equal(await text(page, '#account-title'), 'Your credits');
    assert.equal(await page.locator('#history tbody tr.op').count(), 50, 'a full first page');
    assert.ok(await page.locator('#more').isVisible(), 'older history to show');
    assert.equal(await page.locator('#jobs li').count(), 1, 'one video still rendering');
    assert.ok(await page.locator('#usage svg').isVisible(), 'a usage chart');
    const r = await fetch(`${demo.base}/v1/accounts/maya/entries?limit=1000`,
                          {headers: {Authorization: `Bearer ${adminKey}`}});
    const {entries} = await r.json();
    const kinds = new Set(entries.map((e) => e.kind));
    for (const kind of ['grant', 'hold', 'capture', 'release', 'spend', 'refund']) {
      assert.ok(kinds.has(kind), `the demo history has a ${kind}`);
    }
    const days = (Date.parse(entries.at(-1).at) - Date.parse(entries[0].at)) / 86400000;
    assert.ok(days >= 85, `three months of history (${days} days)`);
    await shot(page, 'demo');
    await page.context().close();
  } finally {
    assert.equal(await demo.stop(), 0);
  }
});

// The balance forecast on the account view: the server's dates, drawn as lines in the page.
// Last of the tests on this server: it moves the shared clock a day on (the trailing rates
// count [now - N days, now), so a spend at now is not in them yet).
test('the account view draws the balance forecast from the API', async () => {
  await post('/v1/accounts', {id: 'fred'});
  await post('/v1/spends', {account: 'fred', amount: '7', tool: 'chat'});
  await post('/v1/admin/clock', {now: '2031-03-02T10:00:00Z'}, {idempotent: false});
  const f = await get('/v1/accounts/fred/forecast');
  const page = await openAsUser('fred');
  assert.ok(await page.locator('#forecast svg').isVisible(), 'a chart');
  for (const r of f.rates) {
    const line = await text(page, `#forecast li[data-window="${r.window_days}"]`);
    assert.match(line, new RegExp(`${r.window_days}-day rate`));
    if (r.runs_out_at) {
      assert.equal(await page.locator(`#forecast line[data-window="${r.window_days}"]`).count(), 1);
      assert.match(line, /runs out on/);
    }
  }
  assert.ok(f.rates.some((r) => r.runs_out_at), 'fred spent: his credits run out');
  await shot(page, 'balance_forecast');
  await page.context().close();
});
