/**
 * A refresh storm: P processes, each with N concurrent `accessToken()` callers, all released at
 * the same moment against one expired record. Each process is a real Node process running the
 * built accounts service (dist/), as the app, CLI runs and scripts would on one machine or many.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Accounts } from '../../main/accounts.js';
import type { ProfileSettings } from '../../main/auth/providers.js';
import { ConfigFile, type ProfileConfig } from '../../main/store/config.js';
import type { CredentialStore } from '../../main/store/types.js';
import { ROOT } from './cli.js';
import { approve } from './login.js';

const CHILD = `
const { Accounts } = await import(${JSON.stringify(join(ROOT, 'dist/main/accounts.js'))});
const [profile, callers] = [process.argv[1], Number(process.argv[2])];
const accounts = new Accounts({ home: process.env.AUTHTRAY_HOME, store: process.env.AUTHTRAY_STORE || undefined });
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const results = await Promise.allSettled(Array.from({ length: callers }, () => accounts.accessToken(profile)));
await accounts.close();
process.stdout.write(JSON.stringify(results.map((r) => (r.status === 'fulfilled' ? { token: r.value } : { error: String(r.reason?.code) + ': ' + r.reason?.message })))+ '\\n');
`;

export interface StormResult {
  /** Every token handed out, one per caller. */
  tokens: string[];
  /** Every error, as `CODE: message`. */
  errors: string[];
}

/** Runs the storm; `envs` gives each process its environment (round robin: several "hosts"). */
export async function refreshStorm(options: { processes: number; callers: number; profile: string; envs: NodeJS.ProcessEnv[] }): Promise<StormResult> {
  const children = Array.from({ length: options.processes }, (_, i) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, options.profile, String(options.callers)], {
      env: options.envs[i % options.envs.length],
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => out.includes('ready\n') && resolve());
      child.once('exit', (code) => reject(new Error(`storm process exited (${code}) before it was ready: ${out}`)));
    });
    const done = new Promise<string>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`storm process exited ${code}: ${out}`)))));
    return { child, ready, done };
  });
  await Promise.all(children.map((c) => c.ready));
  for (const { child } of children) child.stdin.end('go\n');
  const result: StormResult = { tokens: [], errors: [] };
  for (const { done } of children) {
    const lines = (await done).trim().split('\n');
    for (const item of JSON.parse(lines.at(-1)!) as { token?: string; error?: string }[]) {
      if (item.token !== undefined) result.tokens.push(item.token);
      else result.errors.push(item.error!);
    }
  }
  return result;
}

/** Links `profile` with `accounts` by pasting the redirect URL the sandbox sends the browser to. */
export async function linkWith(accounts: Accounts, profile: string, settings: ProfileSettings, login = 'alice') {
  const started = await accounts.startLink(profile, settings, { redirect: 'paste' });
  const { redirectUrl } = await approve(started.url, { login });
  return accounts.finishLink(profile, redirectUrl);
}

/**
 * Gives a host that has no profile of its own (`toHome`) the settings the store shares, as the fleet
 * `token` will: `from` saves them into the store, and the other host reads them back.
 */
export async function shareProfile(store: CredentialStore, from: Accounts, toHome: string, profile: string): Promise<void> {
  await store.saveProfile!(profile, (await from.config.read()).profiles[profile]);
  const shared = (await store.loadProfile!(profile)) as ProfileConfig;
  await new ConfigFile(toHome).update((data) => {
    data.profiles[profile] = shared;
  });
}

export interface StormOptions {
  /** The shared store's URL; `AUTHTRAY_STORE_KEY` (hex) and `prefix` go with it. */
  url: string;
  key?: Buffer | undefined;
  prefix: string;
  profile: string;
  /** One AUTHTRAY_HOME per child, round robin: several homes stand for several hosts. */
  homes: readonly string[];
  /** The children's clock, in ms since the epoch (past the token's expiry). */
  now: number;
  processes: number;
  callers: number;
}

const SHARED_CHILD = `
  const [accountsJs, sharedJs, home, url, prefix, profile, now, callers] = process.argv.slice(1);
  const { Accounts } = await import(accountsJs);
  const { openSharedStore, parseStoreKey } = await import(sharedJs);
  const store = openSharedStore(url, { key: parseStoreKey(process.env), prefix });
  const accounts = new Accounts({ home, openStore: () => store, defaultBackend: url, deps: { now: () => Number(now) } });
  await store.loadProfile(profile); // connected before the start signal, like the others
  process.stdout.write('ready\\n');
  process.stdin.once('data', async () => {
    const results = await Promise.allSettled(Array.from({ length: Number(callers) }, () => accounts.accessToken(profile)));
    const tokens = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const errors = results.filter((r) => r.status === 'rejected').map((r) => (r.reason?.code ?? 'ERROR') + ': ' + r.reason?.message);
    await store.close();
    process.stdout.write(JSON.stringify({ tokens, errors }) + '\\n', () => process.exit(0));
  });`;

/** Runs the storm and gathers every caller's outcome. */
export async function runStorm(options: StormOptions): Promise<StormResult> {
  const env = { ...process.env, AUTHTRAY_STORE_KEY: options.key?.toString('hex') ?? '' };
  const children = Array.from({ length: options.processes }, (_, i) => {
    const args = [
      join(ROOT, 'dist/main/accounts.js'),
      join(ROOT, 'dist/main/store/shared.js'),
      options.homes[i % options.homes.length]!,
      options.url,
      options.prefix,
      options.profile,
      String(options.now),
      String(options.callers),
    ];
    const child = spawn(process.execPath, ['--input-type=module', '-e', SHARED_CHILD, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const ready = new Promise<void>((resolve, reject) => {
      const check = () => stdout.includes('ready\n') && resolve();
      child.stdout.on('data', check);
      child.once('exit', (code) => reject(new Error(`storm child exited (${code}) before it was ready: ${stderr.slice(0, 1000)}`)));
    });
    const done = new Promise<StormResult>((resolve, reject) => {
      child.once('exit', (code) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (code === 0 && line) resolve(JSON.parse(line) as StormResult);
        else reject(new Error(`storm child exited (${code}): ${stderr.slice(0, 1000)}`));
      });
    });
    done.catch(() => {});
    return { child, ready, done };
  });
  try {
    await Promise.all(children.map((c) => c.ready));
    for (const { child } of children) child.stdin.write('go\n');
    const results = await Promise.all(children.map((c) => c.done));
    return { tokens: results.flatMap((r) => r.tokens), errors: results.flatMap((r) => r.errors) };
  } finally {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
