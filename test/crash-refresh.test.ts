// A refresher killed (SIGKILL) at random points while it refreshes, 200 times over: the credential
// record and the config stay readable every time, and the next refresher takes the dead one's lock
// over at once. What a crash can still cost is counted, not hidden: the sandbox rotates refresh
// tokens, so a kill after the provider answered but before the new record was stored leaves a used
// refresh token behind, and that grant must be linked again (README, "What a crash can cost").
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Accounts } from '../main/accounts.js';
import { ConfigFile } from '../main/store/config.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import { startSandbox, SANDBOX_CLIENTS, type Sandbox } from './sandbox/provider.js';
import { ROOT, tempHome } from './support/cli.js';
import { linkByPaste } from './support/login.js';

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
    await new Promise(() => {});
  }
}`;

it(`a refresher SIGKILLed at random points ${KILLS} times: every record readable afterwards`, async () => {
  const settings = { provider: 'oidc' as const, clientId: SANDBOX_CLIENTS.native.clientId, issuer: sandbox.issuer };
  sandbox.stats.reset();
  const started = performance.now();
  // Four homes side by side (the kills wait on process start-up more than on the CPU).
  const lanes = await Promise.all(Array.from({ length: LANES }, () => lane(KILLS / LANES)));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const lost = lanes.reduce((n, l) => n + l.lost, 0);
  const stored = lanes.reduce((n, l) => n + l.seen, 0);

  // The kills landed during refreshes: the provider saw far more refreshes than the first one of
  // each process, and many of them were stored before the kill.
  expect(sandbox.stats.byGrant.refresh_token ?? 0).toBeGreaterThan(KILLS * 1.5);
  expect(stored).toBeGreaterThan(KILLS / 2);
  console.log(`${KILLS} SIGKILLs during refreshes: ${seconds} s, ${sandbox.stats.byGrant.refresh_token} refresh requests, ${lost} grants spent by a kill between answer and save`);

  async function lane(kills: number): Promise<{ lost: number; seen: number }> {
    const home = await tempHome();
    cleanups.push(home.cleanup);
    const relink = () => linkByPaste(new Accounts({ home: home.dir, store: 'plaintext' }), 'crash', settings, 'crash');
    await relink();
    const store = new PlaintextCredentialStore(join(home.dir, 'credentials'));
    const config = new ConfigFile(home.dir);
    const seen = new Set<string>();
    let lost = 0;
    for (let i = 0; i < kills; i++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, home.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the refresher exited (${code}) before it was ready`)));
      });
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      // Readable, whole, and the config too (both throw if damaged).
      const record = await store.load('crash');
      expect(record, `after kill ${i + 1}`).not.toBeNull();
      const entry = (await config.read()).profiles.crash;
      expect(entry, `after kill ${i + 1}`).toBeDefined();
      seen.add(record!.refreshToken!);
      // The one thing a crash can cost with rotating refresh tokens: the stored one was already spent.
      if (entry!.needsRelink || !(await sandbox.introspect(record!.refreshToken!)).active) {
        lost += 1;
        await relink();
      }
    }
    // Temp files of interrupted writes are hidden and never taken for a profile.
    expect((await readdir(join(home.dir, 'credentials'))).filter((f) => !f.startsWith('.'))).toEqual(['crash.json']);
    return { lost, seen: seen.size };
  }
}, 300_000);
