// The keyring under load: 100 `authtray token` processes started at once against one private GNOME
// Keyring, with an expired token. All 100 succeed with the same new token, and the sandbox (which
// rotates refresh tokens, so a second refresh would spend a used one and lose the grant) sees
// exactly one refresh request.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Accounts } from '../main/accounts.js';
import { KeyringCredentialStore } from '../main/store/keyring.js';
import { startSandbox, SANDBOX_CLIENTS, type Sandbox } from './sandbox/provider.js';
import { BIN, cliEnv, ROOT, tempHome, type CliResult } from './support/cli.js';
import { startSecretService, type SecretService } from './support/keyring.js';
import { linkByPaste } from './support/login.js';

const PROCESSES = 100;

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

it(`${PROCESSES} \`authtray token\` processes at once on one keyring, token expired → all succeed, one refresh`, async () => {
  const home = await tempHome();
  cleanups.push(home.cleanup);
  const accounts = new Accounts({ home: home.dir, store: 'keyring' });
  await linkByPaste(accounts, 'storm', { provider: 'oidc', clientId: SANDBOX_CLIENTS.native.clientId, issuer: sandbox.issuer }, 'storm');
  const store = new KeyringCredentialStore();
  const before = (await store.load('storm'))!;
  await store.save('storm', { ...before, expiresAt: Date.now() - 1000 });
  sandbox.stats.reset();

  const env = cliEnv(home.dir, { ...keyring.env, AUTHTRAY_KEYRING_TIMEOUT_MS: '60000' });
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: PROCESSES }, () => token(env)));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  const failures = results.filter((r) => r.code !== 0).map((r) => `${r.code}: ${r.stderr.trim()}`);
  expect(failures, `after ${seconds} s`).toEqual([]);
  expect(sandbox.stats.byGrant.refresh_token).toBe(1);
  expect(sandbox.stats.tokenErrors).toEqual({});
  const after = (await store.load('storm'))!;
  expect(new Set(results.map((r) => r.stdout.trim()))).toEqual(new Set([after.accessToken]));
  expect(after.refreshToken).not.toBe(before.refreshToken);
  console.log(`${PROCESSES} token processes on one keyring: ${seconds} s`);
}, 180_000);
