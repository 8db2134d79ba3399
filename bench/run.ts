/**
 * `npm run bench`: figures measured against a baseline in the same run, never absolute timings.
 * - `authtray token` wall time for a linked profile with a valid cached token, as a ratio to
 *   `node -e 0` (target ≤ 1.5×);
 * - token requests made by 1,000 concurrent callers at expiry (target 1);
 * - provider requests per link, after the code arrives (target 2);
 * - the window's JavaScript, gzipped (target ≤ 80 KB; bench/renderer-size.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '../main/accounts.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { startSandbox } from '../test/sandbox/provider.js';
import { BIN, cliEnv } from '../test/support/cli.js';
import { approve } from '../test/support/login.js';
import { rendererSizeFigure } from './renderer-size.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);

interface Figure {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time of one process run, in ms. */
function timeRun(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

async function main(): Promise<number> {
  const sandboxData = await mkdtemp(join(tmpdir(), 'authtray-bench-sandbox-'));
  const home = await mkdtemp(join(tmpdir(), 'authtray-bench-'));
  const sandbox = await startSandbox({ dataDir: sandboxData });
  const figures: Figure[] = [];
  try {
    const settings = { provider: 'oidc' as const, clientId: 'authtray-sandbox', issuer: sandbox.issuer, sandbox: true };

    // Provider requests per link, counted at the sandbox from the browser's redirect to "linked".
    const accounts = new Accounts({ home });
    const started = await accounts.startLink('bench', settings);
    const { redirectUrl } = await approve(started.url, { login: 'bench' });
    sandbox.stats.reset();
    await fetch(redirectUrl);
    await started.redirected;
    const perLink = Object.values(sandbox.stats.requests).reduce((a, b) => a + b, 0);
    figures.push({ name: 'provider requests per link (after the code)', value: String(perLink), target: '2', ok: perLink === 2 });

    // `authtray token` with a valid cached token vs a bare `node -e 0`, interleaved so both see the same machine.
    const env = cliEnv(home);
    timeRun([BIN, 'token', '--profile', 'bench'], env); // warm the file cache
    const cli: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(timeRun(['-e', '0'], env));
      cli.push(timeRun([BIN, 'token', '--profile', 'bench'], env));
    }
    const ratio = median(cli) / median(bare);
    figures.push({
      name: `authtray token / node -e 0 (median of ${RUNS}: ${median(cli).toFixed(1)} ms / ${median(bare).toFixed(1)} ms)`,
      value: `${ratio.toFixed(2)}×`,
      target: '≤ 1.5×',
      ok: ratio <= 1.5,
    });

    // 1,000 concurrent callers at expiry, in one process.
    const record = (await new PlaintextCredentialStore(join(home, 'credentials')).load('bench'))!;
    const later = new Accounts({ home, deps: { now: () => record.expiresAt! + 1000 } });
    sandbox.stats.reset();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => later.accessToken('bench')));
    const requests = sandbox.stats.tokenRequests;
    figures.push({
      name: `token requests for 1,000 concurrent callers at expiry (${new Set(tokens).size} distinct token handed out)`,
      value: String(requests),
      target: '1',
      ok: requests === 1,
    });

    figures.push(await rendererSizeFigure());
  } finally {
    await sandbox.close();
    await rm(sandboxData, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }

  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) process.stdout.write(`${f.name.padEnd(width)}  ${f.value.padStart(6)}  target ${f.target.padEnd(7)} ${f.ok ? 'ok' : 'MISSED'}\n`);
  return figures.every((f) => f.ok) ? 0 : 1;
}

process.exitCode = await main();
