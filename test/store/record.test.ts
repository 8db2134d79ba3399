// The record format with Box server auth and developer tokens: new kinds parse, old records still do.
import { describe, expect, it } from 'vitest';
import { parseCredentialRecord, serializeCredentialRecord } from '../../main/store/record.js';
import { isFresh } from '../../main/auth/tokens.js';
import type { CredentialRecord } from '../../main/store/types.js';

/** A record as version 1 wrote it before server auth existed. */
const v1 = {
  version: 1,
  provider: 'box',
  clientId: 'client',
  accountId: '42',
  tokenKind: 'offline',
  accessToken: 'a',
  expiresAt: 1_800_000_000_000,
  refreshToken: 'r',
  scopes: ['root_readwrite'],
  clientSecret: 's',
};

const jwt: CredentialRecord = {
  version: 1,
  provider: 'box-jwt',
  clientId: 'client',
  accountId: 'AutomationUser_1',
  tokenKind: 'jwt',
  accessToken: 'a',
  expiresAt: 1_800_000_000_000,
  refreshToken: null,
  scopes: [],
  clientSecret: 's',
  jwtKey: { privateKey: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n', passphrase: 'p' },
};

const developer: CredentialRecord = { version: 1, provider: 'box-developer-token', clientId: '', accountId: '7', tokenKind: 'developer', accessToken: 'd', expiresAt: 1_800_000_000_000, refreshToken: null, scopes: [] };

describe('record format, with server auth', () => {
  it('still reads records written before it, unchanged', () => {
    expect(parseCredentialRecord(JSON.stringify(v1))).toEqual(v1);
  });

  it('round-trips JWT and developer-token records', () => {
    expect(parseCredentialRecord(serializeCredentialRecord(jwt))).toEqual(jwt);
    expect(parseCredentialRecord(serializeCredentialRecord(developer))).toEqual(developer);
    const { passphrase: _passphrase, ...unencrypted } = jwt.jwtKey!;
    expect(parseCredentialRecord(JSON.stringify({ ...jwt, jwtKey: unencrypted })).jwtKey).toEqual(unencrypted);
  });

  it.each([
    ['a jwt record without its key', { ...jwt, jwtKey: undefined }, /jwt record has no key or client secret/],
    ['a jwt record without the client secret', { ...jwt, clientSecret: undefined }, /jwt record has no key or client secret/],
    ['a key that is not text', { ...jwt, jwtKey: { privateKey: 42 } }, /"jwtKey"/],
    ['a passphrase that is not text', { ...jwt, jwtKey: { privateKey: 'k', passphrase: 1 } }, /"jwtKey"/],
    ['an empty client id outside developer tokens', { ...v1, clientId: '' }, /"clientId"/],
    ['an unknown provider', { ...v1, provider: 'box-enterprise' }, /"provider"/],
    ['an unknown token kind', { ...v1, tokenKind: 'remote' }, /"tokenKind"/],
  ])('rejects %s, naming the field and no value', (_name, value, message) => {
    let err: unknown;
    try {
      parseCredentialRecord(JSON.stringify(value));
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toMatch(/AAAA|BEGIN/);
  });
});

describe('freshness: min(5 minutes, a quarter of the lifetime) before expiry', () => {
  const now = 1_000_000_000;
  const at = (lifetime: number, left: number) => ({ expiresAt: now + left, issuedAt: now + left - lifetime });
  it('a 120 s token is refreshed in its last 30 s, a 60-minute one in its last 5 minutes', () => {
    expect([isFresh(at(120_000, 31_000), now), isFresh(at(120_000, 29_000), now)]).toEqual([true, false]);
    expect([isFresh(at(3_600_000, 301_000), now), isFresh(at(3_600_000, 299_000), now)]).toEqual([true, false]);
  });
  it('records without issuedAt keep the 5-minute margin; legacy tokens never expire; a margin of 0 means "not expired"', () => {
    expect([isFresh({ expiresAt: now + 301_000 }, now), isFresh({ expiresAt: now + 299_000 }, now)]).toEqual([true, false]);
    expect(isFresh({ expiresAt: null }, now)).toBe(true);
    expect([isFresh(at(5_000, 1), now, 0), isFresh(at(5_000, 0), now, 0)]).toEqual([true, false]);
    expect(parseCredentialRecord(serializeCredentialRecord({ ...developer, ...at(120_000, 60_000) })).issuedAt).toBe(now - 60_000);
  });
});
