// Webhooks through the TypeScript client against a real `tally serve` and a real receiver (a
// node:http server on 127.0.0.1, started and stopped here): every webhook method, and the
// signature check of docs/webhooks.md, taken from the file as written (transpiled with the
// TypeScript compiler), run on real signed deliveries. Run by ctest:
//
//   node webhooks_test.mjs --tally <tally> --dist <tsc output> --doc docs/webhooks.md
//                          --node-share /usr/share/nodejs
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';
import {parseArgs, startServer} from './server.mjs';

const args = parseArgs(process.argv.slice(2));
const sdk = await import(pathToFileURL(path.join(args.dist, 'index.js')));
const ts = createRequire(import.meta.url)(path.join(args['node-share'] ?? '/usr/share/nodejs', 'typescript'));

// verifyTallySignature from the TypeScript block of docs/webhooks.md.
async function docCheck() {
  const text = fs.readFileSync(args.doc, 'utf8');
  const blocks = [...text.matchAll(/```typescript\n([\s\S]*?)```/g)].map((m) => m[1])
    .filter((b) => b.includes('export function verifyTallySignature'));
  assert.equal(blocks.length, 1, 'docs/webhooks.md must have one TypeScript block defining verifyTallySignature');
  const js = ts.transpileModule(blocks[0], {compilerOptions: {module: ts.ModuleKind.ES2020, target: ts.ScriptTarget.ES2020}});
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tally-doc-')), 'verify.mjs');
  fs.writeFileSync(file, js.outputText);
  return (await import(pathToFileURL(file))).verifyTallySignature;
}

let server, admin, verify, receiver, receiverUrl;
const received = [];  // {headers, body (Buffer)}
let arrived = () => {};

before(async () => {
  verify = await docCheck();
  server = await startServer({tally: args.tally});
  admin = new sdk.TallyClient({baseUrl: server.baseUrl, apiKey: server.adminKey});
  receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({headers: req.headers, body: Buffer.concat(chunks)});
      res.writeHead(200, {'Content-Length': '0'}).end();
      arrived();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
});

after(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  assert.equal(await server.stop(), 0);
});

async function deliveries(n) {
  const deadline = Date.now() + 30000;
  while (received.length < n && Date.now() < deadline) {
    await new Promise((resolve) => {
      arrived = resolve;
      setTimeout(resolve, 200);
    });
  }
  assert.ok(received.length >= n, `${received.length} deliveries, expected ${n}`);
  return received;
}

test('a delivery is signed as the doc checks it, and every webhook method works', async () => {
  const made = await admin.createWebhook({url: receiverUrl, event_types: ['balance.depleted'], description: 'ts'});
  assert.match(made.secret, /^whsec_/);
  assert.deepEqual(made.event_types, ['balance.depleted']);
  await admin.openAccount({id: 'ts-hook'});
  const account = await admin.getAccount('ts-hook');
  await admin.createSpend({account: 'ts-hook', amount: account.balance.available});
  const [first] = await deliveries(1);
  assert.equal(first.headers['tally-webhook-id'], made.id);
  const signature = first.headers['tally-signature'];
  assert.equal(verify(signature, first.body, made.secret), true);
  assert.equal(verify(signature, first.body.toString('utf8'), made.secret), true);
  assert.equal(verify(signature, Buffer.concat([first.body, Buffer.from(' ')]), made.secret), false);
  assert.equal(verify(signature, first.body, made.secret + 'x'), false);
  const stale = signature.replace(/t=(\d+)/, (_m, t) => `t=${Number(t) - 301}`);
  assert.equal(verify(stale, first.body, made.secret), false, 'older than the 5-minute tolerance');

  const rotated = await admin.rotateWebhookSecret(made.id, {overlap_s: 600});
  assert.notEqual(rotated.secret, made.secret);
  assert.notEqual(rotated.previous_secret_valid_until, null);
  const queued = await admin.redeliverWebhookEvent(made.id, first.headers['tally-event-id']);
  assert.deepEqual(queued, {webhook: made.id, event: first.headers['tally-event-id'], queued: true});
  const [, again] = await deliveries(2);
  assert.deepEqual(again.body, first.body);
  assert.equal(verify(again.headers['tally-signature'], again.body, made.secret), true);
  assert.equal(verify(again.headers['tally-signature'], again.body, rotated.secret), true);

  // The attempt is recorded once the receiver answered: it may take a moment to show.
  let log = await admin.listWebhookDeliveries(made.id, {limit: 10});
  for (let i = 0; i < 200 && log.deliveries.length < 2; ++i) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    log = await admin.listWebhookDeliveries(made.id, {limit: 10});
  }
  assert.deepEqual(log.deliveries.map((d) => [d.redelivery, d.status, d.delivered]), [[true, 200, true], [false, 200, true]]);
  assert.ok((await admin.listWebhooks()).webhooks.some((w) => w.id === made.id));
  assert.equal((await admin.getWebhook(made.id)).description, 'ts');
  assert.equal((await admin.enableWebhook(made.id)).status, 'enabled');
  assert.equal((await admin.deleteWebhook(made.id)).id, made.id);
  await assert.rejects(admin.getWebhook(made.id), sdk.NotFound);
  await assert.rejects(admin.createWebhook({url: 'ftp://127.0.0.1/x'}), sdk.InvalidRequest);
});
