// Refresh across processes: 8 processes × 100 concurrent callers at expiry, sharing one record in
// a store local to the machine (plain text, the system keyring) → exactly one refresh request, no
// invalid_grant, every caller gets the same new token (the sandbox rotates refresh tokens, so a
// second refresh would spend a used token and lose the grant). And the keyring under load: 100
// `authtray token` processes started at once against one private GNOME Keyring all succeed, with
// one refresh request between them.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../main/accounts.js';
import type { CredentialStore } from '../main/store/types.js';
import { KeyringCredentialStore } from '../main/store/keyring.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { join } from 'node:path';
import { startSandbox, SANDBOX_CLIENTS, type Sandbox } from './sandbox/provider.js';
import { BIN, cliEnv, ROOT, tempHome, type CliResult } from './support/cli.js';
import { startSecretService, type SecretService } from './support/keyring.js';
import { linkByPaste } from './support/login.js';
import { refreshStorm } from './support/storm.js';

const PROCESSES = 8;
const CALLERS = 100;

let sandbox: Sandbox;
let keyring: SecretService;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const data = await tempHome();
  cleanups.push(data.cleanup);
  sandbox = await startSandbox({ dataDir: data.dir });
  keyring = await startSecretService();
  keyring.useInThisProcess();
});
afterAll(async () => {
  await sandbox?.close();
  await keyring?.close();
  for (const cleanup of cleanups) await cleanup();
});

async function linkedHome(store: string): Promise<string> {
  const home = await tempHome();
  cleanups.push(home.cleanup);
  await linkByPaste(new Accounts({ home: home.dir, store }), 'storm', { provider: 'oidc', clientId: SANDBOX_CLIENTS.native.clientId, issuer: sandbox.issuer }, 'storm');
  return home.dir;
}

async function expire(store: CredentialStore) {
  const record = (await store.load('storm'))!;
  await store.save('storm', { ...record, expiresAt: Date.now() - 1000 });
  return record;
}

describe.each([
  ['plaintext', (home: string) => new PlaintextCredentialStore(join(home, 'credentials')) as CredentialStore],
  ['keyring', () => new KeyringCredentialStore() as CredentialStore],
])('%s store', (backend, open) => {
  it(`${PROCESSES} processes × ${CALLERS} callers at expiry → one refresh, one new token for all`, async () => {
    const home = await linkedHome(backend);
    const store = open(home);
    const before = await expire(store);
    sandbox.stats.reset();

    const result = await refreshStorm({ processes: PROCESSES, callers: CALLERS, profile: 'storm', envs: [cliEnv(home, { ...keyring.env, AUTHTRAY_STORE: backend })] });

    expect(result.errors).toEqual([]);
    expect(result.tokens).toHaveLength(PROCESSES * CALLERS);
    expect(sandbox.stats.byGrant.refresh_token).toBe(1);
    expect(sandbox.stats.tokenErrors).toEqual({});
    const after = (await store.load('storm'))!;
    expect(new Set(result.tokens)).toEqual(new Set([after.accessToken]));
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await sandbox.introspect(after.refreshToken!)).active).toBe(true);
  }, 120_000);
});

/** One `authtray token --profile storm` run to its end. */
function token(env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'token', '--profile', 'storm'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const TOKEN_PROCESSES = 100;

it(`${TOKEN_PROCESSES} \`authtray token\` processes at once on one keyring, token expired → all succeed, one refresh`, async () => {
  const home = await linkedHome('keyring');
  const store = new KeyringCredentialStore();
  const before = (await store.load('storm'))!;
  await store.save('storm', { ...before, expiresAt: Date.now() - 1000 });
  sandbox.stats.reset();

  const env = cliEnv(home, keyring.env);
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: TOKEN_PROCESSES }, () => token(env)));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  const failures = results.filter((r) => r.code !== 0).map((r) => `${r.code}: ${r.stderr.trim()}`);
  expect(failures, `after ${seconds} s`).toEqual([]);
  expect(sandbox.stats.byGrant.refresh_token).toBe(1);
  expect(sandbox.stats.tokenErrors).toEqual({});
  const after = (await store.load('storm'))!;
  expect(new Set(results.map((r) => r.stdout.trim()))).toEqual(new Set([after.accessToken]));
  expect(after.refreshToken).not.toBe(before.refreshToken);
  console.log(`${TOKEN_PROCESSES} token processes on one keyring: ${seconds} s`);
}, 180_000);
