// The keep-alive and the health watch against the sandbox, with short provider rules (seconds) and
// counted token requests: renewed before the refresh token lapses, not renewed twice when a program
// renewed it, and a grant revoked at the provider found without anyone asking for a token.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import type { ProfileSettings } from '../../main/auth/providers/index.js';
import { LinkWatch, type HealthChange, type WatchEvent } from '../../main/health/watch.js';
import { SANDBOX_CLIENTS, startSandbox, type Sandbox } from '../sandbox/provider.js';
import { boxEndpoints } from '../support/box.js';
import { storedRecord, waitFor } from '../support/fixtures.js';
import { approve } from '../support/login.js';

const LIFETIME_S = 6;
const box = SANDBOX_CLIENTS.box;
let sandbox: Sandbox;
let dataDir: string;
let home: string;
const watches: LinkWatch[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'authtray-sandbox-'));
  // Box-style: refresh tokens rotate, each lives LIFETIME_S seconds unused.
  sandbox = await startSandbox({ dataDir, refreshTokenTtl: LIFETIME_S });
});
afterAll(async () => {
  await sandbox?.close();
  await rm(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'authtray-home-'));
});
afterEach(async () => {
  for (const watch of watches.splice(0)) watch.stop();
  await rm(home, { recursive: true, force: true });
});

const boxSettings = (): ProfileSettings => ({ provider: 'box', clientId: box.clientId, endpoints: { authorize: `${sandbox.issuer}/auth`, ...boxEndpoints(sandbox) } });
const refreshes = () => sandbox.stats.byGrant.refresh_token ?? 0;

async function linkBox(accounts: Accounts, profile = 'box') {
  const started = await accounts.startLink(profile, boxSettings(), { redirect: 'paste', clientSecret: box.clientSecret });
  await accounts.finishLink(profile, (await approve(started.url)).redirectUrl, { clientSecret: box.clientSecret });
  sandbox.stats.reset();
  return storedRecord(home, profile);
}

function watch(accounts: Accounts, extra: { retryDelaysMs?: number[] } = {}) {
  const events: WatchEvent[] = [];
  const changes: HealthChange[] = [];
  const w = new LinkWatch({ accounts, idleLifetime: (s) => (s.provider === 'box' ? LIFETIME_S * 1000 : null), log: (e) => void events.push(e), ...extra });
  w.onChange((c) => void changes.push(c));
  watches.push(w);
  return { w, events, changes };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keep-alive against the sandbox', () => {
  it('renews a Box-style grant before its refresh token lapses unused, once per plan', async () => {
    const accounts = new Accounts({ home, store: 'plaintext' });
    const linked = await linkBox(accounts);
    const { w, events } = watch(accounts);
    await w.start();
    expect(refreshes()).toBe(0); // nothing due at start: the token is fresh
    expect(w.planned().get('box')).toBe(linked.issuedAt! + LIFETIME_S * 750);

    // Past the first token's lifetime: it was renewed in time, exactly once.
    await sleep(linked.issuedAt! + LIFETIME_S * 1000 + 300 - Date.now());
    expect(refreshes()).toBe(1);
    expect(sandbox.stats.tokenErrors).toEqual({});
    const renewed = await storedRecord(home, 'box');
    expect(renewed.refreshToken).not.toBe(linked.refreshToken);
    expect((await sandbox.introspect(linked.refreshToken!)).active).toBe(false);
    expect((await sandbox.introspect(renewed.refreshToken!)).active).toBe(true);
    expect(events.filter((e) => e.event === 'renewed')).toEqual([{ event: 'renewed', profile: 'box' }]);
    expect(w.planned().get('box')).toBe(renewed.issuedAt! + LIFETIME_S * 750);
    expect(w.healthOf('box')).toBe('linked');
  });

  it('makes no request when another program renewed the token meanwhile', async () => {
    const accounts = new Accounts({ home, store: 'plaintext' });
    const linked = await linkBox(accounts);
    const { w, events } = watch(accounts);
    await w.start();
    // Another program (its own accounts service, as `authtray token` would be) refreshes first.
    await sleep(linked.issuedAt! + 1200 - Date.now());
    const program = new Accounts({ home, store: 'plaintext' });
    await (await program.session('box')).refresh();
    expect(refreshes()).toBe(1);
    const byProgram = await storedRecord(home, 'box');

    await waitFor(() => events.some((e) => e.event === 'renewal-skipped'), 'the keep-alive to find the renewed token', 10_000);
    await w.idle(); // planned again from the program's record
    expect(refreshes()).toBe(1);
    expect(sandbox.stats.tokenErrors).toEqual({});
    expect(w.planned().get('box')).toBe(byProgram.issuedAt! + LIFETIME_S * 750);
  });
});

describe('health against the sandbox', () => {
  it('a grant revoked at the provider while the app runs: needs relink, one change, found by the keep-alive', async () => {
    const accounts = new Accounts({ home, store: 'plaintext' });
    const linked = await linkBox(accounts);
    const { w, changes } = watch(accounts);
    await w.start();
    expect(changes).toEqual([{ profile: 'box', from: null, to: 'linked', code: null }]);
    const revoked = await fetch(`${sandbox.issuer}/box/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: linked.refreshToken!, client_id: box.clientId, client_secret: box.clientSecret }),
    });
    expect(revoked.status).toBe(200);

    await waitFor(() => w.healthOf('box') === 'needs-relink', 'the watch to find the revoked grant', 10_000);
    expect(sandbox.stats.tokenErrors).toEqual({ invalid_grant: 1 });
    await w.idle();
    expect(changes.slice(1)).toEqual([{ profile: 'box', from: 'linked', to: 'needs-relink', code: 'NEEDS_RELINK' }]);
    expect(w.needingPerson()).toEqual(['box']);
    expect((await accounts.status('box')).needsRelink).toBe(true);
    expect(w.planned().size).toBe(0);
  });

  it('provider out of reach: retried with backoff, "provider unreachable" only after the last retry, linked again once it answers', async () => {
    const accounts = new Accounts({ home, store: 'plaintext' });
    await linkBox(accounts);
    // The access token has expired: the check at start renews it.
    const { PlaintextCredentialStore } = await import('../../main/store/plaintext.js');
    const store = new PlaintextCredentialStore(join(home, 'credentials'));
    const record = (await store.load('box'))!;
    await store.save('box', { ...record, expiresAt: Date.now() - 1000 });
    const port = sandbox.port;
    await sandbox.close(); // the laptop is offline
    const { w, events, changes } = watch(accounts, { retryDelaysMs: [50, 100] });
    await w.start().finally(async () => {
      sandbox = await startSandbox({ port, dataDir, refreshTokenTtl: LIFETIME_S });
    });
    expect(events.filter((e) => e.event === 'renewal-failed').map((e) => e.event === 'renewal-failed' && [e.code, e.attempt])).toEqual([
      ['CONNECTION_FAILED', 1],
      ['CONNECTION_FAILED', 2],
      ['CONNECTION_FAILED', 3],
    ]);
    expect(changes).toEqual([{ profile: 'box', from: null, to: 'provider-unreachable', code: 'CONNECTION_FAILED' }]);
    expect(w.needingPerson()).toEqual([]); // offline is not a broken link

    await w.replan(); // the network is back
    expect(w.healthOf('box')).toBe('linked');
    expect(refreshes()).toBe(1);
  });
});
