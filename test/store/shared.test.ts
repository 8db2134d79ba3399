// The shared stores against real servers: redis-server and memcached on loopback, started here.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthtrayError, CredentialStoreError, UsageError } from '../../main/errors.js';
import { serializeCredentialRecord } from '../../main/store/record.js';
import { openSharedStore, sharedStoreLocation, type SharedStoreOptions } from '../../main/store/shared.js';
import type { CredentialRecord, CredentialStore, SharedCredentialStore } from '../../main/store/types.js';
import { ROOT } from '../support/cli.js';
import { freePort, startMemcached, startRedis, type Service } from '../support/services.js';
import { itKeepsOneRecordPerProfile, sampleRecord } from '../support/store-contract.js';

let redis: Service;
let memcached: Service;
const opened: CredentialStore[] = [];
const raws: Raw[] = [];

beforeAll(async () => {
  [redis, memcached] = await Promise.all([startRedis(), startMemcached()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), memcached?.stop()]);
});
afterEach(async () => {
  await Promise.all([...opened.splice(0).map((s) => s.close?.()), ...raws.splice(0).map((r) => r.close())]);
});

const KEY = randomBytes(32);
const newPrefix = () => `t${randomBytes(4).toString('hex')}`;

/** Opens a store (closed after the test) under `prefix`, a fresh one unless given. */
function open(url: string, options: SharedStoreOptions = {}): SharedCredentialStore {
  const store = openSharedStore(url, { prefix: newPrefix(), ...options });
  opened.push(store);
  return store;
}

/** Direct access to the server, past the store, to see and change what it really holds. */
interface Raw {
  get(key: string): Promise<string | null>;
  /** With `ttlMs`, the key expires (Memcached: in whole seconds). */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function raw(backend: 'redis' | 'memcached'): Promise<Raw> {
  let client: Raw;
  if (backend === 'redis') {
    const { Redis } = await import('ioredis');
    const r = new Redis(redis.url);
    client = { get: (k) => r.get(k), set: async (k, v, ttl) => void (await (ttl ? r.set(k, v, 'PX', ttl) : r.set(k, v))), close: async () => void r.disconnect() };
  } else {
    const memjs = await import('memjs');
    const m = memjs.Client.create(`127.0.0.1:${memcached.port}`, { logger: { log: () => {} } });
    client = { get: async (k) => (await m.get(k)).value?.toString('utf8') ?? null, set: async (k, v, ttl) => void (await m.set(k, v, { expires: ttl ? Math.ceil(ttl / 1000) : 0 })), close: async () => m.close() };
  }
  raws.push(client);
  return client;
}

const secretRecord = (n: number): CredentialRecord => ({ ...sampleRecord(n), accessToken: `at-SECRET-${n}`, refreshToken: `rt-SECRET-${n}`, clientSecret: `cs-SECRET-${n}` });

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('expected the promise to reject');
  return err;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const backends = [
  ['redis', () => redis] as const,
  ['memcached', () => memcached] as const,
];

describe.each([
  ['redis', () => open(redis.url)],
  ['redis, sealed', () => open(redis.url, { key: KEY })],
  ['memcached', () => open(memcached.url)],
  ['memcached, sealed', () => open(memcached.url, { key: KEY })],
])('%s store contract', (_name, make) => {
  itKeepsOneRecordPerProfile(make);
});

describe.each(backends)('%s store', (backend, service) => {
  const url = () => service().url;

  it('keeps records sealed at rest, bound to their key names: wrong key, tampering, swapping and planting are clear errors', async () => {
    const prefix = newPrefix();
    const store = open(url(), { key: KEY, prefix });
    expect(store.info).toEqual({ backend, location: backend === 'redis' ? `${url()}/0` : url(), secure: true });
    await store.save('work', secretRecord(1));
    await store.save('home', secretRecord(2));
    const server = await raw(backend);
    const stored = (await server.get(`${prefix}:record:work`))!;
    expect(stored).toMatch(/^as1\./);
    expect(stored).not.toMatch(/SECRET|alice|client/);
    expect(await store.load('work')).toEqual(secretRecord(1));

    const expectRefused = async (s: CredentialStore, profile: string, message: RegExp) => {
      const err = await errorOf(s.load(profile));
      expect(err).toBeInstanceOf(CredentialStoreError);
      expect((err as AuthtrayError).code).toBe('STORE_ERROR');
      expect(err.message).toMatch(message);
      expect(err.message).toContain(`profile "${profile}"`);
      expect(err.message).not.toMatch(/SECRET|as1\./);
    };
    await expectRefused(open(url(), { key: randomBytes(32), prefix }), 'work', /encrypted with a different AUTHTRAY_STORE_KEY\. Set the key/);
    await expectRefused(open(url(), { prefix }), 'work', /is encrypted and AUTHTRAY_STORE_KEY is not set/);

    // Copy work's sealed record over home's: home's key name does not authenticate it.
    await server.set(`${prefix}:record:home`, stored);
    await expectRefused(store, 'home', /does not decrypt with AUTHTRAY_STORE_KEY \(altered, damaged, or copied from another profile\)/);
    // Flip one character of the ciphertext.
    const i = stored.length - 30;
    await server.set(`${prefix}:record:work`, stored.slice(0, i) + (stored[i] === 'A' ? 'B' : 'A') + stored.slice(i + 1));
    await expectRefused(store, 'work', /does not decrypt/);
    // Someone with write access plants a plain record of their own.
    await server.set(`${prefix}:record:work`, serializeCredentialRecord(sampleRecord(9)));
    await expectRefused(store, 'work', /is not encrypted, but AUTHTRAY_STORE_KEY is set/);
    // Saving over a bad value recovers.
    await store.save('work', secretRecord(3));
    expect(await store.load('work')).toEqual(secretRecord(3));
  });

  it('without a key stores plain JSON and says it is not secure', async () => {
    const prefix = newPrefix();
    const store = open(url(), { prefix });
    expect(store.info.secure).toBe(false);
    await store.save('work', secretRecord(1));
    expect(JSON.parse((await (await raw(backend)).get(`${prefix}:record:work`))!)).toEqual(secretRecord(1));
  });

  it('keeps the profile settings for hosts without a config, sealed too; refuses secrets in them; delete removes both', async () => {
    const prefix = newPrefix();
    const settings = { settings: { provider: 'oidc', clientId: 'fleet-client', issuer: 'https://issuer.example' }, account: { id: 'alice', name: 'Alice', email: 'a@example.test' } };
    const store = open(url(), { key: KEY, prefix });
    await store.save('work', secretRecord(1));
    await store.saveProfile!('work', settings);
    const otherHost = open(url(), { key: KEY, prefix });
    expect(await otherHost.loadProfile!('work')).toEqual(settings);
    expect(await otherHost.loadProfile!('nobody')).toBeNull();
    const server = await raw(backend);
    expect(await server.get(`${prefix}:profile:work`)).toMatch(/^as1\./);
    // The settings are authenticated too: a planted token endpoint is refused, not followed.
    await server.set(`${prefix}:profile:work`, JSON.stringify({ ...settings, settings: { ...settings.settings, endpoints: { token: 'https://evil.example/token' } } }));
    await expect(otherHost.loadProfile!('work')).rejects.toThrow(/Cannot trust the settings of profile "work"/);

    const err = await errorOf(store.saveProfile!('home', { settings: { provider: 'box', clientSecret: 'cs-SECRET' } }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/must hold no secret \(found "clientSecret"\)/);
    expect(err.message).not.toContain('cs-SECRET');
    expect(await server.get(`${prefix}:profile:home`)).toBeNull();

    await store.saveProfile!('work', settings);
    await store.delete('work');
    expect(await otherHost.load('work')).toBeNull();
    expect(await otherHost.loadProfile!('work')).toBeNull();
  });

  it('never has a moment without a record: readers on other connections during 200 saves', async () => {
    const prefix = newPrefix();
    const writer = open(url(), { key: KEY, prefix });
    await writer.save('work', sampleRecord(0, 2000));
    let writing = true;
    const read = async (reader: CredentialStore) => {
      const seen: number[] = [];
      while (writing) {
        const record = await reader.load('work');
        seen.push(record === null ? -1 : Number(/^refresh-(\d+)$/.exec(record.refreshToken!)![1]));
      }
      return seen;
    };
    const readers = [read(open(url(), { key: KEY, prefix })), read(open(url(), { key: KEY, prefix }))];
    for (let n = 1; n <= 200; n++) await writer.save('work', sampleRecord(n, 2000));
    writing = false;
    for (const seen of await Promise.all(readers)) {
      expect(seen.length).toBeGreaterThan(50);
      expect(seen).not.toContain(-1);
      // Each reader sees the saves in order: old or new, never anything else.
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
    expect((await writer.load('work'))!.refreshToken).toBe('refresh-200');
  });

  it('the lock: two instances × 40 concurrent callers, never two holders at once', async () => {
    const prefix = newPrefix();
    const [a, b] = [open(url(), { prefix }), open(url(), { prefix })];
    let holders = 0;
    let most = 0;
    let runs = 0;
    const critical = async () => {
      holders += 1;
      most = Math.max(most, holders);
      await sleep(Math.random() * 4);
      holders -= 1;
      runs += 1;
      return runs;
    };
    const calls = Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).lock!.withLock('work', critical));
    const results = await Promise.all(calls);
    expect(runs).toBe(80);
    expect(most).toBe(1);
    expect(new Set(results).size).toBe(80);
    // Other profiles have their own lock.
    await a.lock!.withLock('work', () => b.lock!.withLock('home', async () => {}));
  }, 60_000);

  it('the holder renews its lock while it works, and releases only its own', async () => {
    const prefix = newPrefix();
    const ttl = backend === 'memcached' ? 2_000 : 300;
    const [a, b] = [open(url(), { prefix, lockTtlMs: ttl }), open(url(), { prefix, lockWaitMs: 2 * ttl })];
    const taken = await errorOf(
      a.lock!.withLock('work', async () => {
        await sleep(100);
        return b.lock!.withLock('work', async () => 'got it');
      }),
    );
    expect(taken).toBeInstanceOf(CredentialStoreError);
    expect(taken.message).toMatch(/^Another authtray process \(\d+ on [^)]+\) has been refreshing profile "work" for over \d+ s \(its lock is in (Redis|Memcached) at 127\.0\.0\.1:\d+\)\. Try again/);

    const server = await raw(backend);
    await a.lock!.withLock('work', async () => {
      // The lock changed hands behind our back (it expired and someone else took it).
      await server.set(`${prefix}:lock:work`, 'someone-else');
    });
    expect(await server.get(`${prefix}:lock:work`)).toBe('someone-else');
  }, 30_000);

  it("a crashed holder's lock on this host is taken over at once; one from a host that cannot be seen expires", async () => {
    const prefix = newPrefix();
    const script = `
      const { openSharedStore } = await import(${JSON.stringify(join(ROOT, 'dist/main/store/shared.js'))});
      const store = openSharedStore(process.argv[1], { prefix: process.argv[2], lockTtlMs: 60000 });
      await store.lock.withLock('work', () => { process.stdout.write('held\\n'); return new Promise(() => {}); });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, url(), prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before taking the lock`)));
    });
    const server = await raw(backend);
    const held = JSON.parse((await server.get(`${prefix}:lock:work`))!) as { pid: number; host: string };
    expect(held.pid).toBe(child.pid);
    // While the holder lives, it keeps the lock...
    await expect(open(url(), { prefix, lockWaitMs: 300 }).lock!.withLock('work', async () => {})).rejects.toThrow(/has been refreshing profile "work"/);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // ...once it is gone, a waiter takes over at once: no waiting out its 60 s.
    expect(await open(url(), { prefix, lockWaitMs: 5_000 }).lock!.withLock('work', async () => 'ours')).toBe('ours');

    // A holder on another host cannot be seen: its lock is waited for until it expires.
    const ttl = backend === 'memcached' ? 2_000 : 600;
    await server.set(`${prefix}:lock:work`, JSON.stringify({ ...held, host: 'elsewhere.invalid' }), ttl);
    await expect(open(url(), { prefix, lockWaitMs: 100 }).lock!.withLock('work', async () => {})).rejects.toThrow(/^Another authtray process \(\d+ on elsewhere\.invalid\) has been refreshing/);
    expect(await open(url(), { prefix, lockWaitMs: 20_000 }).lock!.withLock('work', async () => 'ours')).toBe('ours');
  }, 40_000);

  it('a server that is not there is a quick typed error naming it, never the password', async () => {
    const port = await freePort();
    const store = open(`${backend}://fleet:hunter2@127.0.0.1:${port}`, { saveRetryMs: 300 });
    expect(store.info.location).not.toContain('hunter2');
    const name = backend === 'redis' ? 'Redis' : 'Memcached';
    const attempts = [() => store.load('work'), () => store.save('work', sampleRecord(1)), () => store.lock!.withLock('work', async () => {}), () => store.loadProfile!('work')];
    for (const attempt of attempts) {
      const err = await errorOf(attempt());
      expect(err).toBeInstanceOf(CredentialStoreError);
      expect(err.message).toMatch(new RegExp(`^Cannot .* ${name} at 127\\.0\\.0\\.1:${port} \\(connection refused\\)\\. Is ${name} running at 127\\.0\\.0\\.1:${port}\\? Check the store URL\\.$`));
      expect(err.message).not.toContain('hunter2');
    }
  });

  it('recovers by itself when the server comes back', async () => {
    const prefix = newPrefix();
    const store = open(url(), { key: KEY, prefix, saveRetryMs: 0 });
    await store.save('work', sampleRecord(1));
    await service().kill();
    try {
      const err = await errorOf(store.load('work'));
      expect(err).toBeInstanceOf(CredentialStoreError);
      expect(err.message).toMatch(/\((connection lost|connection refused)\)\. Is .* running at 127\.0\.0\.1:\d+\?/);
    } finally {
      await service().restart();
    }
    // Neither server here keeps data over a kill (redis.test.ts covers persistence); the store works again.
    await store.save('work', sampleRecord(2));
    expect(await store.load('work')).toEqual(sampleRecord(2));
  });
});

describe('store URLs', () => {
  it('chooses the backend from the scheme and refuses anything else without echoing it', () => {
    expect(openSharedStore('redis://127.0.0.1:6390/2').info).toEqual({ backend: 'redis', location: 'redis://127.0.0.1:6390/2', secure: false });
    expect(openSharedStore('rediss://u:p%40ss@cache.example', { key: KEY }).info).toEqual({ backend: 'redis', location: 'rediss://cache.example:6379/0', secure: true });
    expect(openSharedStore('memcached://[::1]:11300').info).toEqual({ backend: 'memcached', location: 'memcached://[::1]:11300', secure: false });
    for (const bad of ['http://u:hunter2@host', 'redis://u:hunter2@host/db', 'redis://u:hunter2@host:6379/1?x=1', 'memcached://u:hunter2@host/path', 'redis://', 'hunter2']) {
      let err: unknown;
      try {
        openSharedStore(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UsageError);
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(() => openSharedStore('redis://127.0.0.1', { prefix: 'has space' })).toThrow(UsageError);
    expect(sharedStoreLocation('redis://fleet:hunter2@10.0.0.5:6379/1')).toBe('redis://10.0.0.5:6379/1');
  });
});
