// The log's one redaction choke point, on each shape a secret can take.
import { describe, expect, it } from 'vitest';
import { redact, redactText } from '../../main/log/redact.js';
import { SECRET_NAMES } from '../../main/secret-names.js';
import { redactBody, redactUrl } from '../../main/auth/protocol-log.js';

describe('redact', () => {
  it('empties fields named like secrets, keeps error codes and the rest', () => {
    expect(
      redact({ profile: 'work', accessToken: 'at-1', refresh_token: 'rt-1', clientSecret: 'cs-1', code: 'Xy7Qk9aBc', codeVerifier: 'v-1', password: 'pw', error: { code: 'NEEDS_RELINK' }, n: 3 }),
    ).toEqual({ profile: 'work', accessToken: '[redacted]', refresh_token: '[redacted]', clientSecret: '[redacted]', code: '[redacted]', codeVerifier: '[redacted]', password: '[redacted]', error: { code: 'NEEDS_RELINK' }, n: 3 });
  });

  it('cuts secrets out of text: redirect and token URLs, bearer credentials, JWTs, store passwords, private keys', () => {
    expect(redactText('GET http://127.0.0.1:5000/callback?code=abc123&state=st-9&iss=x')).toBe('GET http://127.0.0.1:5000/callback?code=[redacted]&state=[redacted]&iss=x');
    expect(redactText('body refresh_token=rt-2&client_secret=cs-2 sent')).toBe('body refresh_token=[redacted]&client_secret=[redacted] sent');
    expect(redactText('Authorization: Bearer eyJhbGciOi.abc')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('id eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl end')).toBe('id [redacted] end');
    expect(redactText('store redis://default:hunter2@127.0.0.1:6379/0 down')).toBe('store redis://[redacted]@127.0.0.1:6379/0 down');
    expect(redactText('key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- used')).toBe('key [redacted] used');
  });

  it('errors go in by name, code and a redacted message; nesting and arrays are followed', () => {
    const err = Object.assign(new Error('refused https://x/token?refresh_token=rt-3'), { code: 'PROVIDER_ERROR', cause: 'rt-3' });
    expect(redact({ list: [err, { token: 't' }] })).toEqual({ list: [{ name: 'Error', code: 'PROVIDER_ERROR', message: 'refused https://x/token?refresh_token=[redacted]' }, { token: '[redacted]' }] });
  });
});

describe('one list of secret names for both logs', () => {
  it('the app log and the protocol log redact every name of main/secret-names.ts, however it is written', () => {
    for (const name of SECRET_NAMES) {
      const camel = name.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
      expect(redact({ [name]: 'v4lue', [camel]: 'v4lue' }), name).toEqual({ [name]: '[redacted]', [camel]: '[redacted]' });
      expect(redactText(`https://example.test/cb?${name}=v4lue&x=1`), name).toBe(`https://example.test/cb?${name}=[redacted]&x=1`);
      expect(redactUrl(`https://example.test/cb?${name}=v4lue&x=1`), name).toBe(`https://example.test/cb?${name}=[redacted]&x=1`);
      expect(redactBody(JSON.stringify({ [name]: 'v4lue' }), 'application/json'), name).toBe(JSON.stringify({ [name]: '[redacted]' }));
    }
  });
});
