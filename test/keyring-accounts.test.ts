// authtray with a real Secret Service (gnome-keyring-daemon on a private D-Bus bus), through the
// command and the accounts service: where credentials go, what a locked, missing or dying keyring
// does, and moving between stores.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../main/accounts.js';
import { KeyringCredentialStore } from '../main/store/keyring.js';
import { PlaintextCredentialStore } from '../main/store/plaintext.js';
import type { CredentialRecord } from '../main/store/types.js';
import { startSandbox, type Sandbox } from './sandbox/provider.js';
import { cliEnv, NO_KEYRING_BUS, runCli, startCli, tempHome, type CliResult } from './support/cli.js';
import { startSecretService, type SecretService } from './support/keyring.js';
import { approve } from './support/login.js';

let sandbox: Sandbox;
let sandboxData: { dir: string; cleanup: () => Promise<void> };
let keyring: SecretService;
let home: { dir: string; cleanup: () => Promise<void> };

/** The CLI's environment: this test's home and keyring (or none). */
const env = (extra: Record<string, string | undefined> = {}) => cliEnv(home.dir, { ...keyring.env, ...extra });
const cli = (args: string[], extra: Record<string, string | undefined> = {}): Promise<CliResult> => runCli(args, env(extra));
/** This process reads the same keyring as the CLI (its bus is set in beforeAll). */
const keyringStore = () => new KeyringCredentialStore();

async function link(profile = 'default', extra: Record<string, string | undefined> = {}) {
  const run = startCli(['link', '--profile', profile, '--provider', 'sandbox', '--issuer', sandbox.issuer, '--no-browser'], env(extra));
  const url = await run.waitForLine(/^http/);
  const stderrBeforeApproval = run.stderrSoFar();
  await approve(url, { login: 'alice', follow: true });
  const result = await run.result;
  expect(result.code, result.stderr).toBe(0);
  return { result, stderrBeforeApproval };
}

/** Every file under AUTHTRAY_HOME, with its text. */
async function filesIn(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found.set(path, await readFile(path, 'utf8'));
  }
  return found;
}

async function expectNoSecretOnDisk(record: CredentialRecord) {
  for (const [path, text] of await filesIn(home.dir)) {
    for (const secret of [record.accessToken, record.refreshToken!]) expect(text.includes(secret), `${path} holds a secret`).toBe(false);
  }
}

async function expire(profile = 'default') {
  const record = (await keyringStore().load(profile))!;
  const expired = { ...record, expiresAt: Date.now() - 1000 };
  await keyringStore().save(profile, expired);
  return expired;
}

beforeAll(async () => {
  keyring = await startSecretService();
  keyring.useInThisProcess();
  sandboxData = await tempHome();
  sandbox = await startSandbox({ dataDir: sandboxData.dir });
});
afterAll(async () => {
  await sandbox?.close();
  await sandboxData?.cleanup();
  await keyring?.close();
});
beforeEach(async () => {
  home = await tempHome();
  sandbox.stats.reset();
});
afterEach(async () => {
  await keyringStore().delete('default');
  await home.cleanup();
});

describe('with a working keyring', () => {
  it('link keeps the record in the keyring (as secret-tool sees it) and no secret on disk; no warning', async () => {
    const { result } = await link();
    expect(result.stderr).not.toMatch(/warning/);
    const items = (await keyring.items('authtray')).filter((i) => i.attributes.username === 'default');
    expect(items).toHaveLength(1);
    const record = JSON.parse(items[0]!.secret) as CredentialRecord;
    expect(record).toMatchObject({ provider: 'oidc', accountId: 'alice', tokenKind: 'offline' });
    await expectNoSecretOnDisk(record);

    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status.store).toMatchObject({ backend: 'keyring', secure: true });
    const token = await cli(['token']);
    expect(token.stdout.trim()).toBe(record.accessToken);
  });

  it('a locked keyring: token and status exit 3 with the unlock message, nothing written elsewhere; unlocked, all works', async () => {
    await link();
    await expire();
    sandbox.stats.reset();
    await keyring.lock();
    try {
      for (const args of [['token'], ['status'], ['status', '--json']]) {
        const result = await cli(args);
        expect(result.code, args.join(' ')).toBe(3);
        expect(result.stdout).toBe('');
        expect(result.stderr.trim()).toBe('authtray: Your Secret Service keyring (e.g. GNOME Keyring) is locked. Unlock it and try again.');
      }
      expect(sandbox.stats.tokenRequests).toBe(0);
      expect(await stat(join(home.dir, 'credentials')).catch(() => null)).toBeNull();
      // Relinking does not switch stores behind the user's back either.
      const relink = await cli(['link', '--no-browser']);
      expect(relink.code).toBe(3);
    } finally {
      await keyring.unlock();
    }
    const token = await cli(['token']);
    expect(token.code).toBe(0);
    expect(sandbox.stats.byGrant.refresh_token).toBe(1);
    expect(token.stdout.trim()).toBe((await keyringStore().load('default'))!.accessToken);
    expect((await cli(['status'])).code).toBe(0);
  });

  it('a keyring that stops answering is reported, not waited on forever', async () => {
    await link();
    keyring.pause();
    try {
      const result = await cli(['token'], { AUTHTRAY_KEYRING_TIMEOUT_MS: '500' });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/did not answer within 1 s \((D-Bus: "Did not receive a reply"; it may be busy, or an unlock prompt may be waiting\)\. Unlock it, or raise AUTHTRAY_KEYRING_TIMEOUT_MS, and try again|an unlock prompt may be waiting\)\. Unlock it and try again)\./);
    } finally {
      keyring.resume();
    }
  });

  it('the daemon killed mid-refresh: a clear error, the record intact', async () => {
    await link();
    const before = await expire();
    const hold = sandbox.holdNextTokenRequest();
    const run = startCli(['token'], env());
    run.child.stdin.end();
    await hold.arrived;
    await keyring.kill();
    hold.release();
    const result = await run.result;
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^authtray: The Secret Service keyring \(e\.g\. GNOME Keyring\) is not available/);
    await keyring.restart();
    expect(await keyringStore().load('default')).toEqual(before);
    expect(await stat(join(home.dir, 'credentials')).catch(() => null)).toBeNull();
  });

  it('store migrate moves a record between plain text and the keyring, and back (with the warning)', async () => {
    await link('default', { AUTHTRAY_STORE: 'plaintext' });
    const plaintext = new PlaintextCredentialStore(join(home.dir, 'credentials'));
    const record = (await plaintext.load('default'))!;

    const toKeyring = await cli(['store', 'migrate', '--to', 'keyring']);
    expect(toKeyring.code, toKeyring.stderr).toBe(0);
    expect(await keyringStore().load('default')).toEqual(record);
    expect(await plaintext.load('default')).toBeNull();
    expect(JSON.parse((await cli(['status', '--json'])).stdout).store.backend).toBe('keyring');
    expect((await cli(['token'])).stdout.trim()).toBe(record.accessToken);
    await expectNoSecretOnDisk(record);

    expect((await cli(['store', 'migrate', '--to', 'keyring'])).code).toBe(64);
    const back = await cli(['store', 'migrate', '--to', 'plaintext']);
    expect(back.code).toBe(0);
    expect(back.stderr).toMatch(/warning: .*plain text/);
    expect(await plaintext.load('default')).toEqual(record);
    expect(await keyringStore().load('default')).toBeNull();
  });
});

describe('in a long-running process (the app)', () => {
  it('a refresh the keyring could not take is kept and saved first once it is back: the rotated token survives', async () => {
    await link();
    const before = await expire();
    const accounts = new Accounts({ home: home.dir });
    const hold = sandbox.holdNextTokenRequest();
    const first = accounts.accessToken('default');
    await hold.arrived;
    await keyring.kill();
    hold.release();
    await expect(first).rejects.toMatchObject({ code: 'KEYRING_ACCESS', problem: 'unavailable' });
    expect(sandbox.stats.byGrant.refresh_token).toBe(1);

    await keyring.restart();
    expect(await keyringStore().load('default')).toEqual(before);
    const token = await accounts.accessToken('default');
    // No second refresh (it would reuse the spent refresh token and lose the grant).
    expect(sandbox.stats.byGrant.refresh_token).toBe(1);
    const stored = (await keyringStore().load('default'))!;
    expect(stored.accessToken).toBe(token);
    expect(stored.refreshToken).not.toBe(before.refreshToken);
    expect((await sandbox.introspect(stored.refreshToken!)).active).toBe(true);
  });
});

describe('without a keyring', () => {
  it('link falls back to plain text, saying so before anything secret is written; status says not secure', async () => {
    const { stderrBeforeApproval } = await link('default', { DBUS_SESSION_BUS_ADDRESS: NO_KEYRING_BUS });
    expect(stderrBeforeApproval).toMatch(/^warning: No Secret Service keyring .* is available in this session, so the credentials will be stored in plain text in /m);
    const status = JSON.parse((await cli(['status', '--json'], { DBUS_SESSION_BUS_ADDRESS: NO_KEYRING_BUS })).stdout);
    expect(status.store).toMatchObject({ backend: 'plaintext', secure: false });
  });

  it('--store keyring without a keyring is an error, not a fallback', async () => {
    const result = await cli(['link', '--provider', 'sandbox', '--issuer', sandbox.issuer, '--no-browser', '--store', 'keyring'], { DBUS_SESSION_BUS_ADDRESS: NO_KEYRING_BUS });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not available/);
    expect(await filesIn(home.dir)).toEqual(new Map());
  });

  it('the remembered keyring disappearing is a KeyringAccessError: no fallback, no relink asked', async () => {
    await link();
    const record = (await keyringStore().load('default'))!;
    for (const args of [['token'], ['status'], ['link', '--no-browser']]) {
      const result = await cli(args, { DBUS_SESSION_BUS_ADDRESS: NO_KEYRING_BUS });
      expect(result.code, args.join(' ')).toBe(3);
      expect(result.stderr).toMatch(/not available .* will not move them elsewhere on its own/);
      expect(result.stderr).not.toMatch(/link again|relink/i);
    }
    expect(await stat(join(home.dir, 'credentials')).catch(() => null)).toBeNull();
    const config = JSON.parse(await readFile(join(home.dir, 'config.json'), 'utf8'));
    expect(config.profiles.default.store.backend).toBe('keyring');
    await expectNoSecretOnDisk(record);
    expect((await cli(['token'])).code).toBe(0);
  });
});
