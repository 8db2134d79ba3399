// Downscoping (RFC 8693 token exchange) against the sandbox's token-exchange grant.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Accounts } from '../../main/accounts.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../../main/auth/token-exchange.js';
import { ConfigFile } from '../../main/store/config.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { BOX_DOWNSCOPE_CLIENT, serviceAccountOf } from '../sandbox/box.js';
import { approve } from '../support/login.js';
import { boxEndpoints, boxFileUrl, expectCode, writeBoxSettings, useSandbox } from '../support/box.js';

const t = useSandbox();

const accounts = () => new Accounts({ home: t.home });
const exchanges = () => t.sandbox.stats.byGrant[TOKEN_EXCHANGE_GRANT] ?? 0;

async function linkJwt(a = accounts()) {
  await a.linkBoxJwt('box', { settings: await writeBoxSettings(t.home, t.sandbox, 'pw'), endpoints: boxEndpoints(t.sandbox) });
  return a;
}

describe('downscoping a Box token', () => {
  it('returns a token restricted to the scopes and the file, without storing it or authenticating the client', async () => {
    const a = await linkJwt();
    const before = await new PlaintextCredentialStore(join(t.home, 'credentials')).load('box');
    const restricted = await a.downscope('box', ['item_preview', 'item_download'], { resource: boxFileUrl(t.sandbox, '123') });
    expect(exchanges()).toBe(1);
    expect(restricted).toMatchObject({
      scopes: ['item_preview', 'item_download'],
      issuedTokenType: ACCESS_TOKEN_TYPE,
      restrictedTo: [
        { scope: 'item_preview', object: { type: 'file', id: '123' } },
        { scope: 'item_download', object: { type: 'file', id: '123' } },
      ],
    });
    expect(restricted.expiresAt! - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(restricted.accessToken).not.toBe(before!.accessToken);
    // The sandbox names its client-less client for requests without client authentication, as Box takes them.
    expect(await t.sandbox.introspect(restricted.accessToken)).toMatchObject({ active: true, scope: 'item_preview item_download', client_id: BOX_DOWNSCOPE_CLIENT, sub: serviceAccountOf(SANDBOX_CLIENTS.boxJwt.enterpriseId) });
    expect(await new PlaintextCredentialStore(join(t.home, 'credentials')).load('box')).toEqual(before);
  });

  it('restricts to a shared link', async () => {
    const a = await linkJwt();
    const restricted = await a.downscope('box', ['item_read'], { sharedLink: 'https://app.box.com/s/abc123' });
    expect(restricted.restrictedTo).toEqual([{ scope: 'item_read', object: { type: 'shared_link', url: 'https://app.box.com/s/abc123' } }]);
  });

  it('downscopes a developer token, which has no client id', async () => {
    const a = accounts();
    await a.linkDeveloperToken('dev', await t.sandbox.developerToken('dana'), { endpoints: boxEndpoints(t.sandbox) });
    const restricted = await a.downscope('dev', ['base_preview']);
    expect(await t.sandbox.introspect(restricted.accessToken)).toMatchObject({ active: true, sub: 'dana', scope: 'base_preview' });
    expect(restricted.restrictedTo).toEqual([]);
  });

  it('an unknown scope is refused by the provider, and the error lists Box’s scopes', async () => {
    const a = await linkJwt();
    const err = await expectCode(a.downscope('box', ['root_readwrite']), 'INVALID_TOKEN');
    expect(err.message).toMatch(/refused to downscope the token \(invalid_scope/);
    expect(err.message).toMatch(/item_preview, item_read/);
  });

  it.each([
    ['no scope', [], {}, /at least one scope/],
    ['a malformed scope', ['item preview"'], {}, /not a scope name/],
    ['both a resource and a shared link', ['item_read'], { resource: 'https://api.box.com/2.0/files/1', sharedLink: 'https://app.box.com/s/x' }, /not both/],
    ['a resource that is not a URL', ['item_read'], { resource: 'files/1' }, /resource must be a full http\(s\) URL/],
  ])('%s is a usage error and sends nothing', async (_name, scopes, options, message) => {
    const a = await linkJwt();
    t.sandbox.stats.reset();
    expect((await expectCode(a.downscope('box', scopes, options), 'USAGE')).message).toMatch(message);
    expect(t.sandbox.stats.tokenRequests).toBe(0);
  });
});

describe('downscoping elsewhere', () => {
  it('an OAuth profile of any provider exchanges with its own client authentication', async () => {
    const a = accounts();
    const started = await a.startLink('oidc', { provider: 'oidc', clientId: SANDBOX_CLIENTS.native.clientId, issuer: t.sandbox.issuer }, { redirect: 'paste' });
    await a.finishLink('oidc', (await approve(started.url)).redirectUrl);
    const restricted = await a.downscope('oidc', ['item_read']);
    expect(await t.sandbox.introspect(restricted.accessToken)).toMatchObject({ active: true, client_id: SANDBOX_CLIENTS.native.clientId, scope: 'item_read' });
  });

  it('a profile that needs relinking is refused before any request', async () => {
    const a = await linkJwt();
    await new ConfigFile(a.home).update((data) => {
      data.profiles.box!.needsRelink = true;
    });
    t.sandbox.stats.reset();
    await expectCode(a.downscope('box', ['item_read']), 'NEEDS_RELINK');
    expect(t.sandbox.stats.tokenRequests).toBe(0);
  });
});
