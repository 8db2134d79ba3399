// Refresh storms through the shared stores: 8 processes × 100 concurrent callers at expiry, two
// AUTHTRAY_HOME directories standing for two hosts (the second has only what the store shares), the
// sandbox provider rotating refresh tokens.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { openSharedStore } from '../../main/store/shared.js';
import { SANDBOX_CLIENTS, startSandbox, type Sandbox } from '../sandbox/provider.js';
import { startMemcached, startRedis, type Service } from '../support/services.js';
import { linkWith, runStorm, shareProfile } from '../support/storm.js';

let sandbox: Sandbox;
let sandboxData: string;
let redis: Service;
let memcached: Service;
const KEY = randomBytes(32);

beforeAll(async () => {
  sandboxData = await mkdtemp(join(tmpdir(), 'authtray-sandbox-'));
  [sandbox, redis, memcached] = await Promise.all([startSandbox({ dataDir: sandboxData }), startRedis(), startMemcached()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([sandbox?.close(), redis?.stop(), memcached?.stop()]);
  await rm(sandboxData, { recursive: true, force: true });
});

describe.each([
  ['Redis', () => redis],
  ['Memcached', () => memcached],
])('a storm through %s', (_name, service) => {
  it('8 processes × 100 callers at expiry: one refresh request, no invalid_grant, one new token for all', async () => {
    const url = service().url;
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const [hostA, hostB] = [await mkdtemp(join(tmpdir(), 'authtray-host-a-')), await mkdtemp(join(tmpdir(), 'authtray-host-b-'))];
    const store = openSharedStore(url, { key: KEY, prefix });
    try {
      const linker = new Accounts({ home: hostA, openStore: () => store, defaultBackend: url });
      await linkWith(linker, 'fleet', { provider: 'oidc', clientId: SANDBOX_CLIENTS.native.clientId, issuer: sandbox.issuer, sandbox: true });
      // Host B has no profile of its own: it takes the settings the store shares (nothing secret).
      await shareProfile(store, linker, hostB, 'fleet');
      const before = (await store.load('fleet'))!;
      for (const secret of [before.accessToken, before.refreshToken!]) expect(await readFile(join(hostB, 'config.json'), 'utf8')).not.toContain(secret);

      sandbox.stats.reset();
      const { tokens, errors } = await runStorm({ url, key: KEY, prefix, profile: 'fleet', homes: [hostA, hostB], now: before.expiresAt! + 1000, processes: 8, callers: 100 });
      expect(errors).toEqual([]);
      expect(tokens).toHaveLength(800);
      expect(sandbox.stats.byGrant.refresh_token).toBe(1);
      expect(sandbox.stats.tokenErrors).toEqual({});
      const after = (await store.load('fleet'))!;
      expect(new Set(tokens)).toEqual(new Set([after.accessToken]));
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect((await sandbox.introspect(after.accessToken)).active).toBe(true);
      expect((await sandbox.introspect(after.refreshToken!)).active).toBe(true);
    } finally {
      await store.close?.();
      await Promise.all([hostA, hostB].map((dir) => rm(dir, { recursive: true, force: true })));
    }
  }, 180_000);
});
