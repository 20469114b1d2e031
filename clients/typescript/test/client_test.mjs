// The TypeScript client against a real `tally serve` (started and stopped here, manual clock):
// every operation of docs/openapi.yaml, exactly-once retries, typed problems, paging, end-user
// tokens. Every reply the server sends during the run is also checked against the spec: a
// field the server writes and the spec does not name fails the last test. Run by ctest:
//
//   node client_test.mjs --tally <tally> --dist <tsc output> --spec docs/openapi.yaml
//                        [--node-share /usr/share/nodejs]
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {parseArgs, startServer} from './server.mjs';
import {loadSpec} from './spec.mjs';

const args = parseArgs(process.argv.slice(2));
const sdk = await import(pathToFileURL(path.join(args.dist, 'index.js')));
const {TallyClient, toMicro, formatCredits, parseJson} = sdk;
const spec = loadSpec(args.spec, args['node-share']);

let server;
let admin;
const replies = [];  // every reply of the run: [method, url path, status, body text]

// The global fetch, recording each reply for the spec check.
const recordingFetch = async (url, init) => {
  const r = await fetch(url, init);
  replies.push([init.method, new URL(url).pathname, r.status, await r.clone().text()]);
  return r;
};

const client = (apiKey, extra = {}) => new TallyClient({
  baseUrl: server.baseUrl, apiKey, fetch: recordingFetch,
  retry: {baseDelayMs: 5, maxDelayMs: 50}, ...extra});

const t0 = '2030-01-01T00:00:00Z';

before(async () => {
  server = await startServer({tally: args.tally});
  admin = client(server.adminKey);
  await admin.setClock({now: t0});
  await admin.openAccount({id: 'ana'});
  await admin.grantCredits('ana', {amount: 500_000_000n, reason: 'test credits'});
});

after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'tally serve exits 0 on SIGTERM');
});

test('amounts: decimal strings and bigint micro-credits, never numbers', () => {
  assert.equal(toMicro('12.5'), 12_500_000n);
  assert.equal(toMicro('-0.000001'), -1n);
  assert.equal(formatCredits(12_500_000n), '12.5');
  assert.equal(formatCredits(-1n), '-0.000001');
  assert.equal(formatCredits(1_000_000_000_000n * 1_000_000n), '1000000000000');
  assert.throws(() => toMicro('1.0000001'), RangeError);
  // 10^18 micro-credits survive parsing exactly (a JS number would not).
  assert.equal(parseJson('{"a_micro": 999999999999999999, "n": 5}').a_micro, 999_999_999_999_999_999n);
  assert.equal(parseJson('{"s": "x_micro\\": 5", "b_micro":-7}').b_micro, -7n);
});

test('an amount given as a number is refused before any request', async () => {
  const before = replies.length;
  await assert.rejects(admin.createSpend({account: 'ana', amount: 5}), TypeError);
  assert.equal(replies.length, before);
});

test('catalog, health and metrics need no credential', async () => {
  const anon = client(undefined);
  assert.equal((await anon.health()).status, 'ok');
  const pricing = await anon.getPricing();
  assert.ok(pricing.tools.length > 0);
  assert.ok((await anon.getPlans()).plans.some((p) => p.id === 'free'));
  assert.ok((await anon.getPacks()).packs.some((p) => p.id === 'medium'));
  assert.match(await anon.metrics(), /^# (HELP|TYPE) /m);
  await assert.rejects(anon.getAccount('ana'), sdk.Unauthorized);
});

test('accounts: open, read, balance; a taken id is AccountExists, a missing one NotFound', async () => {
  const a = await admin.openAccount({id: 'bo', plan: 'plus'});
  assert.equal(a.id, 'bo');
  assert.equal(a.plan, 'plus');
  assert.equal(typeof a.balance.available_micro, 'bigint');
  assert.equal(a.balance.available_micro, toMicro(a.balance.available));
  await assert.rejects(admin.openAccount({id: 'bo'}), sdk.AccountExists);
  await assert.rejects(admin.getAccount('nobody'), (e) => e instanceof sdk.NotFound && e.status === 404);
  const b = await admin.getBalance('ana');
  assert.equal(b.as_of, t0);
  const past = await admin.getBalance('ana', {as_of: '2029-12-31T00:00:00Z'});
  assert.equal(past.available_micro, 0n);
});

test('grant: a bigint is micro-credits, a string is credits', async () => {
  const lot = await admin.grantCredits('bo', {amount: '2.5', reason: 'promo', source: 'promo', valid_for: 'P30D'});
  assert.equal(lot.amount, '2.5');
  assert.equal(lot.amount_micro, 2_500_000n);
  assert.equal(lot.source, 'promo');
  const never = await admin.grantCredits('bo', {amount: 1_000_001n, reason: 'x', never_expires: true});
  assert.equal(never.amount, '1.000001');
  assert.equal(never.expires_at, null);
});

test('quote, hold, capture with actual usage, spend and refund', async () => {
  const q = await admin.quote({tool: 'video', params: {resolution: '720p', seconds: 4}, account: 'ana'});
  assert.equal(q.total, '20');
  assert.ok(q.breakdown.length >= 2);
  const hold = await admin.createHold({account: 'ana', tool: 'video', params: {resolution: '720p', seconds: 4}});
  assert.equal(hold.state, 'active');
  assert.equal(hold.amount_micro, 20_000_000n);
  assert.equal(hold.quote.total, '20');
  assert.equal((await admin.getHold(hold.id)).state, 'active');
  const cap = await admin.captureHold(hold.id, {usage: {seconds: 3}});
  assert.equal(cap.captured, '15');
  assert.equal(cap.released, '5');
  const finished = await admin.getHold(hold.id);
  assert.equal(finished.state, 'captured');
  assert.equal(finished.spend, cap.spend);
  await assert.rejects(admin.captureHold(hold.id), sdk.HoldNotActive);
  const spend = await admin.getSpend(cap.spend);
  assert.equal(spend.amount, '15');
  const refund = await admin.refundSpend(cap.spend, {amount: 3_000_000n, reason: 'partly broken'});
  assert.equal(refund.refunded, '3');
  assert.equal(refund.refunded_total, '3');
  await assert.rejects(admin.refundSpend(cap.spend, {amount: '13', reason: 'too much'}), sdk.RefundExceedsSpend);
  await assert.rejects(admin.getSpend('999999'), sdk.NotFound);
  // Issue 19: the capture's spend is marked once; another outcome is a conflict.
  assert.equal(spend.outcome, null);
  const marked = await admin.markSpendOutcome(cap.spend, {outcome: 'usable'});
  assert.deepEqual(marked, {spend: cap.spend, outcome: 'usable', changed: true});
  assert.equal((await admin.markSpendOutcome(cap.spend, {outcome: 'usable'})).changed, false);
  await assert.rejects(admin.markSpendOutcome(cap.spend, {outcome: 'rejected'}), sdk.OutcomeConflict);
  assert.equal((await admin.getSpend(cap.spend)).outcome, 'usable');
});

test('hold by amount and release; a one-shot spend; an included job', async () => {
  const hold = await admin.createHold({account: 'ana', amount: '7', tool: 'upscale', ttl_s: 60});
  const rel = await admin.releaseHold(hold.id, {reason: 'job failed'});
  assert.equal(rel.state, 'released');
  assert.equal(rel.released_micro, 7_000_000n);
  assert.equal(rel.restored.to_lots, '7');
  await assert.rejects(admin.releaseHold(hold.id), sdk.HoldNotActive);
  const spend = await admin.createSpend({account: 'ana', amount: '1.5', tool: 'upscale'});
  assert.equal(spend.amount_micro, 1_500_000n);
  const included = await admin.createSpend({account: 'ana', tool: 'chat', params: {model: 'standard'}});
  assert.equal(included.state, 'included');
  assert.equal(included.id, null);
  await assert.rejects(admin.quote({tool: 'nope', params: {}}), sdk.UnknownTool);
  await assert.rejects(admin.quote({tool: 'video', params: {resolution: '9k', seconds: 1}}), sdk.PricingError);
});

test('InsufficientCredits carries the shortfall, nothing is taken', async () => {
  const before = (await admin.getAccount('ana')).balance.available_micro;
  const err = await admin.createSpend({account: 'ana', amount: before + 2_000_000n}).catch((e) => e);
  assert.ok(err instanceof sdk.InsufficientCredits, String(err));
  assert.equal(err.status, 402);
  assert.equal(err.shortfall, '2');
  assert.equal(err.shortfallMicro, 2_000_000n);
  assert.equal((await admin.getAccount('ana')).balance.available_micro, before);
});

test('exactly once: one key per call, the same key on its retries, conflict on another body', async () => {
  const a = await admin.createHold({account: 'ana', amount: '1'}, {idempotencyKey: 'job-77'});
  const b = await admin.createHold({account: 'ana', amount: '1'}, {idempotencyKey: 'job-77'});
  assert.equal(a.id, b.id);
  await assert.rejects(admin.createHold({account: 'ana', amount: '2'}, {idempotencyKey: 'job-77'}),
                       sdk.IdempotencyConflict);
  // Two calls without a key are two holds.
  const c = await admin.createHold({account: 'ana', amount: '1'});
  const d = await admin.createHold({account: 'ana', amount: '1'});
  assert.notEqual(c.id, d.id);
});

test('a reply lost after the server acted: the retry sends the same key and acts once', async () => {
  const keys = [];
  let calls = 0;
  const lossy = async (url, init) => {
    keys.push(init.headers['Idempotency-Key']);
    const r = await recordingFetch(url, init);
    if (++calls === 1) throw new TypeError('fetch failed (connection reset)');
    return r;
  };
  const holdsBefore = (await admin.getAccount('ana')).open_holds;
  const flaky = client(server.adminKey, {fetch: lossy});
  const hold = await flaky.createHold({account: 'ana', amount: '3'});
  assert.equal(keys.length, 2);
  assert.ok(keys[0]);
  assert.equal(keys[0], keys[1]);
  assert.equal((await admin.getAccount('ana')).open_holds, holdsBefore + 1);
  assert.equal((await admin.getHold(hold.id)).amount, '3');
});

test('503 and 5xx are retried with backoff, 4xx never', async () => {
  let calls = 0;
  const busy = async (url, init) => {
    if (++calls <= 2) {
      return new Response(JSON.stringify({type: 'unavailable', title: 'Unavailable', status: 503, detail: 'shutting down'}),
                          {status: 503, headers: {'content-type': 'application/problem+json'}});
    }
    return recordingFetch(url, init);
  };
  assert.equal((await client(server.adminKey, {fetch: busy}).getAccount('ana')).id, 'ana');
  assert.equal(calls, 3);
  calls = 0;
  const counting = async (url, init) => (++calls, recordingFetch(url, init));
  await assert.rejects(client(server.adminKey, {fetch: counting}).getHold('424242'), sdk.NotFound);
  assert.equal(calls, 1);
  calls = 0;
  const down = async () => (++calls, Promise.reject(new TypeError('fetch failed')));
  await assert.rejects(client(server.adminKey, {fetch: down, retry: {maxRetries: 2, baseDelayMs: 1}}).health(),
                       sdk.ConnectionError);
  assert.equal(calls, 3);
  calls = 0;
  const always500 = async () => (++calls, new Response('{"type":"internal","title":"Internal","status":500,"detail":"x"}',
                                                       {status: 500, headers: {'content-type': 'application/problem+json'}}));
  await assert.rejects(client(server.adminKey, {fetch: always500, retry: {maxRetries: 1, baseDelayMs: 1}}).health(),
                       sdk.Internal);
  assert.equal(calls, 2);
});

test('purchases: payment_ref credits once; void a purchase and a lot', async () => {
  const body = {account: 'bo', pack: 'medium', currency: 'USD', payment_ref: 'pi_ts_1'};
  const p = await admin.createPurchase(body);
  assert.equal(p.credits, '500');
  assert.equal(p.price.amount, '39.99');
  assert.equal((await admin.createPurchase(body)).id, p.id);
  await assert.rejects(admin.createPurchase({...body, account: 'ana'}), sdk.PaymentRefUsed);
  const v = await admin.voidPurchase(p.id, {reason: 'charge-back'});
  assert.equal(v.purchase, p.id);
  await assert.rejects(admin.voidPurchase(p.id, {reason: 'again'}), sdk.LotVoided);
  const lot = await admin.grantCredits('bo', {amount: '4', reason: 'to void'});
  const lv = await admin.voidLot(lot.id, {reason: 'granted by mistake'});
  assert.equal(lv.voided, '4');
});

test('subscriptions and daily rewards', async () => {
  const s = await admin.subscribe('bo', {plan: 'pro'});
  assert.equal(s.plan, 'pro');
  assert.equal((await admin.markPastDue('bo')).state, 'past_due');
  assert.equal((await admin.resumeSubscription('bo')).state, 'active');
  const c = await admin.cancelSubscription('bo');
  assert.equal(c.state, 'cancelling');
  assert.equal(c.cancel_at_period_end, true);
  await admin.openAccount({id: 'cy', plan: null});
  await assert.rejects(admin.cancelSubscription('cy'), sdk.NotSubscribed);
  const r = await admin.claimDailyReward('bo');
  assert.equal(typeof r.amount_micro, 'bigint');
  await assert.rejects(admin.claimDailyReward('bo'), sdk.AlreadyClaimed);
});

// The spec's resumeSubscription is "back to active (payment recovered, or a cancellation
// withdrawn)".
test('resume withdraws a cancellation', async () => {
  await admin.openAccount({id: 'dee', plan: 'plus'});
  await admin.cancelSubscription('dee');
  assert.equal((await admin.resumeSubscription('dee')).state, 'active');
});

test('history: the async iterator walks every page, oldest first', async () => {
  const all = (await admin.listEntries('ana', {limit: 1000})).entries;
  assert.ok(all.length > 6, `${all.length} entries`);
  const seen = [];
  for await (const e of admin.entries('ana', {limit: 2})) seen.push(e);
  assert.deepEqual(seen.map((e) => e.seq), all.map((e) => e.seq));
  assert.ok(seen.every((e, i) => i === 0 || e.seq > seen[i - 1].seq));
  const page = await admin.listEntries('ana', {limit: 2});
  assert.equal(page.entries.length, 2);
  assert.equal(page.next_after, page.entries[1].seq);
  const rest = [];
  for await (const e of admin.entries('ana', {after: page.next_after})) rest.push(e.seq);
  assert.deepEqual(rest, all.slice(2).map((e) => e.seq));
});

test('end-user tokens read only their own account', async () => {
  const t = await admin.createToken('ana', {ttl_s: 600});
  assert.equal(t.account, 'ana');
  assert.match(t.url, /#token=/);
  const user = admin.forUser(t);
  assert.equal((await user.getAccount('ana')).id, 'ana');
  assert.equal(typeof (await user.getBalance('ana')).total_micro, 'bigint');
  assert.ok((await user.listEntries('ana')).entries.length > 0);
  await assert.rejects(user.getAccount('bo'), sdk.Forbidden);
  await assert.rejects(user.createSpend({account: 'ana', amount: '1'}), sdk.Forbidden);
  await admin.setClock({now: '2030-01-01T00:20:00Z'});
  await assert.rejects(user.getAccount('ana'), sdk.Unauthorized);
});

test('service keys: everything but grants, voids, keys and the clock', async () => {
  const k = await admin.createKey({name: 'worker'});
  assert.equal(k.scope, 'service');
  const service = admin.withApiKey(k.key);
  assert.equal((await service.getAccount('ana')).id, 'ana');
  await assert.rejects(service.grantCredits('ana', {amount: '1', reason: 'no'}), sdk.Forbidden);
});

const plusSeconds = (time, s) => new Date(Date.parse(time) + s * 1000).toISOString().replace(/\.000Z$/, 'Z');

test('keys: scopes, an expiry, listed without secrets', async () => {
  const worker = await admin.createKey({name: 'ts-worker', scope: 'worker', expires_at: '2030-01-01T01:00:00Z'});
  assert.equal(worker.scope, 'worker');
  assert.equal(worker.expires_at, '2030-01-01T01:00:00Z');
  assert.equal(worker.last_used_at, null);
  const reader = await admin.createKey({name: 'ts-reader', scope: 'read'});
  const w = admin.withApiKey(worker.key);
  const r = admin.withApiKey(reader.key);
  assert.equal((await w.quote({tool: 'upscale', params: {}})).total, '3');
  await assert.rejects(w.getAccount('ana'), sdk.Forbidden);
  assert.equal((await r.getAccount('ana')).id, 'ana');
  await assert.rejects(r.createSpend({account: 'ana', amount: '1'}), sdk.Forbidden);
  const {keys} = await admin.listKeys();
  const listed = keys.find((k) => k.id === worker.id);
  assert.ok(keys.some((k) => k.id === 'admin'));
  assert.equal(listed.name, 'ts-worker');
  assert.equal(listed.expires_at, worker.expires_at);
  assert.equal(listed.last_used_at, '2030-01-01T00:20:00Z');
  assert.ok(keys.every((k) => !('key' in k)), 'a listed key has no secret');
  await assert.rejects(w.listKeys(), sdk.Forbidden);
});

test('keys: a revoked key is refused at once; a repeat is NotFound and is not retried', async () => {
  const k = await admin.createKey({name: 'ts-gone'});
  const service = admin.withApiKey(k.key);
  assert.equal((await service.getAccount('ana')).id, 'ana');
  const revoked = await admin.revokeKey(k.id);
  assert.equal(revoked.id, k.id);
  assert.equal(revoked.revoked_at, '2030-01-01T00:20:00Z');
  await assert.rejects(service.getAccount('ana'), sdk.Unauthorized);
  assert.ok(!(await admin.listKeys()).keys.some((x) => x.id === k.id));
  let calls = 0;
  const counting = async (url, init) => (++calls, recordingFetch(url, init));
  await assert.rejects(client(server.adminKey, {fetch: counting}).revokeKey(k.id), sdk.NotFound);
  await assert.rejects(admin.revokeKey('admin'), sdk.InvalidRequest);
  // A lost answer to a rotation is not retried: a retry would mint another secret.
  calls = 0;
  const lossy = async (url, init) => { ++calls; await recordingFetch(url, init); throw new TypeError('fetch failed'); };
  const other = await admin.createKey({name: 'ts-lossy'});
  await assert.rejects(client(server.adminKey, {fetch: lossy}).rotateKey(other.id, {overlap_s: 0}), sdk.ConnectionError);
  assert.equal(calls, 1);
});

test('keys: rotation keeps the old secret for the overlap, then refuses it', async () => {
  const k = await admin.createKey({name: 'ts-rotated', scope: 'read'});
  const expiring = await admin.createKey({name: 'ts-expiring', expires_at: '2030-01-01T00:21:00Z'});
  const rotated = await admin.rotateKey(k.id, {overlap_s: 60});
  assert.equal(rotated.id, k.id);
  assert.equal(rotated.scope, 'read');
  assert.notEqual(rotated.key, k.key);
  assert.equal(rotated.previous_valid_until, '2030-01-01T00:21:00Z');
  const old = admin.withApiKey(k.key);
  const fresh = admin.withApiKey(rotated.key);
  assert.equal((await old.getAccount('ana')).id, 'ana');
  assert.equal((await fresh.getAccount('ana')).id, 'ana');
  assert.equal((await admin.withApiKey(expiring.key).getAccount('ana')).id, 'ana');
  await admin.setClock({now: plusSeconds(rotated.previous_valid_until, 1)});
  await assert.rejects(old.getAccount('ana'), sdk.Unauthorized);
  assert.equal((await fresh.getAccount('ana')).id, 'ana');
  await assert.rejects(admin.withApiKey(expiring.key).getAccount('ana'), sdk.Unauthorized);
});

test('tokens: one revoked by its id, then all of the account', async () => {
  const one = await admin.createToken('ana');
  const two = await admin.createToken('ana');
  assert.match(one.id, /^[0-9a-f]{16}$/);
  assert.notEqual(one.id, two.id);
  const r = await admin.revokeTokens('ana', {token_id: one.id});
  assert.deepEqual([r.account, r.token_id, r.all], ['ana', one.id, false]);
  await assert.rejects(admin.forUser(one).getAccount('ana'), sdk.Unauthorized);
  assert.equal((await admin.forUser(two).getAccount('ana')).id, 'ana');
  const all = await admin.revokeTokens('ana', {all: true});
  assert.deepEqual([all.token_id, all.all], [null, true]);
  await assert.rejects(admin.forUser(two).getBalance('ana'), sdk.Unauthorized);
  await assert.rejects(admin.revokeTokens('nobody', {all: true}), sdk.NotFound);
});

test('accounts: listed by prefix and plan, a page at a time', async () => {
  const ids = ['ls-a', 'ls-b', 'ls-c', 'ls-d', 'ls-e'];
  for (const [i, id] of ids.entries()) await admin.openAccount({id, plan: i % 2 ? 'plus' : 'free'});
  const first = await admin.listAccounts({prefix: 'ls-', limit: 2});
  assert.deepEqual(first.accounts.map((a) => a.id), ['ls-a', 'ls-b']);
  assert.equal(first.next_cursor, 'ls-b');
  assert.equal(typeof first.accounts[0].balance.available_micro, 'bigint');
  assert.equal(first.accounts[0].open_holds, 0);
  const seen = [];
  for await (const a of admin.accounts({prefix: 'ls-', limit: 2})) seen.push(a.id);
  assert.deepEqual(seen, ids);
  const plus = [];
  for await (const a of admin.accounts({prefix: 'ls-', plan: 'plus', limit: 1})) plus.push(a.id);
  assert.deepEqual(plus, ['ls-b', 'ls-d']);
  assert.equal((await admin.listAccounts({prefix: 'ls-', limit: 1000})).next_cursor, null);
});

test('batch: one round trip, keys generated for changes, micro-credits exact', async () => {
  const reply = await admin.batch({requests: [
    {method: 'GET', path: '/v1/accounts/ana'},
    {method: 'POST', path: '/v1/spends', body: {account: 'ana', amount: 250_000n}},
    {method: 'POST', path: '/v1/spends', body: {account: 'nobody', amount: '1'}},
  ]});
  assert.deepEqual(reply.responses.map((r) => r.status), [200, 201, 404]);
  assert.equal(reply.responses[1].body.amount_micro, 250_000n);
  assert.equal(reply.responses[2].body.type, 'not_found');
});

test('events and alerts: settings round trip, a crossing becomes one event, pages', async () => {
  await admin.openAccount({id: 'ev-ts', plan: null});
  const plans = await admin.getAlerts('ev-ts');
  assert.equal(plans.low_balance_from, 'plan');
  const set = await admin.setAlerts('ev-ts', {low_balance: 50_000_000n, expiring_notice: 'P3D'});
  assert.equal(set.low_balance, '50');
  assert.equal(set.low_balance_micro, 50_000_000n);
  assert.equal(set.expiring_notice, 'P3D');
  assert.equal(set.expiring_notice_from, 'account');
  assert.deepEqual(await admin.getAlerts('ev-ts'), set);
  await admin.grantCredits('ev-ts', {amount: '100', reason: 'seed', valid_for: 'P2D'});
  await admin.createSpend({account: 'ev-ts', amount: '60'});
  await admin.createSpend({account: 'ev-ts', amount: '1'});  // still below: no second event
  const page = await admin.listAccountEvents('ev-ts');
  assert.deepEqual(page.events.map((e) => e.type), ['credits.expiring', 'balance.low']);
  assert.equal(page.has_more, false);
  assert.equal(page.next_after, page.events[1].id);
  assert.equal(page.events[1].data.available, '40');
  assert.equal(page.events[1].data.threshold, '50');
  const one = await admin.listAccountEvents('ev-ts', {limit: 1});
  assert.equal(one.has_more, true);
  const walked = [];
  for await (const e of admin.events({account: 'ev-ts', limit: 1})) walked.push(e.id);
  assert.deepEqual(walked, page.events.map((e) => e.id));
  const lows = [];
  for await (const e of admin.events({types: ['balance.low'], limit: 2})) lows.push(e);
  assert.deepEqual(lows.filter((e) => e.account === 'ev-ts').map((e) => e.id), [page.events[1].id]);
  const feed = await admin.listEvents({types: 'credits.expiring,balance.low', limit: 1000});
  assert.ok(feed.events.some((e) => e.id === page.events[0].id));
  assert.equal(typeof feed.next_after, 'string');
  const off = await admin.setAlerts('ev-ts', {low_balance: '0', expiring_notice: null});
  assert.equal(off.low_balance, null);
  assert.equal(off.expiring_notice_from, 'plan');
  await assert.rejects(admin.listEvents({types: 'balance.lowish'}), sdk.InvalidRequest);
  await assert.rejects(admin.getAlerts('nobody-ts'), sdk.NotFound);
});

test('webhook endpoints: registered, listed, rotated, enabled, their deliveries, a redelivery, deleted', async () => {
  // Port 9 refuses connections: every attempt fails and is recorded.
  const made = await admin.createWebhook({url: 'http://127.0.0.1:9/hook', event_types: ['balance.depleted'],
                                          description: 'ts-client'});
  assert.match(made.secret, /^whsec_/);
  assert.equal(made.status, 'enabled');
  await admin.openAccount({id: 'wh-ts'});
  const a = await admin.getAccount('wh-ts');
  await admin.createSpend({account: 'wh-ts', amount: a.balance.available});
  const [event] = (await admin.listAccountEvents('wh-ts', {types: 'balance.depleted'})).events;
  let log = await admin.listWebhookDeliveries(made.id, {limit: 10});
  for (let i = 0; i < 100 && !log.deliveries.length; ++i) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    log = await admin.listWebhookDeliveries(made.id, {limit: 10});
  }
  assert.equal(log.deliveries[0].event, event.id);
  assert.equal(log.deliveries[0].delivered, false);
  assert.equal(log.deliveries[0].status, null);
  assert.match(log.deliveries[0].error, /refused/);
  assert.equal((await admin.getWebhook(made.id)).status, 'failing');
  assert.ok((await admin.listWebhooks()).webhooks.some((w) => w.id === made.id));
  const rotated = await admin.rotateWebhookSecret(made.id, {overlap_s: 0});
  assert.notEqual(rotated.secret, made.secret);
  assert.equal(rotated.previous_secret_valid_until, null);
  assert.deepEqual(await admin.redeliverWebhookEvent(made.id, event.id),
                   {webhook: made.id, event: event.id, queued: true});
  assert.equal((await admin.enableWebhook(made.id)).id, made.id);
  const platform = await admin.listPlatformEvents({limit: 10});
  assert.ok(Array.isArray(platform.events));
  assert.equal(platform.has_more, false);
  await assert.rejects(admin.listPlatformEvents({after: '12'}), sdk.InvalidRequest);
  assert.equal((await admin.deleteWebhook(made.id)).id, made.id);
  await assert.rejects(admin.getWebhook(made.id), sdk.NotFound);
});

test('auto top-up: asked below the threshold, completed by the purchase with its payment_ref', async () => {
  await admin.openAccount({id: 'at-ts', plan: null});
  const on = await admin.setAutoTopup('at-ts', {below: 10_000_000n, pack: 'small', currency: 'USD'});
  assert.equal(on.enabled, true);
  assert.equal(on.below, '10');
  assert.equal(on.below_micro, 10_000_000n);
  assert.equal(on.price, '9.99');
  assert.ok(on.request, 'an account with nothing is asked at once');
  assert.equal(on.request.payment_ref, `auto_topup_${on.request.id}`);
  const asked = [];
  for await (const e of admin.events({account: 'at-ts', types: ['auto_topup.requested']})) asked.push(e);
  assert.equal(asked.length, 1);
  assert.equal(asked[0].data.payment_ref, on.request.payment_ref);
  await admin.createPurchase({account: 'at-ts', pack: 'small', currency: 'USD',
                              payment_ref: on.request.payment_ref});
  const done = await admin.getAutoTopup('at-ts');
  assert.equal(done.request, null);
  await admin.createSpend({account: 'at-ts', amount: '95'});
  const again = (await admin.getAutoTopup('at-ts')).request;
  assert.ok(again && again.id !== on.request.id);
  const failed = await admin.failAutoTopup(again.id, {reason: 'card declined'});
  assert.equal(failed.failures, 1);
  assert.equal(typeof failed.retry_at, 'string');
  await assert.rejects(admin.cancelAutoTopup(again.id), sdk.NotFound);
  const off = await admin.disableAutoTopup('at-ts');
  assert.equal(off.enabled, false);
  await assert.rejects(admin.setAutoTopup('at-ts', {below: '5', pack: 'mega', currency: 'USD'}),
                       sdk.InvalidRequest);
});

test('team accounts: members, budgets, a debit refused by a hard budget with its figures', async () => {
  // The built-in configuration's `pro` plan allows teams of up to 5 members.
  const team = await admin.openAccount({id: 'team-ts', plan: 'pro', kind: 'team', owner: 'olu'});
  assert.equal(team.kind, 'team');
  assert.equal((await admin.openAccount({id: 'solo-ts'})).kind, 'personal');
  assert.ok((await admin.listAccounts({prefix: 'team-ts'})).accounts.every((a) => a.kind === 'team'));
  assert.deepEqual((await admin.listAccounts({prefix: 'team-ts', kind: 'team'})).accounts.map((a) => a.id), ['team-ts']);
  assert.deepEqual((await admin.listAccounts({prefix: 'team-ts', kind: 'personal'})).accounts, []);
  const ben = await admin.addMember('team-ts', {user: 'ben'});
  assert.deepEqual([ben.account, ben.user, ben.role], ['team-ts', 'ben', 'member']);
  await admin.addMember('team-ts', {user: 'cy', role: 'viewer'});
  await assert.rejects(admin.addMember('team-ts', {user: 'ben', role: 'admin'}), sdk.MemberExists);
  assert.equal((await admin.setMemberRole('team-ts', 'cy', {role: 'admin'})).role, 'admin');
  assert.equal((await admin.removeMember('team-ts', 'cy')).role, 'admin');
  await assert.rejects(admin.removeMember('team-ts', 'cy'), sdk.NotAMember);
  await assert.rejects(admin.removeMember('team-ts', 'olu'), sdk.InvalidRequest);  // the last owner
  const {members} = await admin.listMembers('team-ts');
  assert.deepEqual(members.map((m) => [m.user, m.role]), [['olu', 'owner'], ['ben', 'member']]);
  for (const user of ['d1', 'd2', 'd3']) await admin.addMember('team-ts', {user});
  await assert.rejects(admin.addMember('team-ts', {user: 'd4'}), sdk.LimitExceeded);

  const made = await admin.addBudget('team-ts', {id: 'ben-day', member: 'ben', limit: 10_000_000n, period: 'P1D'});
  assert.deepEqual([made.member, made.project, made.limit, made.limit_micro, made.used, made.left, made.mode],
                   ['ben', null, '10', 10_000_000n, '0', '10', 'hard']);
  await assert.rejects(admin.addBudget('team-ts', {id: 'ben-day', project: 'site', limit: '1', period: 'P1W'}),
                       sdk.BudgetExists);
  const hold = await admin.createHold({account: 'team-ts', amount: '4', member: 'ben', project: 'site'});
  const spend = await admin.createSpend({account: 'team-ts', amount: '5', member: 'ben', project: 'site'});
  const before = (await admin.getAccount('team-ts')).balance;
  const err = await admin.createSpend({account: 'team-ts', amount: '3', member: 'ben'}).catch((e) => e);
  assert.ok(err instanceof sdk.BudgetExceeded, String(err));
  assert.ok(!(err instanceof sdk.InsufficientCredits));
  assert.equal(err.status, 402);
  assert.deepEqual([err.budget.id, err.budget.limit, err.budget.used, err.budget.left],
                   ['ben-day', '10', '9', '1']);
  assert.equal(err.budget.left_micro, 1_000_000n);
  assert.equal(err.shortfall, '2');
  assert.equal(err.shortfallMicro, 2_000_000n);
  assert.deepEqual((await admin.getAccount('team-ts')).balance, before);
  await assert.rejects(admin.createSpend({account: 'team-ts', amount: '1', member: 'zed'}),
                       (e) => e instanceof sdk.NotAMember && e instanceof sdk.Forbidden && e.status === 403);
  await assert.rejects(admin.createSpend({account: 'team-ts', amount: '1'}), sdk.InvalidRequest);
  await assert.rejects(admin.createSpend({account: 'solo-ts', amount: '1', member: 'ben'}), sdk.InvalidRequest);

  // A release and a refund give budget back.
  await admin.releaseHold(hold.id);
  await admin.refundSpend(spend.id, {reason: 'bad output'});
  const read = await admin.getBudget('team-ts', 'ben-day');
  assert.deepEqual([read.used, read.left, read.exceeded], ['0', '10', false]);
  const listed = await admin.listBudgets('team-ts', {member: 'ben', project: 'site'});
  assert.deepEqual(listed.budgets.map((b) => b.id), ['ben-day']);
  assert.deepEqual((await admin.listBudgets('team-ts', {member: 'olu'})).budgets, []);
  const soft = await admin.updateBudget('team-ts', 'ben-day', {limit: 1_000_000n, mode: 'soft'});
  assert.deepEqual([soft.limit, soft.mode], ['1', 'soft']);
  await admin.createSpend({account: 'team-ts', amount: '2', member: 'ben'});
  const crossed = await admin.getBudget('team-ts', 'ben-day');
  assert.deepEqual([crossed.used, crossed.left, crossed.exceeded], ['2', '0', true]);
  assert.equal((await admin.removeBudget('team-ts', 'ben-day')).id, 'ben-day');
  await assert.rejects(admin.getBudget('team-ts', 'ben-day'), sdk.NotFound);

  // History and usage by member and project.
  const bens = (await admin.listEntries('team-ts', {member: 'ben'})).entries;
  assert.ok(bens.length > 0 && bens.every((e) => e.member === 'ben'));
  const usage = await admin.getTeamUsage('team-ts', {from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z'});
  assert.equal(usage.account, 'team-ts');
  assert.ok(usage.by_member.some((m) => m.member === 'ben'));
  assert.ok(usage.by_project.some((p) => p.project === 'site'));
  assert.equal(typeof (await admin.getPlans()).plans[0].team_members, 'number');

  // Reports (docs/reports.md): the finance report in JSON and CSV, and a forecast.
  const period = {from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', currency: 'USD'};
  const finance = await admin.getFinanceReport(period);
  assert.equal(finance.currency, 'USD');
  assert.ok(finance.free.some((f) => f.source === 'subscription'));
  const csv = await admin.getFinanceReportCsv(period);
  assert.ok(csv.startsWith('figure,source,credits,money,currency\n'), csv);
  const top = await admin.getTopAccounts({from: period.from, to: period.to, limit: 100});
  assert.ok(top.accounts.some((a) => a.account === 'team-ts'), top.accounts.map((a) => a.account).join());
  const forecast = await admin.getForecast('team-ts', {currency: 'USD'});
  assert.deepEqual(forecast.rates.map((r) => r.window_days), [7, 30]);
  assert.ok(['stay', 'buy_packs', 'upgrade'].includes(forecast.advice.kind));

  // A member's token reads what the member's role allows, at each request.
  const t = await admin.createToken('team-ts', {member: 'ben'});
  assert.deepEqual([t.account, t.member], ['team-ts', 'ben']);
  const asBen = admin.withApiKey(t.token);
  assert.deepEqual((await asBen.listMembers('team-ts')).members.map((m) => m.user), ['ben']);
  await assert.rejects(asBen.listAccountEvents('team-ts'), sdk.Forbidden);
  await admin.removeMember('team-ts', 'ben');
  await assert.rejects(asBen.getAccount('team-ts'), sdk.NotAMember);
  await assert.rejects(admin.createToken('team-ts', {member: 'zed'}), sdk.NotAMember);
  assert.equal((await admin.createToken('team-ts')).member, null);
});

test('listAudit names the key and idempotency key of each change, filtered and paged', async () => {
  await admin.openAccount({id: 'audited'}, {idempotencyKey: 'ts-audit-open'});
  const page = await admin.listAudit({account: 'audited', key: 'admin', limit: 1});
  assert.equal(page.lines.length, 1);
  const line = page.lines[0];
  assert.equal(line.source, 'ledger');
  assert.equal(line.action, 'open_account');
  assert.equal(line.credential, 'key');
  assert.equal(line.key_id, 'admin');
  assert.equal(line.token_id, null);
  assert.equal(line.idempotency_key, 'ts-audit-open');
  assert.equal(line.account, 'audited');
  const rest = await admin.listAudit({account: 'audited', cursor: page.next_cursor});
  assert.deepEqual(rest.lines, []);
  assert.equal(rest.has_more, false);
  await assert.rejects(admin.listAudit({from: 'yesterday'}), sdk.InvalidRequest);
});

test('the clock moves forward only', async () => {
  const set = await admin.setClock({now: '2030-01-02T00:00:00Z'});
  assert.equal(set.now, '2030-01-02T00:00:00Z');
  await assert.rejects(admin.setClock({now: t0}), sdk.InvalidRequest);
});

test('reloadConfig reads the configuration again; a bad file is InvalidConfig and changes nothing', async () => {
  const again = await admin.reloadConfig();  // the built-in configuration: nothing changed
  assert.equal(again.generation, 1);
  assert.deepEqual(again.changed, []);
  assert.deepEqual(again.restart_required, []);
  assert.equal(again.price_book_added, false);
  assert.equal(again.price_book_in_force, again.price_book_version);

  // A server started with a file, which then breaks.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-ts-reload-'));
  const file = path.join(dir, 'tally.toml');
  const good = fs.readFileSync(path.join(path.dirname(args.spec), '..', 'config', 'default.toml'), 'utf8');
  fs.writeFileSync(file, good);
  const other = await startServer({tally: args.tally, config: file});
  try {
    const c = new TallyClient({baseUrl: other.baseUrl, apiKey: other.adminKey, fetch: recordingFetch});
    fs.writeFileSync(file, good + '\n[log]\nlevel = "loud"\n');
    await assert.rejects(c.reloadConfig(), (e) => {
      assert.ok(e instanceof sdk.InvalidConfig, String(e));
      assert.equal(e.status, 422);
      assert.equal(e.errors.length, 1);
      assert.ok(e.errors[0].startsWith(`${file}:`) && e.errors[0].includes('log.level'), e.errors[0]);
      assert.match(e.requestId ?? '', /^[0-9a-f]{16}$/);
      return true;
    });
    fs.writeFileSync(file, good.replace('price = 1 },', 'price = 2 },').replace('"studio-2026-11-01"', '"studio-2026-12-01"')
      .replace('effective_at = 2026-11-01T00:00:00Z', 'effective_at = 2026-12-01T00:00:00Z'));
    const applied = await c.reloadConfig();
    assert.equal(applied.generation, 1);
    assert.deepEqual(applied.changed, ['price_book']);
    assert.equal(applied.price_book_version, 'studio-2026-12-01');
    assert.equal(applied.price_book_added, true);
    const stranger = new TallyClient({baseUrl: other.baseUrl, apiKey: 'tk_svc_nope', fetch: recordingFetch});
    await assert.rejects(stranger.reloadConfig(), sdk.Unauthorized);
  } finally {
    assert.equal(await other.stop(), 0);
    fs.rmSync(dir, {recursive: true, force: true});
  }
});

// Last: what the server said during the whole run, against the spec.
test('every reply of this run matches docs/openapi.yaml (no field the spec lacks)', () => {
  const problems = [];
  const ops = new Set();
  for (const [method, urlPath, status, text] of replies) {
    let body = text;
    try { body = parseJson(text); } catch { /* text/plain */ }
    problems.push(...spec.checkReply(method, urlPath, status, body));
    ops.add(spec.operationOf(method, urlPath)?.op.operationId);
  }
  assert.deepEqual([...new Set(problems)], []);
  const untested = spec.operations.map((o) => o.op.operationId).filter((id) => !ops.has(id));
  assert.deepEqual(untested, [], 'operations this test never called');
});
