/**
 * `npm run bench`: figures measured against a baseline in the same run, never absolute timings.
 * - `authtray token` wall time for a linked profile with a valid cached token, as a ratio to
 *   `node -e 0` (target ≤ 1.5×);
 * - token requests made by 1,000 concurrent callers at expiry (target 1);
 * - provider requests per link, after the code arrives (target 2);
 * - refresh requests per expiry for P processes × N callers sharing one Redis store (target 1).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '../main/accounts.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { openSharedStore } from '../main/store/shared.js';
import { startSandbox } from '../test/sandbox/provider.js';
import { BIN, cliEnv } from '../test/support/cli.js';
import { approve } from '../test/support/login.js';
import { startRedis } from '../test/support/services.js';
import { linkWith, runStorm, shareProfile } from '../test/support/storm.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const STORM_PROCESSES = Number(process.env.BENCH_STORM_PROCESSES ?? 8);
const STORM_CALLERS = Number(process.env.BENCH_STORM_CALLERS ?? 100);

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

    figures.push(await redisStorm(sandbox, settings));
  } finally {
    await sandbox.close();
    await rm(sandboxData, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }

  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) process.stdout.write(`${f.name.padEnd(width)}  ${f.value.padStart(6)}  target ${f.target.padEnd(7)} ${f.ok ? 'ok' : 'MISSED'}\n`);
  return figures.every((f) => f.ok) ? 0 : 1;
}

/** P processes × N callers at expiry, one sealed Redis store shared by two homes (two hosts). */
async function redisStorm(sandbox: Awaited<ReturnType<typeof startSandbox>>, settings: Parameters<Accounts['startLink']>[1]): Promise<Figure> {
  const redis = await startRedis();
  const homes = [await mkdtemp(join(tmpdir(), 'authtray-bench-host-a-')), await mkdtemp(join(tmpdir(), 'authtray-bench-host-b-'))];
  const key = randomBytes(32);
  const prefix = 'bench';
  const store = openSharedStore(redis.url, { key, prefix });
  try {
    const linker = new Accounts({ home: homes[0]!, openStore: () => store, defaultBackend: redis.url });
    await linkWith(linker, 'storm', settings, 'storm');
    await shareProfile(store, linker, homes[1]!, 'storm');
    const record = (await store.load('storm'))!;
    sandbox.stats.reset();
    const { tokens, errors } = await runStorm({
      url: redis.url, key, prefix, profile: 'storm', homes, now: record.expiresAt! + 1000, processes: STORM_PROCESSES, callers: STORM_CALLERS,
    });
    const refreshes = sandbox.stats.byGrant.refresh_token ?? 0;
    const failures = errors.length + Object.values(sandbox.stats.tokenErrors).reduce((a, b) => a + b, 0);
    return {
      name: `refresh requests per expiry, Redis, ${STORM_PROCESSES} processes × ${STORM_CALLERS} callers (${new Set(tokens).size} distinct token, ${failures} errors)`,
      value: String(refreshes),
      target: '1',
      ok: refreshes === 1 && failures === 0 && new Set(tokens).size === 1,
    };
  } finally {
    await store.close?.();
    await redis.stop();
    for (const home of homes) await rm(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
