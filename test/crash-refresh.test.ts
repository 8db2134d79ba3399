// A refresher killed (SIGKILL) at random points while it refreshes, 200 times over: the credential
// record and the config stay readable every time, and the next refresher takes the dead one's lock
// over at once. With a provider that keeps its refresh token a crash costs nothing. With one that
// rotates it, what a crash can still cost is counted, not hidden: a kill after the provider answered
// but before the new record was stored leaves a spent refresh token behind, and that grant must be
// linked again (README, "What a crash can still cost").
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Accounts } from '../main/accounts.js';
import { ConfigFile } from '../main/store/config.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { startSandbox, SANDBOX_CLIENTS, type Sandbox } from './sandbox/provider.js';
import { ROOT, tempHome } from './support/cli.js';
import { approve, linkByPaste } from './support/login.js';

const KILLS = 200;
const LANES = 4;

let sandbox: Sandbox;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  const data = await tempHome();
  cleanups.push(data.cleanup);
  sandbox = await startSandbox({ dataDir: data.dir });
});
afterAll(async () => {
  await sandbox?.close();
  for (const cleanup of cleanups) await cleanup();
});

// Refreshes as fast as it can (a forced refresh each time), through the accounts service as the
// app and the command do: under the refresh lock, the new record stored before the next one.
const CHILD = `
const { Accounts } = await import(${JSON.stringify(join(ROOT, 'dist/main/accounts.js'))});
const accounts = new Accounts({ home: process.argv[1], store: 'plaintext' });
const session = await accounts.session('crash');
// One refresh first (modules loaded, provider discovered), so the kill lands in a refresh.
let first = true;
for (;; first = false) {
  if (!first) process.stdout.write('ready\\n');
  try {
    await session.refresh();
  } catch (err) {
    process.stdout.write('lost ' + err.code + '\\n');
    await new Promise(() => setInterval(() => {}, 60_000));
  }
}`;

it(`a refresher SIGKILLed at random points ${KILLS} times: every record readable afterwards`, async () => {
  sandbox.stats.reset();
  const started = performance.now();
  // Four homes side by side (the kills wait on process start-up more than on the CPU): three with
  // a provider that keeps its refresh token (the sandbox's Dropbox), one with one that rotates it.
  const lanes = await Promise.all([...Array.from({ length: LANES - 1 }, () => lane('dropbox', KILLS / LANES)), lane('oidc', KILLS / LANES)]);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  // The kills landed during refreshes: besides each process's first (whole) refresh, the provider saw
  // the next one begin before many of the kills.
  expect((sandbox.stats.byGrant.refresh_token ?? 0) - KILLS).toBeGreaterThan(KILLS / 5);
  // Without rotation a crash costs nothing; with it, a kill between answer and save spends the grant.
  expect(lanes.slice(0, -1).map((l) => l.lost)).toEqual(Array(LANES - 1).fill(0));
  console.log(`${KILLS} SIGKILLs during refreshes: ${seconds} s, ${sandbox.stats.byGrant.refresh_token} refresh requests; rotating provider: ${lanes.at(-1)!.lost} of ${KILLS / LANES} kills spent the grant`);

  async function lane(provider: 'dropbox' | 'oidc', kills: number): Promise<{ lost: number }> {
    const home = await tempHome();
    cleanups.push(home.cleanup);
    const issuer = sandbox.issuer;
    const relink = async () => {
      const accounts = new Accounts({ home: home.dir, store: 'plaintext' });
      if (provider === 'oidc') return linkByPaste(accounts, 'crash', { provider, clientId: SANDBOX_CLIENTS.native.clientId, issuer }, 'crash');
      const dropbox = { provider, clientId: SANDBOX_CLIENTS.dropbox.clientId, endpoints: { authorize: `${issuer}/auth`, token: `${issuer}/token`, api: `${issuer}/dropbox/` } };
      const { redirectUrl } = await approve((await accounts.startLink('crash', dropbox)).url, { login: 'crash' });
      return accounts.finishLink('crash', new URL(redirectUrl).searchParams.get('code')!);
    };
    await relink();
    const store = new PlaintextCredentialStore(join(home.dir, 'credentials'));
    const config = new ConfigFile(home.dir);
    let lost = 0;
    for (let i = 0; i < kills; i++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, home.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the refresher exited (${code}) before it was ready`)));
      });
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      child.kill('SIGKILL');
      await exited;

      // Readable, whole, and the config too (both throw if damaged).
      const record = await store.load('crash');
      expect(record, `after kill ${i + 1}`).not.toBeNull();
      const entry = (await config.read()).profiles.crash;
      expect(entry, `after kill ${i + 1}`).toBeDefined();
      // The one thing a crash can cost with rotating refresh tokens: the stored one was already spent.
      if (entry!.needsRelink || !(await sandbox.introspect(record!.refreshToken!)).active) {
        lost += 1;
        await relink();
      }
    }
    // Temp files of interrupted writes are hidden and never taken for a profile.
    expect((await readdir(join(home.dir, 'credentials'))).filter((f) => !f.startsWith('.'))).toEqual(['crash.json']);
    return { lost };
  }
}, 300_000);
