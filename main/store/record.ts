/**
 * The one text form of a credential record, shared by every store (file, keyring, Redis, ...), and
 * its strict reader: a record that does not parse is reported, never guessed at.
 */
import { PROVIDER_KINDS as PROVIDERS, TOKEN_KINDS as KINDS, type CredentialRecord, type ProviderKind, type TokenKind } from '../model.js';

export function serializeCredentialRecord(record: CredentialRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/** Why a text is not a credential record. The message names a field, never a value. */
export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseCredentialRecord(text: string): CredentialRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RecordFormatError('not JSON');
  }
  if (!isObject(value)) throw new RecordFormatError('not an object');
  const field = (name: string, ok: (v: unknown) => boolean) => {
    if (!ok(value[name])) throw new RecordFormatError(`field "${name}" is missing or invalid`);
    return value[name];
  };
  const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (value.version !== 1) throw new RecordFormatError('unknown version');
  field('provider', (v) => PROVIDERS.includes(v as ProviderKind));
  // A Box developer token may come without its app's client id (nothing it does needs one).
  field('clientId', (v) => nonEmpty(v) || (value.provider === 'box-developer-token' && v === ''));
  field('accountId', nonEmpty);
  field('tokenKind', (v) => KINDS.includes(v as TokenKind));
  field('accessToken', nonEmpty);
  field('expiresAt', (v) => v === null || (typeof v === 'number' && Number.isFinite(v)));
  field('issuedAt', (v) => v === undefined || (typeof v === 'number' && Number.isFinite(v)));
  field('refreshToken', (v) => v === null || nonEmpty(v));
  field('scopes', (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'));
  field('clientSecret', (v) => v === undefined || nonEmpty(v));
  field('data', (v) => v === undefined || (isObject(v) && Object.values(v).every((s) => typeof s === 'string')));
  if (value.tokenKind === 'offline' && value.refreshToken === null) throw new RecordFormatError('an offline record has no refresh token');
  field('jwtKey', (v) => v === undefined || (isObject(v) && nonEmpty(v.privateKey) && (v.passphrase === undefined || typeof v.passphrase === 'string')));
  if (value.tokenKind === 'jwt' && (value.jwtKey === undefined || value.clientSecret === undefined)) throw new RecordFormatError('a jwt record has no key or client secret');
  return value as unknown as CredentialRecord;
}
