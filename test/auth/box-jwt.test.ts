// Box server auth (JWT) against the sandbox, which verifies each assertion with the app's public key.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Accounts, type AccountsOptions } from '../../main/accounts.js';
import { createBoxAssertion, JWT_BEARER_GRANT, loadBoxAppSettings, loadSigningKey, parseBoxAppSettings } from '../../main/auth/box-jwt.js';
import type { CredentialRecord } from '../../main/store/types.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { serviceAccountOf } from '../sandbox/box.js';
import { boxEndpoints, expectCode, pemBody, strangerKeyPem, writeBoxSettings, type LooseBoxSettings, useSandbox } from '../support/box.js';

const t = useSandbox();

const PASSPHRASE = 'correct horse battery staple';
const app = SANDBOX_CLIENTS.boxJwt;

let tokens: CredentialRecord[];

const accounts = (extra: Partial<AccountsOptions> = {}) => new Accounts({ home: t.home, onTokens: (_p, r) => void tokens.push(r), ...extra });
const store = () => new PlaintextCredentialStore(join(t.home, 'credentials'));
const jwtGrants = () => t.sandbox.stats.byGrant[JWT_BEARER_GRANT] ?? 0;
const tokenUrl = () => `${t.sandbox.issuer}/box/oauth2/token`;

/** Every file under home, as text: the config, the pending files, the locks. */
async function filesOutsideCredentials(): Promise<string> {
  const names = (await readdir(t.home, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && !d.parentPath.endsWith('credentials'));
  return (await Promise.all(names.map((d) => readFile(join(d.parentPath, d.name), 'utf8')))).join('\n');
}

async function link(a = accounts(), edit?: (s: LooseBoxSettings) => void, options: { user?: string; algorithm?: 'RS256' | 'RS384' | 'RS512' } = {}) {
  const settings = await writeBoxSettings(t.elsewhere, t.sandbox, PASSPHRASE, edit);
  return a.linkBoxJwt('server', { settings, endpoints: boxEndpoints(t.sandbox), ...options });
}

/** Posts an assertion to the sandbox's Box token URL as the JWT app. */
async function postAssertion(assertion: string) {
  const response = await fetch(tokenUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion, client_id: app.clientId, client_secret: app.clientSecret }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

const signingKey = () => createPrivateKey(t.sandbox.boxJwt.keys.privateKeyPem);
const assertion = (over: Partial<Parameters<typeof createBoxAssertion>[0]> = {}) =>
  createBoxAssertion({
    clientId: app.clientId,
    subject: { type: 'enterprise', id: app.enterpriseId },
    publicKeyId: t.sandbox.boxJwt.keys.publicKeyId,
    algorithm: 'RS256',
    audience: tokenUrl(),
    key: signingKey(),
    now: Date.now(),
    ...over,
  });

beforeEach(async () => {
  tokens = [];
});

describe('the JWT-bearer grant (the t.sandbox checks every claim)', () => {
  it('accepts a good assertion once, and refuses it used again (jti)', async () => {
    const jwt = await assertion();
    const [header, payload] = jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part!, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'RS256', kid: t.sandbox.boxJwt.keys.publicKeyId });
    expect(payload).toMatchObject({ iss: app.clientId, sub: app.enterpriseId, box_sub_type: 'enterprise', aud: tokenUrl() });
    expect(payload.jti.length).toBeGreaterThanOrEqual(16);
    expect(payload.exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);

    const first = await postAssertion(jwt);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toBeUndefined();
    expect((await t.sandbox.introspect(first.body.access_token!)).sub).toBe(serviceAccountOf(app.enterpriseId));
    const again = await postAssertion(jwt);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/already used \(jti\)/) });
  });

  it.each([
    ['a wrong audience', { audience: 'https://api.box.com/oauth2/token' }, /"aud" claim/],
    ['an expired assertion', { now: Date.now() - 120_000 }, /expired \(exp\)/],
    ['an exp too far ahead', { lifetimeS: 600 }, /expires too late/],
    ['another enterprise', { subject: { type: 'enterprise' as const, id: '9999' } }, /not the enterprise/],
    ['another issuer', { clientId: 'someone-else' }, /"iss" claim/],
    ['an unknown key id', { publicKeyId: 'nope' }, /unknown public key \(kid\)/],
    ['a key that is not the app’s', { key: createPrivateKey(strangerKeyPem()) }, /signature does not verify/],
  ])('refuses %s', async (_name, over, reason) => {
    const { status, body } = await postAssertion(await assertion(over));
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(reason);
  });

  it.each(['RS384', 'RS512'] as const)('accepts %s', async (algorithm) => {
    expect((await postAssertion(await assertion({ algorithm }))).status).toBe(200);
  });
});

describe('linking a JWT app', () => {
  it('links the enterprise (service account) in two requests, with the secrets in the credential store only', async () => {
    const status = await link();
    expect(status).toMatchObject({ profile: 'server', provider: 'box-jwt', linked: true, account: { id: serviceAccountOf(app.enterpriseId) }, token: { kind: 'jwt' } });
    expect(t.sandbox.stats.requests).toEqual({ 'POST /box/oauth2/token': 1, 'GET /box/2.0/users/me': 1 });
    const record = (await store().load('server'))!;
    expect(record).toMatchObject({ provider: 'box-jwt', tokenKind: 'jwt', refreshToken: null, clientId: app.clientId, clientSecret: app.clientSecret });
    expect(record.jwtKey?.passphrase).toBe(PASSPHRASE);
    expect(createPrivateKey({ key: record.jwtKey!.privateKey, passphrase: PASSPHRASE }).asymmetricKeyType).toBe('rsa');
    const introspection = await t.sandbox.introspect(record.accessToken);
    expect(introspection).toMatchObject({ active: true, client_id: app.clientId, sub: serviceAccountOf(app.enterpriseId) });
    expect(tokens).toEqual([record]);

    const config = JSON.parse(await readFile(join(t.home, 'config.json'), 'utf8'));
    expect(config.profiles.server.settings.jwt).toEqual({ publicKeyId: t.sandbox.boxJwt.keys.publicKeyId, subject: { type: 'enterprise', id: app.enterpriseId }, algorithm: 'RS256' });
    const outside = await filesOutsideCredentials();
    for (const secret of [app.clientSecret, PASSPHRASE, pemBody(record.jwtKey!.privateKey).slice(0, 40), record.accessToken]) {
      expect(outside.includes(secret), 'a secret outside the credential store').toBe(false);
    }
  });

  it('links an app user (box_sub_type user) and signs with RS512 when asked', async () => {
    const status = await link(accounts(), undefined, { user: '31337', algorithm: 'RS512' });
    expect(status.account?.id).toBe('31337');
    expect((await t.sandbox.introspect(await accounts().accessToken('server'))).sub).toBe('31337');
  });

  it('takes the settings as an object too, with the passphrase given apart from them', async () => {
    const settings: LooseBoxSettings = t.sandbox.boxJwt.settings(PASSPHRASE);
    settings.boxAppSettings!.appAuth!.passphrase = '';
    const status = await accounts().linkBoxJwt('server', { settings, passphrase: PASSPHRASE, endpoints: boxEndpoints(t.sandbox) });
    expect(status.linked).toBe(true);
  });

  it('a wrong passphrase names the setting and sends nothing', async () => {
    const err = await expectCode(link(accounts(), (s) => (s.boxAppSettings!.appAuth!.passphrase = 'wrong')), 'USAGE');
    expect(err.message).toMatch(/passphrase does not decrypt boxAppSettings\.appAuth\.privateKey/);
    expect(err.message).not.toContain('wrong');
    expect(t.sandbox.stats.tokenRequests).toBe(0);
    expect((await accounts().status('server')).linked).toBe(false);
  });

  it('an encrypted key without any passphrase names both places to give one', async () => {
    const err = await expectCode(link(accounts(), (s) => delete s.boxAppSettings!.appAuth!.passphrase), 'USAGE');
    expect(err.cliMessage).toMatch(/boxAppSettings\.appAuth\.passphrase or AUTHTRAY_KEY_PASSPHRASE/);
    // The library's words name no variable of the command.
    expect(err.message).toBe('boxAppSettings.appAuth.privateKey is encrypted and no passphrase was given: set boxAppSettings.appAuth.passphrase or give the passphrase.');
  });

  it('a key that is not the app’s is refused by Box, and the error names the key settings', async () => {
    const stranger = strangerKeyPem();
    const err = await expectCode(
      link(accounts(), (s) => (s.boxAppSettings!.appAuth!.privateKey = createPrivateKey(stranger).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }))),
      'INVALID_TOKEN',
    );
    expect(err.message).toMatch(/signature does not verify/);
    expect(err.message).toMatch(/boxAppSettings\.appAuth\.privateKey and boxAppSettings\.appAuth\.publicKeyID/);
    expect(t.sandbox.stats.byGrant[JWT_BEARER_GRANT]).toBe(1);
  });

  it('a wrong client secret names clientID and clientSecret', async () => {
    const err = await expectCode(link(accounts(), (s) => (s.boxAppSettings!.clientSecret = 'not-the-secret')), 'INVALID_TOKEN');
    expect(err.message).toMatch(/invalid_client.*boxAppSettings\.clientID and boxAppSettings\.clientSecret/);
    expect(err.message).not.toContain('not-the-secret');
  });

  it('a JWT profile is not linked through the browser flow', async () => {
    const err = await expectCode(accounts().startLink('server', { provider: 'box-jwt', clientId: app.clientId }), 'USAGE');
    expect(err.cliMessage).toMatch(/links without a browser: use linkBoxJwt/);
    expect(err.message).toBe('A box-jwt profile links without a browser: link it again with its Box app settings or developer token (linkBoxJwt / linkDeveloperToken).');
  });

  it('settings without an enterprise need --user', async () => {
    const err = await expectCode(link(accounts(), (s) => delete s.enterpriseID), 'USAGE');
    expect(err.cliMessage).toMatch(/enterpriseID is missing.*--user/);
    expect(err.message).toBe('enterpriseID is missing in the Box app settings: give an app user id to act as an app user, or download settings that name the enterprise.');
    expect((await link(accounts(), (s) => delete s.enterpriseID, { user: '42' })).account?.id).toBe('42');
  });
});

describe('bad settings name the field', () => {
  const good = () => ({
    boxAppSettings: { clientID: 'id', clientSecret: 'secret-value', appAuth: { publicKeyID: 'kid', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', passphrase: 'pass-value' } },
    enterpriseID: '1',
  });
  it.each([
    ['boxAppSettings', (s: LooseBoxSettings) => delete s.boxAppSettings],
    ['boxAppSettings.clientID', (s: LooseBoxSettings) => delete s.boxAppSettings!.clientID],
    ['boxAppSettings.clientSecret', (s: LooseBoxSettings) => (s.boxAppSettings!.clientSecret = '')],
    ['boxAppSettings.appAuth', (s: LooseBoxSettings) => delete s.boxAppSettings!.appAuth],
    ['boxAppSettings.appAuth.publicKeyID', (s: LooseBoxSettings) => delete s.boxAppSettings!.appAuth!.publicKeyID],
    ['boxAppSettings.appAuth.privateKey', (s: LooseBoxSettings) => delete s.boxAppSettings!.appAuth!.privateKey],
    ['boxAppSettings.appAuth.privateKey', (s: LooseBoxSettings) => (s.boxAppSettings!.appAuth!.privateKey = 'not a key')],
    ['boxAppSettings.appAuth.passphrase', (s: LooseBoxSettings) => (s.boxAppSettings!.appAuth!.passphrase = 42)],
  ])('%s', (field, edit) => {
    const settings = good();
    edit(settings);
    let err: unknown;
    try {
      parseBoxAppSettings(settings, 'settings.json');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toContain(`${field} `);
    expect((err as Error).message).toContain('settings.json');
    for (const secret of ['secret-value', 'pass-value', 'AAAA']) expect((err as Error).message).not.toContain(secret);
  });

  it('a file that is not JSON, or not there, says so without quoting it', async () => {
    const path = join(t.home, 'broken.json');
    await writeFile(path, '{"boxAppSettings": {"clientSecret": "leaky-secret", ');
    const err = await expectCode(loadBoxAppSettings(path), 'USAGE');
    expect(err.message).toMatch(/is not valid JSON/);
    expect(err.message).not.toContain('leaky-secret');
    expect((await expectCode(loadBoxAppSettings(join(t.home, 'missing.json')), 'USAGE')).message).toMatch(/Cannot read .*missing\.json \(ENOENT\)/);
  });

  it('a key that is not RSA is refused before anything is sent', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadSigningKey({ privateKey: ec })).toThrow(/not an RSA key/);
    expect(() => loadSigningKey({ privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' })).toThrow(/not a readable PEM private key/);
  });
});

describe('renewing without a refresh token', () => {
  /** Leaves the stored token with less than the refresh margin. */
  async function nearExpiry() {
    const record = (await store().load('server'))!;
    await store().save('server', { ...record, expiresAt: Date.now() + 60_000, issuedAt: Date.now() - 59 * 60_000 }); // a 60-minute token with 1 minute left
    return record;
  }

  it('signs one new assertion for many callers in two services sharing the lock file', async () => {
    await link();
    const old = await nearExpiry();
    t.sandbox.stats.reset();
    tokens.length = 0;
    const [a, b] = [accounts(), accounts()];
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).accessToken('server')));
    expect(jwtGrants()).toBe(1);
    expect(new Set(got).size).toBe(1);
    expect(got[0]).not.toBe(old.accessToken);
    expect((await t.sandbox.introspect(got[0]!)).active).toBe(true);
    const stored = (await store().load('server'))!;
    expect(stored.accessToken).toBe(got[0]);
    expect(stored.expiresAt! - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(stored.jwtKey).toEqual(old.jwtKey);
    expect(tokens).toEqual([stored]);
  });

  it('a key that stops working moves the profile to needs relink', async () => {
    await link();
    const record = await nearExpiry();
    await store().save('server', { ...record, expiresAt: Date.now() + 60_000, issuedAt: Date.now() - 59 * 60_000, jwtKey: { privateKey: strangerKeyPem() } });
    const a = accounts();
    const err = await expectCode(a.accessToken('server'), 'NEEDS_RELINK');
    expect(err.message).toMatch(/refused its JWT assertion \(HTTP 400, invalid_grant/);
    expect((await a.status('server')).needsRelink).toBe(true);
  });

  it('unlink revokes the current token at Box', async () => {
    await link();
    const token = await accounts().accessToken('server');
    const result = await accounts().unlink('server');
    expect(result.revoked).toBe(true);
    expect((await t.sandbox.introspect(token)).active).toBe(false);
    expect(await store().load('server')).toBeNull();
  });
});
