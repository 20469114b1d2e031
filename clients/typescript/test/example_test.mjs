// Runs examples/typescript/pipeline.ts (compiled by tsc) against a real `tally serve`
// started and stopped here, and checks that what it printed is what the ledger says.
//
//   node example_test.mjs --tally <tally> --pipeline <compiled pipeline.js> --dist <client dist>
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {parseArgs, startServer} from './server.mjs';

const args = parseArgs(process.argv.slice(2));
const {TallyClient} = await import(pathToFileURL(path.join(args.dist, 'index.js')));
const server = await startServer({tally: args.tally, flags: []});
after(async () => assert.equal(await server.stop(), 0));

function run(seed) {
  const r = spawnSync(process.execPath, [args.pipeline, '--server', server.baseUrl, '--key', server.adminKey,
                                         '--account', `pipe-${seed}`, '--jobs', '6', '--seed', String(seed)],
                      {encoding: 'utf8', timeout: 60000});
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('the pipeline quotes, holds, captures or releases, and prints the history', async () => {
  const out = run(7);
  assert.match(out, /^ {4}total \d+(\.\d+)? credits$/m, 'a quote with its breakdown');
  assert.match(out, /^ {2}held \d+/m);
  assert.match(out, /^ {2}rendered \d+ s: captured /m, 'seed 7 has a job that succeeds');
  assert.match(out, /^ {2}failed \(CUDA out of memory\): released /m, 'seed 7 has a job that fails');
  assert.match(out, /^history:$/m);

  const tally = new TallyClient({baseUrl: server.baseUrl, apiKey: server.adminKey});
  const account = await tally.getAccount('pipe-7');
  const printed = /available now: (\S+)$/m.exec(out)[1];
  assert.equal(printed, account.balance.available);
  assert.equal(account.open_holds, 0, 'every hold was captured or released');
  const kinds = [];
  for await (const e of tally.entries('pipe-7')) kinds.push(e.kind);
  const historyLines = out.split('\n').filter((l) => /^ +\d+ \d{4}-/.test(l));
  assert.equal(historyLines.length, kinds.length, 'the printed history is the whole history');
  assert.ok(kinds.includes('capture') && kinds.includes('release'));
});

test('the same seed replays the same jobs, and a rerun acts once (keys derive from job ids)', async () => {
  const first = await new TallyClient({baseUrl: server.baseUrl, apiKey: server.adminKey}).getAccount('pipe-7');
  const again = run(7);
  const after = await new TallyClient({baseUrl: server.baseUrl, apiKey: server.adminKey}).getAccount('pipe-7');
  assert.equal(after.balance.available, first.balance.available);
  assert.match(again, /failed \(CUDA out of memory\)/);
});
