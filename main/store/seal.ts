/**
 * Encryption at rest for the shared stores (Redis, Memcached): AES-256-GCM under the key in
 * `AUTHTRAY_STORE_KEY`, each value bound to the name it is stored under (GCM's additional data), so a
 * sealed record copied to another profile's key, or to the profile-settings key, does not open.
 *
 * The key is 32 random bytes, written as 64 hex digits or as base64 / base64url
 * (`openssl rand -base64 32`). Two subkeys are derived from it with HKDF-SHA256: one encrypts, the
 * other names the key (8 bytes in every sealed value), so a value sealed under another key is told
 * apart from a value that was altered.
 *
 * A sealed value is one ASCII line: `as1.<key id>.<iv>.<ciphertext + tag>` (base64url parts).
 * Without a key, values are stored as the plain JSON they were given, and the store is not secure.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CredentialStoreError, UsageError } from '../errors.js';
import { STORE_KEY_ENV } from './store-url.js';

export { STORE_KEY_ENV };

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 8;
const FORMAT = 'as1';

const KEY_HELP = `${STORE_KEY_ENV} must be 32 random bytes written as 64 hex digits or as base64 (make one with: openssl rand -base64 32)`;

/**
 * The shared-store key from `AUTHTRAY_STORE_KEY`: undefined when unset or empty, else exactly 32
 * bytes; anything else is a UsageError that says what is expected (and never echoes the value).
 */
export function parseStoreKey(env: NodeJS.ProcessEnv = process.env): Buffer | undefined {
  const text = env[STORE_KEY_ENV]?.trim();
  if (!text) return undefined;
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=?$/.test(text) || /^[A-Za-z0-9_-]{43}$/.test(text)) key = Buffer.from(text, 'base64');
  if (key?.length !== KEY_BYTES) throw new UsageError(`${KEY_HELP}; the value given (${text.length} characters) is neither.`);
  return key;
}

/** Seals and opens the values of one store; `where` names the store in messages ("Redis at host:port"). */
export class Sealer {
  readonly #encryptionKey: Buffer | null;
  readonly #keyId: Buffer | null;

  constructor(
    key: Buffer | undefined,
    readonly where: string,
  ) {
    if (key !== undefined && key.length !== KEY_BYTES) throw new UsageError(`${KEY_HELP}.`);
    this.#encryptionKey = key ? Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'authtray store encryption v1', KEY_BYTES)) : null;
    this.#keyId = key ? Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'authtray store key id v1', KEY_ID_BYTES)) : null;
  }

  /** True when values are encrypted (a key is set). */
  get secure(): boolean {
    return this.#encryptionKey !== null;
  }

  /** The text to store under `name`: sealed with the key, or `text` itself without one. */
  seal(name: string, text: string): string {
    if (!this.#encryptionKey || !this.#keyId) return text;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(name));
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.#keyId, iv, body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /**
   * The text stored under `name`. `what` names it in messages ('the credentials of profile "work"').
   * A value that is sealed without a key set, plain with a key set, sealed under another key, altered
   * or moved from another name is a CredentialStoreError that says which and what to do.
   */
  open(name: string, stored: string, what: string): string {
    const sealed = stored.startsWith(`${FORMAT}.`);
    if (!this.#encryptionKey || !this.#keyId) {
      if (!sealed) return stored;
      throw new CredentialStoreError(`Cannot open ${what} in ${this.where}: it is encrypted and ${STORE_KEY_ENV} is not set. Set it to the key the profile was linked with.`);
    }
    if (!sealed) {
      // Anyone who can write to the store could have planted it (a token endpoint of their own, say).
      throw new CredentialStoreError(
        `Cannot trust ${what} in ${this.where}: it is not encrypted, but ${STORE_KEY_ENV} is set. Link the profile again with the key set, or unset ${STORE_KEY_ENV} to use it unencrypted.`,
      );
    }
    const parts = stored.split('.');
    const [keyId, iv, body] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    if (parts.length !== 4 || !keyId || !iv || !body || keyId.length !== KEY_ID_BYTES || iv.length !== IV_BYTES || body.length < TAG_BYTES) {
      throw this.#altered(what);
    }
    if (!timingSafeEqual(keyId, this.#keyId)) {
      throw new CredentialStoreError(`Cannot open ${what} in ${this.where}: it was encrypted with a different ${STORE_KEY_ENV}. Set the key the profile was linked with, or link the profile again.`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(name));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw this.#altered(what, err);
    }
  }

  #altered(what: string, cause?: unknown): CredentialStoreError {
    return new CredentialStoreError(
      `Cannot open ${what} in ${this.where}: it does not decrypt with ${STORE_KEY_ENV} (altered, damaged, or copied from another profile). Link the profile again.`,
      { cause },
    );
  }
}

const aad = (name: string) => Buffer.from(`authtray ${FORMAT} ${name}`, 'utf8');
