// A generation pipeline on Tally, the way a Node worker runs it: quote a job and show its
// breakdown, hold its cost, run the (fake) GPU job, capture the actual usage when it succeeds
// or release the hold when it fails, then print the account's history.
//
//   tsc -p examples/typescript     # Debian's node-typescript; compiles the client with it
//   node examples/typescript/dist/examples/typescript/pipeline.js \
//       --server http://127.0.0.1:8080 --key "$(cat tally-data/admin.key)" \
//       [--account demo-ts] [--jobs 5] [--seed 7]
//
// (TALLY_SERVER and TALLY_KEY work too.) The fake GPU is driven by a seed: the same seed
// gives the same jobs, the same failures and the same usage. Each job's Idempotency-Keys are
// derived from the job id, so a worker that crashes and runs the job again cannot hold or
// capture twice.
import {
  AccountExists, Forbidden, InsufficientCredits, TallyClient, formatCredits,
  type Hold, type IncludedJob, type Quote,
} from '../../clients/typescript/src/index.js';

declare const process: {argv: string[]; env: Record<string, string | undefined>; exitCode?: number};

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const server = args.get('server') ?? process.env.TALLY_SERVER ?? 'http://127.0.0.1:8080';
const key = args.get('key') ?? process.env.TALLY_KEY;
const account = args.get('account') ?? 'demo-ts';
const jobs = Number(args.get('jobs') ?? '5');
const seed = Number(args.get('seed') ?? '7');

// mulberry32: a tiny seeded generator, so a run can be replayed.
function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(seed);

/** The fake GPU: fails one job in three; a success renders between half and all the seconds asked. */
async function renderVideo(seconds: number): Promise<{ok: true; seconds: number} | {ok: false; error: string}> {
  await new Promise((r) => setTimeout(r, 10));
  if (random() < 0.33) return {ok: false, error: 'CUDA out of memory'};
  return {ok: true, seconds: Math.max(1, Math.ceil(seconds * (0.5 + random() / 2)))};
}

function printQuote(q: Quote): void {
  console.log(`  quote ${q.tool} (price book ${q.price_book_version}${q.plan ? `, plan ${q.plan}` : ''})`);
  for (const line of q.breakdown) {
    console.log(`    ${(line.operation || line.kind).padEnd(14)} ${(line.label ?? '').padEnd(22)} = ${line.subtotal}`);
  }
  console.log(`    total ${q.total} credits`);
}

const isIncluded = (h: Hold | IncludedJob): h is IncludedJob => h.state === 'included';

async function main(): Promise<void> {
  const tally = new TallyClient({baseUrl: server, apiKey: key});
  try {
    await tally.openAccount({id: account}, {idempotencyKey: `open-${account}`});
  } catch (e) {
    if (!(e instanceof AccountExists)) throw e;
  }
  try {
    await tally.grantCredits(account, {amount: '200', reason: 'pipeline example'},
                             {idempotencyKey: `grant-${account}-${seed}`});
  } catch (e) {
    if (!(e instanceof Forbidden)) throw e;  // a service key cannot grant: use what is there
  }
  const start = await tally.getAccount(account);
  console.log(`account ${account}: ${start.balance.available} credits available`);

  const resolutions = ['480p', '720p', '1080p'];
  let spent = 0n;
  for (let i = 1; i <= jobs; ++i) {
    const job = `${account}-s${seed}-job${i}`;
    const params = {resolution: resolutions[Math.floor(random() * 3)], seconds: 2 + Math.floor(random() * 7)};
    console.log(`job ${i}: video ${params.resolution}, ${params.seconds} s`);
    printQuote(await tally.quote({tool: 'video', params, account}));

    let hold: Hold | IncludedJob;
    try {
      hold = await tally.createHold({account, tool: 'video', params, ttl_s: 600}, {idempotencyKey: `${job}-hold`});
    } catch (e) {
      if (!(e instanceof InsufficientCredits)) throw e;
      console.log(`  refused: ${e.shortfall} credits short`);
      continue;
    }
    if (isIncluded(hold)) {
      console.log('  included in the plan: nothing held');
      continue;
    }
    console.log(`  held ${hold.amount} credits (hold ${hold.id})`);
    const result = await renderVideo(params.seconds);
    if (result.ok) {
      const cap = await tally.captureHold(hold.id, {usage: {seconds: result.seconds}}, {idempotencyKey: `${job}-capture`});
      spent += cap.captured_micro;
      console.log(`  rendered ${result.seconds} s: captured ${cap.captured}, released ${cap.released} (spend ${cap.spend})`);
    } else {
      const rel = await tally.releaseHold(hold.id, {reason: result.error}, {idempotencyKey: `${job}-release`});
      console.log(`  failed (${result.error}): released ${rel.released}`);
    }
  }

  console.log('history:');
  for await (const e of tally.entries(account, {limit: 50})) {
    console.log(`  ${String(e.seq).padStart(4)} ${e.at} ${e.kind.padEnd(8)} ${e.amount.padStart(8)} ` +
                `held ${e.held.padStart(6)}  balance ${e.balance_after.padStart(7)}  ${e.tool ?? ''} ${e.reason}`.trimEnd());
  }
  const end = await tally.getAccount(account);
  console.log(`spent on jobs: ${formatCredits(spent)} credits; available now: ${end.balance.available}`);
}

main().catch((e) => {
  console.error(`pipeline: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
});
