// Test support: starts a real `tally serve` on 127.0.0.1 (any free port: `--listen
// 127.0.0.1:0`, the address read back from its first line of stdout) with its own temporary
// data directory and admin key, and stops it with SIGTERM. The test that starts it stops it.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Options: tally (binary), config (TOML, optional), flags (extra serve flags). */
export async function startServer({tally, config, flags = ['--clock', 'manual'], adminKey = 'tk_admin_ts_test'}) {
  if (!tally || !fs.existsSync(tally)) throw new Error(`no tally binary at ${tally} (pass --tally)`);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-ts-'));
  const argv = ['serve', ...flags, '--data', data, '--listen', '127.0.0.1:0', '--shards', '2'];
  if (config) argv.push('--config', config);
  const child = spawn(tally, argv, {env: {...process.env, TALLY_ADMIN_KEY: adminKey},
                                    stdio: ['ignore', 'pipe', 'inherit']});
  let buffer = '';
  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tally serve did not start in 60 s')), 60000);
    child.once('exit', (code) => reject(new Error(`tally serve exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const m = /^tally: listening on (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(buffer);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  child.stdout.resume();
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(data, {recursive: true, force: true});
    return child.exitCode;
  };
  return {baseUrl, adminKey, stop};
}

/** `--name value` pairs of argv. */
export function parseArgs(argv) {
  return Object.fromEntries(argv.reduce((acc, a, i, all) =>
    (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
}
