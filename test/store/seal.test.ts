// Sealing of shared-store values: the key format, AES-256-GCM bound to the key name, and the errors.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CredentialStoreError, UsageError } from '../../main/errors.js';
import { parseStoreKey, Sealer, STORE_KEY_ENV } from '../../main/store/seal.js';

const key = randomBytes(32);
const text = JSON.stringify({ accessToken: 'access-secret-value', refreshToken: 'refresh-secret-value' });
const where = 'Redis at 127.0.0.1:6379';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('AUTHTRAY_STORE_KEY', () => {
  it('accepts 32 bytes as hex, base64 (padded or not) and base64url; unset or blank means no key', () => {
    const env = (value: string | undefined) => ({ [STORE_KEY_ENV]: value });
    expect(parseStoreKey(env(key.toString('hex')))).toEqual(key);
    expect(parseStoreKey(env(key.toString('hex').toUpperCase()))).toEqual(key);
    expect(parseStoreKey(env(key.toString('base64')))).toEqual(key);
    expect(parseStoreKey(env(key.toString('base64').replace(/=+$/, '')))).toEqual(key);
    expect(parseStoreKey(env(key.toString('base64url')))).toEqual(key);
    expect(parseStoreKey(env(`${key.toString('base64')}\n`))).toEqual(key); // read from a file
    expect(parseStoreKey(env(undefined))).toBeUndefined();
    expect(parseStoreKey(env('  '))).toBeUndefined();
  });

  it('anything else is a usage error that says what is expected and does not echo the value', () => {
    for (const bad of ['hunter2-my-password', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), randomBytes(33).toString('base64'), `${key.toString('hex')}00`, 'z'.repeat(64)]) {
      const err = errorOf(() => parseStoreKey({ [STORE_KEY_ENV]: bad }));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toMatch(/32 random bytes.*64 hex digits.*base64.*openssl rand -base64 32/);
      expect(err.message).not.toContain(bad);
    }
  });
});

describe('Sealer', () => {
  it('seals with a fresh IV each time, opens under the same name, and is secure only with a key', () => {
    const sealer = new Sealer(key, where);
    expect(sealer.secure).toBe(true);
    const a = sealer.seal('authtray:record:work', text);
    const b = sealer.seal('authtray:record:work', text);
    expect(a).not.toBe(b);
    for (const sealed of [a, b]) {
      expect(sealed).toMatch(/^as1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(sealed).not.toContain('secret-value');
      expect(sealer.open('authtray:record:work', sealed, 'the credentials of profile "work"')).toBe(text);
    }
    const plain = new Sealer(undefined, where);
    expect(plain.secure).toBe(false);
    expect(plain.seal('authtray:record:work', text)).toBe(text);
    expect(plain.open('authtray:record:work', text, 'x')).toBe(text);
  });

  it('a value moved to another key name does not open (no swapping records between profiles)', () => {
    const sealer = new Sealer(key, where);
    const sealed = sealer.seal('authtray:record:work', text);
    for (const other of ['authtray:record:home', 'authtray:profile:work', 'other:record:work']) {
      const err = errorOf(() => sealer.open(other, sealed, 'the credentials of profile "home"'));
      expect(err).toBeInstanceOf(CredentialStoreError);
      expect(err.message).toBe(
        `Cannot open the credentials of profile "home" in ${where}: it does not decrypt with AUTHTRAY_STORE_KEY (altered, damaged, or copied from another profile). Link the profile again.`,
      );
    }
  });

  it('tells a different key from tampering, and never shows the value', () => {
    const sealed = new Sealer(key, where).seal('authtray:record:work', text);
    const wrongKey = errorOf(() => new Sealer(randomBytes(32), where).open('authtray:record:work', sealed, 'the credentials of profile "work"'));
    expect(wrongKey).toBeInstanceOf(CredentialStoreError);
    expect(wrongKey.message).toMatch(/^Cannot open the credentials of profile "work" in Redis at 127\.0\.0\.1:6379: it was encrypted with a different AUTHTRAY_STORE_KEY\. Set the key/);

    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0]! ^= 1;
    const flipped = [...parts.slice(0, 3), body.toString('base64url')].join('.');
    const truncated = sealed.slice(0, -10);
    for (const bad of [flipped, truncated, 'as1.garbage', `${sealed}.x`]) {
      const err = errorOf(() => new Sealer(key, where).open('authtray:record:work', bad, 'the credentials of profile "work"'));
      expect(err).toBeInstanceOf(CredentialStoreError);
      expect(err.message).toMatch(/does not decrypt with AUTHTRAY_STORE_KEY \(altered/);
      expect(err.message).not.toContain(bad);
    }
  });

  it('a sealed value without a key, or a plain value with a key, is refused with what to do', () => {
    const sealed = new Sealer(key, where).seal('authtray:record:work', text);
    const noKey = errorOf(() => new Sealer(undefined, where).open('authtray:record:work', sealed, 'the credentials of profile "work"'));
    expect(noKey).toBeInstanceOf(CredentialStoreError);
    expect(noKey.message).toMatch(/: it is encrypted and AUTHTRAY_STORE_KEY is not set\. Set it to the key the profile was linked with\./);
    const planted = errorOf(() => new Sealer(key, where).open('authtray:record:work', text, 'the credentials of profile "work"'));
    expect(planted).toBeInstanceOf(CredentialStoreError);
    expect(planted.message).toMatch(/^Cannot trust .*: it is not encrypted, but AUTHTRAY_STORE_KEY is set\. Link the profile again/);
    expect(planted.message).not.toContain('secret-value');
  });

  it('a key of the wrong length is refused', () => {
    expect(() => new Sealer(randomBytes(16), where)).toThrow(UsageError);
  });
});
