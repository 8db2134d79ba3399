// The Redis store in a real refresh: the accounts service and the sandbox provider (rotating refresh
// tokens) over a persistent redis-server that the tests kill with SIGKILL and start again.
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Accounts, type AccountsOptions } from '../../main/accounts.js';
import { AuthtrayError, CredentialStoreError } from '../../main/errors.js';
import { openSharedStore, type SharedStoreOptions } from '../../main/store/shared.js';
import type { CredentialStore, SharedCredentialStore } from '../../main/store/types.js';
import { SANDBOX_CLIENTS, startSandbox, type Sandbox } from '../sandbox/provider.js';
import { linkByPaste } from '../support/login.js';
import { startRedis, type Service } from '../support/services.js';
import { sampleRecord } from '../support/store-contract.js';

let sandbox: Sandbox;
let sandboxData: string;
let redis: Service;
let home: string;
let clock: number;
let prefix: string;
const KEY = randomBytes(32);
const opened: CredentialStore[] = [];

beforeAll(async () => {
  sandboxData = await mkdtemp(join(tmpdir(), 'authtray-sandbox-'));
  [sandbox, redis] = await Promise.all([startSandbox({ dataDir: sandboxData }), startRedis({ persistent: true })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([sandbox?.close(), redis?.stop()]);
  await rm(sandboxData, { recursive: true, force: true });
});
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'authtray-home-'));
  clock = Date.now();
  prefix = `t${randomBytes(4).toString('hex')}`;
  sandbox.stats.reset();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close?.()));
  await rm(home, { recursive: true, force: true });
});

function store(options: SharedStoreOptions = {}): SharedCredentialStore {
  const s = openSharedStore(redis.url, { key: KEY, prefix, ...options });
  opened.push(s);
  return s;
}

function accounts(s: CredentialStore, extra: Partial<AccountsOptions> = {}): Accounts {
  return new Accounts({ home, openStore: () => s, store: redis.url, ...extra, deps: { now: () => clock, ...extra.deps } });
}

const oidc = () => ({ provider: 'oidc' as const, clientId: SANDBOX_CLIENTS.native.clientId, issuer: sandbox.issuer, sandbox: true });

/** `fetch` that runs `before` when the refresh request is about to leave. */
function onRefresh(before: () => Promise<void>): typeof fetch {
  return async (input, init) => {
    if (String(init?.body ?? '').includes('grant_type=refresh_token')) await before();
    return fetch(input, init);
  };
}

async function errorOf(promise: Promise<unknown>): Promise<AuthtrayError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthtrayError);
  return err as AuthtrayError;
}

describe('Redis store in a refresh, with redis-server killed', () => {
  it('killed while the provider answers and back within the save window: the rotated token is stored, nothing is lost', async () => {
    const s = store({ saveRetryMs: 15_000 });
    let restarted: Promise<void> = Promise.resolve();
    const a = accounts(s, {
      deps: {
        fetch: onRefresh(async () => {
          await redis.kill();
          restarted = new Promise((resolve) => setTimeout(resolve, 500)).then(() => redis.restart());
        }),
      },
    });
    await linkByPaste(a, 'work', oidc());
    const before = (await s.load('work'))!;
    clock = before.expiresAt! + 1000;
    sandbox.stats.reset();
    const token = await a.accessToken('work');
    await restarted;
    expect(sandbox.stats.byGrant.refresh_token).toBe(1);
    expect(sandbox.stats.tokenErrors).toEqual({});

    // Killed once more: the append-only file kept the new record.
    await redis.kill();
    await redis.restart();
    const after = (await store().load('work'))!;
    expect(after.accessToken).toBe(token);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await sandbox.introspect(after.refreshToken!)).active).toBe(true);
    expect((await sandbox.introspect(before.refreshToken!)).active).toBe(false);
  }, 60_000);

  it('killed after the refresh took its lock: a typed error, no token spent; after a restart the link works', async () => {
    const s = store({ lockTtlMs: 1_500 });
    await linkByPaste(accounts(s), 'work', oidc());
    const before = (await s.load('work'))!;
    // Between taking the lock in Redis and reading the record again.
    const lock = { withLock: <T>(p: string, fn: () => Promise<T>) => s.lock!.withLock(p, async () => (await redis.kill(), fn())) };
    const a = accounts(s, { lock });
    clock = before.expiresAt! + 1000;
    sandbox.stats.reset();
    const started = Date.now();
    const err = await errorOf(a.accessToken('work'));
    expect(err).toBeInstanceOf(CredentialStoreError);
    expect(err.code).toBe('STORE_ERROR');
    expect(err.message).toMatch(new RegExp(`^Cannot read the credentials of profile "work" from Redis at 127\\.0\\.0\\.1:${redis.port} \\(connection (lost|refused)\\)\\. Is Redis running at 127\\.0\\.0\\.1:${redis.port}\\?`));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sandbox.stats.tokenRequests).toBe(0);

    await redis.restart();
    // The lock the dead connection could not release expires by itself (lockTtlMs), then the refresh runs.
    const token = await accounts(s).accessToken('work');
    expect(token).not.toBe(before.accessToken);
    expect(sandbox.stats.byGrant.refresh_token).toBe(1);
    expect(sandbox.stats.tokenErrors).toEqual({});
    expect((await sandbox.introspect(token)).active).toBe(true);
    expect((await s.load('work'))!.accessToken).toBe(token);
  }, 60_000);

  it('gone for longer than the save window after the provider answered: a typed error, and the old record is intact', async () => {
    const s = store({ saveRetryMs: 500 });
    const a = accounts(s, { deps: { fetch: onRefresh(() => redis.kill()) } });
    await linkByPaste(accounts(s), 'work', oidc());
    const before = (await s.load('work'))!;
    clock = before.expiresAt! + 1000;
    const err = await errorOf(a.accessToken('work'));
    expect(err).toBeInstanceOf(CredentialStoreError);
    expect(err.message).toMatch(/^Cannot store the credentials of profile "work" in Redis at 127\.0\.0\.1:\d+ \(connection refused\)\. Is Redis running/);
    expect(err.message).not.toContain(before.refreshToken!);
    await redis.restart();
    expect(await s.load('work')).toEqual(before);
  }, 60_000);
});

describe('Redis store on the wire', () => {
  it('a save and a refresh only ever SET the record (never DEL, EXPIRE or RENAME it); the lock is SET NX PX and a compare-and-delete', async () => {
    const { Redis } = await import('ioredis');
    const monitor: Redis = await new Redis(redis.url).monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.startsWith(`${prefix}:`))) commands.push(args);
    });
    try {
      const s = store();
      for (let n = 0; n < 20; n++) await s.save('other', sampleRecord(n));
      await linkByPaste(accounts(s), 'work', oidc());
      clock = (await s.load('work'))!.expiresAt! + 1000;
      await accounts(s).accessToken('work');
      expect(sandbox.stats.byGrant.refresh_token).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 200)); // MONITOR lags a little
      const on = (kind: string) =>
        commands.filter((args) => args.some((a) => a.startsWith(`${prefix}:${kind}:`))).map((args) => args.map((a, i) => (i === 0 ? a.toLowerCase() : a)));
      const recordVerbs = on('record').map(([verb]) => verb);
      expect(recordVerbs.filter((v) => v === 'set').length).toBeGreaterThanOrEqual(22); // 20 saves, the link, the refresh
      expect(new Set(recordVerbs)).toEqual(new Set(['get', 'set']));
      // The lock: taken with SET NX PX and a token naming its holder (pid, host, boot id) with a random
      // part; released by a script that deletes it only if it still holds that token (MONITOR shows
      // the script's own GET and DEL after the EVAL).
      const lock = on('lock');
      const token = lock[0]![2]!;
      expect(JSON.parse(token)).toMatchObject({ pid: process.pid, host: hostname(), nonce: expect.stringMatching(/^[\w-]{22}$/) });
      expect(lock).toEqual([
        ['set', `${prefix}:lock:work`, token, 'PX', '30000', 'NX'],
        ['eval', expect.stringMatching(/^if redis\.call\('get', KEYS\[1\]\) == ARGV\[1\] then return redis\.call\('del'/), '1', `${prefix}:lock:work`, token],
        ['get', `${prefix}:lock:work`],
        ['del', `${prefix}:lock:work`],
      ]);
    } finally {
      monitor.disconnect();
    }
  }, 60_000);

  it('a password-protected server: the right password works; a wrong one is a quick error that never shows it', async () => {
    const guarded = await startRedis({ password: 'pw-hunter2' });
    try {
      const good = openSharedStore(`redis://:pw-hunter2@127.0.0.1:${guarded.port}/3`, { prefix });
      opened.push(good);
      expect(good.info.location).toBe(`redis://127.0.0.1:${guarded.port}/3`);
      await good.save('work', sampleRecord(1));
      expect(await good.load('work')).toEqual(sampleRecord(1));
      const bad = openSharedStore(`redis://:wrong-hunter3@127.0.0.1:${guarded.port}/3`, { prefix });
      opened.push(bad);
      const err = await errorOf(bad.save('work', sampleRecord(2)));
      expect(err.message).toBe(`Cannot store the credentials of profile "work" in Redis at 127.0.0.1:${guarded.port} (it refused the user name or password of the store URL). Check the credentials in the store URL.`);
      expect(await good.load('work')).toEqual(sampleRecord(1));
    } finally {
      await guarded.stop();
    }
  }, 30_000);
});
