/**
 * `npm run bench`: figures measured against a baseline in the same run, never absolute timings.
 * - provider requests per link, after the code (target 2);
 * - `authtray token` wall time for a linked profile with a valid cached token, as a ratio to
 *   `node -e 0` (target ≤ 1.5×);
 * - token requests made by 1,000 concurrent callers at expiry (target 1);
 * - `authtray token` with the keyring store, as a ratio to a bare `node` reading one Secret Service
 *   entry (target ≤ 1.25×);
 * - refresh requests when 8 processes × 100 callers hit an expired record: in plain text, in the
 *   keyring, and through a sealed Redis store from two hosts (target 1 each);
 * - the agent's figures (bench/agent.ts): token via the agent, token files, 100 processes on one keyring;
 * - the window's JavaScript, gzipped (target ≤ 80 KB; bench/renderer-size.ts).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Accounts } from '../main/accounts.js';
import { KeyringCredentialStore } from '../main/store/keyring.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { isSharedStoreUrl, openSharedStore } from '../main/store/shared.js';
import type { CredentialStore } from '../main/store/types.js';
import { startSandbox, SANDBOX_CLIENTS, type Sandbox } from '../test/sandbox/provider.js';
import { BIN, cliEnv, ROOT, tempHome } from '../test/support/cli.js';
import { startSecretService, type SecretService } from '../test/support/keyring.js';
import { approve, linkByPaste } from '../test/support/login.js';
import { startRedis } from '../test/support/services.js';
import { refreshStorm } from '../test/support/storm.js';
import { agentStartup, keyringProcessStorm, oidcTokenReference, type AgentBench } from './agent.js';
import { rendererSizeFigure } from './renderer-size.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);

interface Figure {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

interface Bench {
  sandbox: Sandbox;
  keyring: SecretService;
  /** A fresh AUTHTRAY_HOME, removed at the end. */
  home(): Promise<string>;
  add(figure: Figure): void;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time of one process run, in ms: node with `args`, or `[program, ...args]` when `program` is given. */
function timeRun(args: string[], env: NodeJS.ProcessEnv, program = process.execPath): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(program, args, { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

/** Median wall times of two commands, interleaved so both see the same machine. */
function compare(subject: string[], baseline: string[], env: NodeJS.ProcessEnv, programs: [string, string] = [process.execPath, process.execPath]): { subject: number; baseline: number; ratio: number } {
  timeRun(subject, env, programs[0]); // warm the file cache
  timeRun(baseline, env, programs[1]);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    b.push(timeRun(baseline, env, programs[1]));
    a.push(timeRun(subject, env, programs[0]));
  }
  return { subject: median(a), baseline: median(b), ratio: median(a) / median(b) };
}

const settings = (sandbox: Sandbox) => ({ provider: 'oidc' as const, clientId: SANDBOX_CLIENTS.native.clientId, issuer: sandbox.issuer, sandbox: true });

async function link(bench: Bench, home: string, store: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await linkByPaste(new Accounts({ home, store, env }), 'bench', settings(bench.sandbox), 'bench');
}

/** Provider requests per link, counted at the sandbox from the browser's redirect to "linked". */
async function requestsPerLink(bench: Bench) {
  const accounts = new Accounts({ home: await bench.home(), store: 'plaintext' });
  const started = await accounts.startLink('bench', settings(bench.sandbox));
  const { redirectUrl } = await approve(started.url, { login: 'bench' });
  bench.sandbox.stats.reset();
  await fetch(redirectUrl);
  await started.redirected;
  const perLink = Object.values(bench.sandbox.stats.requests).reduce((a, b) => a + b, 0);
  bench.add({ name: 'provider requests per link (after the code)', value: String(perLink), target: '2', ok: perLink === 2 });
}

/** `authtray token` with a valid cached token, plain text store, vs a bare `node -e 0`. */
async function tokenStartup(bench: Bench) {
  const home = await bench.home();
  await link(bench, home, 'plaintext');
  const t = compare([BIN, 'token', '--profile', 'bench'], ['-e', '0'], cliEnv(home));
  bench.add({
    name: `authtray token / node -e 0 (median of ${RUNS}: ${t.subject.toFixed(1)} ms / ${t.baseline.toFixed(1)} ms)`,
    value: `${t.ratio.toFixed(2)}×`,
    target: '≤ 1.5×',
    ok: t.ratio <= 1.5,
  });
}

/** `authtray token` with the keyring store vs a bare node process reading one Secret Service entry. */
async function keyringTokenStartup(bench: Bench) {
  const home = await bench.home();
  await link(bench, home, 'keyring');
  const readOne = `const { AsyncEntry } = await import('@napi-rs/keyring');
    if (!(await new AsyncEntry('authtray', 'bench', { linux: { store: 'secret-service' } }).getPassword())) process.exit(1);`;
  const t = compare([BIN, 'token', '--profile', 'bench'], ['--input-type=module', '-e', readOne], cliEnv(home, bench.keyring.env));
  bench.add({
    name: `authtray token (keyring) / node reading one keyring entry (median of ${RUNS}: ${t.subject.toFixed(1)} ms / ${t.baseline.toFixed(1)} ms)`,
    value: `${t.ratio.toFixed(2)}×`,
    target: '≤ 1.25×',
    ok: t.ratio <= 1.25,
  });
  await new KeyringCredentialStore().delete('bench');
}

/** 1,000 concurrent callers at expiry, in one process. */
async function concurrentCallers(bench: Bench) {
  const home = await bench.home();
  await link(bench, home, 'plaintext');
  const record = (await new PlaintextCredentialStore(join(home, 'credentials')).load('bench'))!;
  const later = new Accounts({ home, store: 'plaintext', deps: { now: () => record.expiresAt! + 1000 } });
  bench.sandbox.stats.reset();
  const tokens = await Promise.all(Array.from({ length: 1000 }, () => later.accessToken('bench')));
  const requests = bench.sandbox.stats.tokenRequests;
  bench.add({
    name: `token requests for 1,000 concurrent callers at expiry (${new Set(tokens).size} distinct token handed out)`,
    value: String(requests),
    target: '1',
    ok: requests === 1,
  });
}

/**
 * P processes × N callers at expiry sharing one record: in a local store (one home), or through a
 * shared store (two homes standing for two hosts; the second never linked).
 */
async function crossProcessStorm(bench: Bench, label: string, backend: string, open: (home: string) => CredentialStore, extraEnv: NodeJS.ProcessEnv = {}) {
  const home = await bench.home();
  await link(bench, home, backend, { ...process.env, ...extraEnv });
  const store = open(home);
  const record = (await store.load('bench'))!;
  await store.save('bench', { ...record, expiresAt: Date.now() - 1000 });
  await store.close?.();
  bench.sandbox.stats.reset();
  const homes = isSharedStoreUrl(backend) ? [home, await bench.home()] : [home];
  const envs = homes.map((h) => cliEnv(h, { ...bench.keyring.env, ...extraEnv, AUTHTRAY_STORE: backend }));
  const result = await refreshStorm({ processes: 8, callers: 100, profile: 'bench', envs });
  const refreshes = bench.sandbox.stats.byGrant.refresh_token ?? 0;
  bench.add({
    name: `refresh requests, 8 processes × 100 callers at expiry, ${label} (${result.errors.length} errors, ${new Set(result.tokens).size} distinct token)`,
    value: String(refreshes),
    target: '1',
    ok: refreshes === 1 && result.errors.length === 0,
  });
}

async function main(): Promise<number> {
  const cleanups: (() => Promise<void>)[] = [];
  const figures: Figure[] = [];
  const sandboxData = await tempHome();
  cleanups.push(sandboxData.cleanup);
  const sandbox = await startSandbox({ dataDir: sandboxData.dir });
  const keyring = await startSecretService();
  // This process reads and writes the same private keyring as the commands it times.
  keyring.useInThisProcess();
  const bench: Bench = {
    sandbox,
    keyring,
    async home() {
      const home = await tempHome();
      cleanups.push(home.cleanup);
      return home.dir;
    },
    add: (figure) => figures.push(figure),
  };
  try {
    await requestsPerLink(bench);
    await tokenStartup(bench);
    await keyringTokenStartup(bench);
    await concurrentCallers(bench);
    await crossProcessStorm(bench, 'plain text', 'plaintext', (home) => new PlaintextCredentialStore(join(home, 'credentials')));
    await crossProcessStorm(bench, 'keyring', 'keyring', () => new KeyringCredentialStore());
    const redis = await startRedis();
    try {
      const sealed = { AUTHTRAY_STORE_KEY: randomBytes(32).toString('base64') };
      await crossProcessStorm(bench, 'sealed Redis, two hosts', redis.url, () => openSharedStore(redis.url, { env: sealed }), sealed);
    } finally {
      await redis.stop();
    }
    const agentBench: AgentBench = {
      ...bench,
      runs: RUNS,
      link: (home, store) => link(bench, home, store),
      compare: ([p1, ...a1], [p2, ...a2], env) => compare(a1, a2, env, [p1!, p2!]),
    };
    await agentStartup(agentBench);
    await keyringProcessStorm(agentBench);
    await oidcTokenReference(agentBench);
    bench.add(await rendererSizeFigure());
  } finally {
    await sandbox.close();
    await keyring.close();
    for (const cleanup of cleanups) await cleanup();
  }

  const width = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) process.stdout.write(`${f.name.padEnd(width)}  ${f.value.padStart(6)}  target ${f.target.padEnd(7)} ${f.ok ? 'ok' : 'MISSED'}\n`);
  return figures.every((f) => f.ok) ? 0 : 1;
}

process.exitCode = await main();
