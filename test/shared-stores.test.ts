// A fleet through the real `authtray` command and real redis-server / memcached: one host links with
// --store, other hosts (AUTHTRAY_HOME directories of their own, empty) only ask for tokens. Then
// refresh storms: 8 processes × 100 callers at expiry across two hosts → one refresh request.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSharedStore, sharedStoreLocation } from '../main/store/shared.js';
import type { CredentialStore } from '../main/store/types.js';
import { startSandbox, type Sandbox } from './sandbox/provider.js';
import { cliEnv, runCli, startCli, tempHome } from './support/cli.js';
import { approve } from './support/login.js';
import { startMemcached, startRedis, type Service } from './support/services.js';
import { refreshStorm } from './support/storm.js';

const KEY = randomBytes(32).toString('base64');
const PASSWORD = 'fleet-redis-password';

let sandbox: Sandbox;
let redis: Service;
let memcached: Service;
const cleanups: (() => Promise<void>)[] = [];

async function home(): Promise<string> {
  const dir = await tempHome();
  cleanups.push(dir.cleanup);
  return dir.dir;
}

beforeAll(async () => {
  const data = await home();
  [sandbox, redis, memcached] = await Promise.all([startSandbox({ dataDir: data }), startRedis({ password: PASSWORD }), startMemcached()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([sandbox?.close(), redis?.stop(), memcached?.stop()]);
  for (const cleanup of cleanups) await cleanup();
});

const redisUrl = () => redis.url.replace('redis://', `redis://:${PASSWORD}@`);
const fleets: [string, () => string][] = [
  ['Redis (password, sealed)', redisUrl],
  ['Memcached (sealed)', () => memcached.url],
];

/** Links `profile` on a new host with the real command; returns the host's environment. */
async function linkOnNewHost(url: string, profile: string): Promise<NodeJS.ProcessEnv> {
  const env = cliEnv(await home(), { AUTHTRAY_STORE_KEY: KEY });
  const run = startCli(['link', '--profile', profile, '--provider', 'sandbox', '--issuer', sandbox.issuer, '--no-browser', '--store', url], env);
  await approve(await run.waitForLine(/^http/), { login: 'fleet', follow: true });
  const result = await run.result;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).not.toContain(PASSWORD);
  return env;
}

describe.each(fleets)('a fleet through %s', (_name, url) => {
  let store: CredentialStore;
  beforeAll(() => {
    store = openSharedStore(url(), { env: { AUTHTRAY_STORE_KEY: KEY } });
  });
  afterAll(async () => {
    await store?.close?.();
  });

  it('one link, then token and status on a host with no profile of its own; nothing secret in any config', async () => {
    const hostA = await linkOnNewHost(url(), 'fleet-one');
    const hostB = cliEnv(await home(), { AUTHTRAY_STORE_KEY: KEY });
    const record = (await store.load('fleet-one'))!;

    // Host A remembers the store without the password; neither host keeps a secret on disk.
    const config = await readFile(join(hostA.AUTHTRAY_HOME!, 'config.json'), 'utf8');
    expect(JSON.parse(config).profiles['fleet-one'].store.backend).toBe(sharedStoreLocation(url()));
    for (const secret of [record.accessToken, record.refreshToken!, PASSWORD]) expect(config).not.toContain(secret);

    const token = await runCli(['token', '--profile', 'fleet-one', '--store', url()], hostB);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout.trim()).toBe(record.accessToken);
    const status = await runCli(['status', '--json', '--profile', 'fleet-one', '--store', url()], hostB);
    const parsed = JSON.parse(status.stdout);
    expect(parsed).toMatchObject({ linked: true, account: { id: 'fleet' }, store: { secure: true } });
    expect(parsed.store.location).not.toContain(PASSWORD);
    expect(await readFile(join(hostB.AUTHTRAY_HOME!, 'config.json'), 'utf8').catch(() => 'no config')).toBe('no config');

    // The key is needed: without it the sealed record does not open (and nothing is overwritten).
    const keyless = await runCli(['token', '--profile', 'fleet-one', '--store', url()], cliEnv(await home()));
    expect(keyless.code).toBe(3);
    expect(await store.load('fleet-one')).toEqual(record);

    // Unlinked from any host, the profile is gone for the whole fleet.
    expect((await runCli(['unlink', '--profile', 'fleet-one', '--store', url()], hostB)).code).toBe(0);
    expect(await store.load('fleet-one')).toBeNull();
    expect((await runCli(['token', '--profile', 'fleet-one', '--store', url()], hostB)).code).toBe(1);
  });

  it('8 processes × 100 callers at expiry on two hosts: one refresh request, no invalid_grant, one new token for all', async () => {
    const hostA = await linkOnNewHost(url(), 'fleet-storm');
    const hostB = cliEnv(await home(), { AUTHTRAY_STORE_KEY: KEY });
    const before = (await store.load('fleet-storm'))!;
    await store.save('fleet-storm', { ...before, expiresAt: Date.now() - 1000 });
    sandbox.stats.reset();

    const envs = [hostA, hostB].map((env) => ({ ...env, AUTHTRAY_STORE: url() }));
    const { tokens, errors } = await refreshStorm({ processes: 8, callers: 100, profile: 'fleet-storm', envs });

    expect(errors).toEqual([]);
    expect(tokens).toHaveLength(800);
    expect(sandbox.stats.byGrant.refresh_token).toBe(1);
    expect(sandbox.stats.tokenErrors).toEqual({});
    const after = (await store.load('fleet-storm'))!;
    expect(new Set(tokens)).toEqual(new Set([after.accessToken]));
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await sandbox.introspect(after.refreshToken!)).active).toBe(true);
  }, 180_000);
});
