// Tokens shared between sessions: the store callback, cooperative sessions (Box's
// CooperativelyManagedOAuth2) and remote sessions (Box's RemoteOAuth2), against the sandbox and a
// real token service on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Accounts, type AccountsOptions } from '../../main/accounts.js';
import { cooperativeSession, InProcessRefreshLock, remoteSession, type TokenPair } from '../../main/auth/managed.js';
import type { ProfileSettings } from '../../main/auth/providers/index.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import type { CredentialRecord } from '../../main/store/types.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { approve } from '../support/login.js';
import { boxEndpoints, expectCode, writeBoxSettings, useSandbox } from '../support/box.js';

const t = useSandbox();

const box = SANDBOX_CLIENTS.box;
const boxSettings = (): ProfileSettings => ({ provider: 'box', clientId: box.clientId, endpoints: { authorize: `${t.sandbox.issuer}/auth`, ...boxEndpoints(t.sandbox) } });
const refreshes = () => t.sandbox.stats.byGrant.refresh_token ?? 0;
const store = () => new PlaintextCredentialStore(join(t.home, 'credentials'));

/** Links a Box OAuth profile (rotating refresh tokens) through the sandbox's login page. */
async function linkBox(a: Accounts, profile = 'box') {
  const started = await a.startLink(profile, boxSettings(), { redirect: 'paste', clientSecret: box.clientSecret });
  await a.finishLink(profile, (await approve(started.url)).redirectUrl, { clientSecret: box.clientSecret });
  return (await store().load(profile))!;
}

async function expire(profile: string) {
  const record = (await store().load(profile))!;
  await store().save(profile, { ...record, expiresAt: Date.now() - 1000 });
}

describe('the store callback (Box’s store_tokens)', () => {
  it('gets every new record, after it is stored: the link, then each rotation', async () => {
    const seen: [string, CredentialRecord][] = [];
    const a = new Accounts({ home: t.home, onTokens: (profile, record) => void seen.push([profile, record]) });
    const linked = await linkBox(a);
    expect(seen).toEqual([['box', linked]]);
    await expire('box');
    const token = await a.accessToken('box');
    expect(seen).toHaveLength(2);
    const stored = (await store().load('box'))!;
    expect(seen[1]).toEqual(['box', stored]);
    expect(stored.accessToken).toBe(token);
    expect(stored.refreshToken).not.toBe(linked.refreshToken);
  });

  it('feeds a second session, which then uses the owner’s tokens without a request of its own', async () => {
    let published: TokenPair | null = null;
    const owner = new Accounts({ home: t.home, onTokens: (_profile, r) => void (published = { accessToken: r.accessToken, refreshToken: r.refreshToken, expiresAt: r.expiresAt }) });
    await linkBox(owner);
    const reader = cooperativeSession({ settings: boxSettings(), clientSecret: box.clientSecret, retrieveTokens: () => published });
    const first = await reader.accessToken();
    expect(first).toBe((await store().load('box'))!.accessToken);

    await expire('box');
    const renewed = await owner.accessToken('box');
    t.sandbox.stats.reset();
    // The reader's token was refused (a 401, say): the owner has renewed meanwhile, so no request.
    const record = await reader.refresh(first);
    expect(record.accessToken).toBe(renewed);
    expect(await reader.accessToken()).toBe(renewed);
    expect(t.sandbox.stats.tokenRequests).toBe(0);
  });

  it('a failing callback reaches the caller; the record is stored all the same', async () => {
    let fail = false;
    const a = new Accounts({
      home: t.home,
      onTokens: () => {
        if (fail) throw new Error('the caller’s database is down');
      },
    } satisfies AccountsOptions);
    await linkBox(a);
    await expire('box');
    fail = true;
    await expect(a.accessToken('box')).rejects.toThrow(/database is down/);
    expect((await store().load('box'))!.expiresAt! > Date.now()).toBe(true);
  });
});

describe('cooperative sessions (Box’s CooperativelyManagedOAuth2)', () => {
  /** Another component's copy of the tokens, seeded from a linked Box profile. */
  async function component() {
    const record = await linkBox(new Accounts({ home: t.home }));
    const owner = { pair: { accessToken: record.accessToken, refreshToken: record.refreshToken, expiresAt: record.expiresAt } as TokenPair, stored: 0 };
    const session = () =>
      cooperativeSession({
        settings: boxSettings(),
        clientSecret: box.clientSecret,
        retrieveTokens: async () => ({ ...owner.pair }),
        storeTokens: async (pair) => {
          owner.pair = pair;
          owner.stored += 1;
        },
      });
    return { owner, session };
  }

  it('two sessions over one pair refresh once between them, and the rotated pair goes back to its owner', async () => {
    const { owner, session } = await component();
    const spent = owner.pair.refreshToken;
    owner.pair = { ...owner.pair, expiresAt: Date.now() - 1000 };
    const [a, b] = [session(), session()];
    t.sandbox.stats.reset();
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).accessToken()));
    expect(refreshes()).toBe(1);
    expect(t.sandbox.stats.tokenErrors).toEqual({});
    expect(owner.stored).toBe(1);
    expect(new Set(got)).toEqual(new Set([owner.pair.accessToken]));
    expect(owner.pair.refreshToken).not.toBe(spent);
    expect((await t.sandbox.introspect(owner.pair.accessToken)).active).toBe(true);
  });

  it('after a 401, a session renewed by the other is not renewed again', async () => {
    const { owner, session } = await component();
    const [a, b] = [session(), session()];
    const old = await b.accessToken();
    t.sandbox.stats.reset();
    await a.refresh();
    expect(refreshes()).toBe(1);
    const record = await b.refresh(old);
    expect(refreshes()).toBe(1);
    expect(record.accessToken).toBe(owner.pair.accessToken);
    expect(await b.accessToken()).toBe(owner.pair.accessToken);
  });

  it('a pair without an expiry is used until refused', async () => {
    const { owner, session } = await component();
    owner.pair = { accessToken: owner.pair.accessToken, refreshToken: owner.pair.refreshToken };
    const s = session();
    t.sandbox.stats.reset();
    expect(await s.accessToken()).toBe(owner.pair.accessToken);
    expect(t.sandbox.stats.tokenRequests).toBe(0);
    const renewed = await s.refresh();
    expect(refreshes()).toBe(1);
    expect(renewed.accessToken).toBe(owner.pair.accessToken);
  });

  it('no pair yet is "not linked"; a lost rotation reaches the caller', async () => {
    const none = cooperativeSession({ settings: boxSettings(), clientSecret: box.clientSecret, retrieveTokens: () => null, name: 'sync' });
    expect((await expectCode(none.accessToken(), 'NOT_LINKED')).message).toMatch(/"sync"/);
    const { owner } = await component();
    const failing = cooperativeSession({
      settings: boxSettings(),
      clientSecret: box.clientSecret,
      retrieveTokens: () => ({ ...owner.pair, expiresAt: 0 }),
      storeTokens: () => Promise.reject(new Error('owner gone')),
    });
    await expect(failing.accessToken()).rejects.toThrow(/owner gone/);
  });
});

describe('InProcessRefreshLock', () => {
  it('runs one holder at a time per name and keeps going after a failure', async () => {
    const lock = new InProcessRefreshLock();
    const log: string[] = [];
    const step = (name: string, fail = false) =>
      lock.withLock('p', async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`${name}-`);
        if (fail) throw new Error(name);
      });
    const results = await Promise.allSettled([step('a'), step('b', true), step('c'), lock.withLock('other', async () => log.push('o'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(log.filter((e) => e !== 'o')).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(log.indexOf('o')).toBeLessThan(log.indexOf('a-'));
  });
});

describe('remote sessions (Box’s RemoteOAuth2)', () => {
  let service: Server;
  let serviceUrl: string;
  let owner: Accounts;
  let hits: number;
  let mode: 'ok' | 'error' | 'text';
  const KEY = 'Bearer service-key';

  beforeEach(async () => {
    // A company token service: it holds a Box JWT link and hands out access tokens to its clients.
    owner = new Accounts({ home: t.home });
    await owner.linkBoxJwt('svc', { settings: await writeBoxSettings(t.home, t.sandbox, 'pw'), endpoints: boxEndpoints(t.sandbox) });
    hits = 0;
    mode = 'ok';
    service = createServer(async (req, res) => {
      hits += 1;
      if (req.headers.authorization !== KEY) return res.writeHead(401).end();
      if (mode === 'error') return res.writeHead(503).end('down for maintenance');
      if (mode === 'text') return res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      const token = await owner.accessToken('svc');
      const record = (await store().load('svc'))!;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: Math.floor((record.expiresAt! - Date.now()) / 1000) }));
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}/token`;
  });
  afterEach(async () => {
    service.closeAllConnections();
    await new Promise((resolve) => service.close(resolve));
  });

  it('two sessions get the service’s token over HTTP, and ask again when it runs out or is refused', async () => {
    let clock = Date.now();
    const make = () => remoteSession({ url: serviceUrl, headers: { authorization: KEY }, deps: { now: () => clock } });
    const [a, b] = [make(), make()];
    const [ta, tb] = await Promise.all([a.accessToken(), b.accessToken()]);
    expect(hits).toBe(2);
    expect(ta).toBe(tb);
    expect((await t.sandbox.introspect(ta)).active).toBe(true);
    expect(await a.accessToken()).toBe(ta);
    expect(hits).toBe(2);

    // The service renews its own token; a client whose token was refused asks again.
    await expire('svc');
    const renewed = await owner.accessToken('svc');
    expect((await a.refresh()).accessToken).toBe(renewed);
    expect(hits).toBe(3);
    // The lifetime the service gave counts: past it, b asks again.
    clock += 2 * 3600_000;
    expect(await b.accessToken()).toBe(renewed);
    expect(hits).toBe(4);
  });

  it('a function source is called with the token that was refused', async () => {
    const calls: (string | null)[] = [];
    let n = 0;
    const source = async (previous: string | null) => {
      calls.push(previous);
      return `remote-token-${++n}`;
    };
    const [a, b] = [remoteSession({ retrieveAccessToken: source }), remoteSession({ retrieveAccessToken: source })];
    expect(await a.accessToken()).toBe('remote-token-1');
    expect(await b.accessToken()).toBe('remote-token-2');
    expect(await a.accessToken()).toBe('remote-token-1');
    expect((await a.refresh()).accessToken).toBe('remote-token-3');
    expect(calls).toEqual([null, null, 'remote-token-1']);
  });

  it('downscopes its token when given the provider’s settings', async () => {
    const s = remoteSession({ url: serviceUrl, headers: { authorization: KEY }, settings: boxSettings() });
    const restricted = await s.downscope(['item_preview']);
    expect(await t.sandbox.introspect(restricted.accessToken)).toMatchObject({ active: true, scope: 'item_preview' });
    await expectCode(remoteSession({ url: serviceUrl, headers: { authorization: KEY } }).downscope(['item_preview']), 'USAGE');
  });

  it('service failures are typed and name the host, never a token', async () => {
    const host = new URL(serviceUrl).host;
    const refused = await expectCode(remoteSession({ url: serviceUrl }).accessToken(), 'PROVIDER_ERROR');
    expect(refused.message).toBe(`The token service ${host} refused the request (HTTP 401). Check its URL and the headers sent to it.`);
    mode = 'error';
    expect((await expectCode(remoteSession({ url: serviceUrl, headers: { authorization: KEY } }).accessToken(), 'CONNECTION_FAILED')).message).toMatch(/server error \(HTTP 503\)/);
    mode = 'text';
    expect((await expectCode(remoteSession({ url: serviceUrl, headers: { authorization: KEY } }).accessToken(), 'CONNECTION_FAILED')).message).toMatch(/did not answer with a token response/);
    service.closeAllConnections();
    await new Promise((resolve) => service.close(resolve));
    service.listen(0, '127.0.0.1'); // for afterEach
    expect((await expectCode(remoteSession({ url: serviceUrl, headers: { authorization: KEY } }).accessToken(), 'CONNECTION_FAILED')).message).toMatch(/Could not reach/);
  });

  it('refuses plain http off the machine, and needs exactly one source', () => {
    expect(() => remoteSession({ url: 'http://tokens.example.com/token' })).toThrow(/must use https/);
    expect(() => remoteSession({})).toThrow(/either retrieveAccessToken or url/);
  });

  it('close({ revoke: true }) revokes nothing (the service owns the grant) and closes', async () => {
    const s = remoteSession({ url: serviceUrl, headers: { authorization: KEY } });
    const token = await s.accessToken();
    t.sandbox.stats.reset();
    await s.close({ revoke: true });
    expect(s.closed).toBe(true);
    expect(Object.keys(t.sandbox.stats.requests)).toEqual([]);
    expect((await t.sandbox.introspect(token)).active).toBe(true);
    await expectCode(s.accessToken(), 'SESSION_CLOSED');
  });
});
