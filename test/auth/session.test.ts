// Closing a session (Box's close(revoke) / closing()): `close()`, `await using`, and what a closed
// session refuses. Against the sandbox.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import type { ProfileSettings } from '../../main/auth/providers/index.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import type { CredentialRecord } from '../../main/store/types.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { JWT_BEARER } from '../sandbox/box.js';
import { approve } from '../support/login.js';
import { boxEndpoints, expectCode, writeBoxSettings, useSandbox } from '../support/box.js';

const t = useSandbox();

let seen: CredentialRecord[];

const accounts = () => new Accounts({ home: t.home, onTokens: (_p, r) => void seen.push(r) });
const store = () => new PlaintextCredentialStore(join(t.home, 'credentials'));
const oidc = (): ProfileSettings => ({ provider: 'oidc', clientId: SANDBOX_CLIENTS.native.clientId, issuer: t.sandbox.issuer });

async function linkOidc(a: Accounts, settings = oidc()) {
  const started = await a.startLink('p', settings, { redirect: 'paste' });
  await a.finishLink('p', (await approve(started.url)).redirectUrl);
  return (await store().load('p'))!;
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeEach(() => {
  seen = [];
});

describe('closing a session', () => {
  it('`await using` closes it at the end of the scope; a closed session refuses, and a new one works', async () => {
    const a = accounts();
    await linkOidc(a);
    let kept;
    {
      await using session = await a.session('p');
      kept = session;
      expect((await t.sandbox.introspect(await session.accessToken())).active).toBe(true);
      expect(session.closed).toBe(false);
    }
    expect(kept.closed).toBe(true);
    for (const call of [() => kept.accessToken(), () => kept.refresh(), () => kept.record(), () => kept.downscope(['item_read'])]) {
      const err = await expectCode(call(), 'SESSION_CLOSED');
      expect(err.message).toMatch(/"p" was closed/);
    }
    const next = await a.session('p');
    expect(next).not.toBe(kept);
    expect((await t.sandbox.introspect(await next.accessToken())).active).toBe(true);
    // Closing without revoking leaves the grant alone.
    expect((await t.sandbox.introspect((await store().load('p'))!.refreshToken!)).active).toBe(true);
    await kept.close(); // again: nothing happens
  });

  it('closing({ revoke: true }) revokes the grant, marks the tokens dead and the profile for relinking', async () => {
    const a = accounts();
    const linked = await linkOidc(a);
    seen = [];
    {
      const session = await a.session('p');
      await using _closing = session.closing({ revoke: true });
      await session.accessToken();
    }
    expect((await t.sandbox.introspect(linked.refreshToken!)).active).toBe(false);
    expect((await t.sandbox.introspect(linked.accessToken)).active).toBe(false);
    const stored = (await store().load('p'))!;
    expect(stored.expiresAt! <= Date.now()).toBe(true);
    expect(seen).toEqual([stored]);
    expect((await a.status('p')).needsRelink).toBe(true);
    await expectCode(a.accessToken('p'), 'NEEDS_RELINK');
  });

  it('a JWT session revokes its token and the profile signs a new assertion next time', async () => {
    const a = accounts();
    await a.linkBoxJwt('p', { settings: await writeBoxSettings(t.home, t.sandbox, 'pw'), endpoints: boxEndpoints(t.sandbox) });
    const session = await a.session('p');
    const token = await session.accessToken();
    await session.close({ revoke: true });
    expect((await t.sandbox.introspect(token)).active).toBe(false);
    expect((await a.status('p')).needsRelink).toBe(false);
    t.sandbox.stats.reset();
    const next = await a.accessToken('p');
    expect(t.sandbox.stats.byGrant[JWT_BEARER]).toBe(1);
    expect((await t.sandbox.introspect(next)).active).toBe(true);
  });

  it('a refresh running when the session closes still finishes and is stored', async () => {
    const a = accounts();
    const linked = await linkOidc(a);
    await store().save('p', { ...linked, expiresAt: Date.now() - 1000 });
    const session = await a.session('p');
    const token = session.accessToken();
    await session.close();
    const renewed = await token;
    expect((await store().load('p'))!.accessToken).toBe(renewed);
    expect((await t.sandbox.introspect(renewed)).active).toBe(true);
    await expectCode(session.accessToken(), 'SESSION_CLOSED');
  });

  it('a revocation that fails still closes the session, then reports the failure', async () => {
    const a = accounts();
    await linkOidc(a, { ...oidc(), endpoints: { revoke: `http://127.0.0.1:${await deadPort()}/revoke` } });
    const session = await a.session('p');
    await session.accessToken();
    await expectCode(session.close({ revoke: true }), 'CONNECTION_FAILED');
    expect(session.closed).toBe(true);
    await expectCode(session.accessToken(), 'SESSION_CLOSED');
  });

  it('a developer token cannot be revoked: closing with revoke just closes', async () => {
    const a = accounts();
    const token = await t.sandbox.developerToken('erin');
    await a.linkDeveloperToken('p', token, { endpoints: boxEndpoints(t.sandbox) });
    const session = await a.session('p');
    t.sandbox.stats.reset();
    await session.close({ revoke: true });
    expect(t.sandbox.stats.requests).toEqual({});
    expect((await t.sandbox.introspect(token)).active).toBe(true);
    expect(session.closed).toBe(true);
  });
});

describe('developer tokens over time', () => {
  it('are handed out until they run out, then the profile needs relinking (no refresh)', async () => {
    let clock = Date.now();
    const a = new Accounts({ home: t.home, deps: { now: () => clock } });
    const token = await t.sandbox.developerToken('erin');
    const status = await a.linkDeveloperToken('p', token, { endpoints: boxEndpoints(t.sandbox) });
    expect(status).toMatchObject({ provider: 'box-developer-token', account: { id: 'erin' }, token: { kind: 'developer' } });
    expect(new Date(status.token!.expiresAt!).getTime() - clock).toBe(60 * 60_000);
    expect(await a.accessToken('p')).toBe(token);
    clock += 61 * 60_000;
    t.sandbox.stats.reset();
    await expectCode(a.accessToken('p'), 'NEEDS_RELINK');
    expect(t.sandbox.stats.tokenRequests).toBe(0);
    expect((await a.status('p')).needsRelink).toBe(true);
  });

  it('a refused developer token (a 401, then refresh()) needs relinking too', async () => {
    const a = accounts();
    await a.linkDeveloperToken('p', await t.sandbox.developerToken('erin'), { endpoints: boxEndpoints(t.sandbox) });
    const session = await a.session('p');
    await session.accessToken();
    expect((await expectCode(session.refresh(), 'NEEDS_RELINK')).message).toMatch(/developer token was refused/);
  });

  it('a token Box does not accept is not linked', async () => {
    const err = await expectCode(accounts().linkDeveloperToken('p', 'not-a-real-token-at-all', { endpoints: boxEndpoints(t.sandbox) }), 'INVALID_TOKEN');
    expect(err.message).toMatch(/did not accept the developer token/);
    expect(err.message).not.toContain('not-a-real-token-at-all');
    await expectCode(accounts().linkDeveloperToken('p', 'bad token with spaces', { endpoints: boxEndpoints(t.sandbox) }), 'INVALID_TOKEN');
  });
});
