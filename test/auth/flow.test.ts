// Property tests of what comes back from the user or the browser: whatever it is, the answer is a
// parsed value or a typed error, never a crash; and the checks hold for every input, not a few.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAuthorization, checkAuthorizationResponse, MAX_INPUT_LENGTH, parseAuthorizationInput } from '../../main/auth/flow.js';
import { defaultAuthDeps } from '../../main/auth/deps.js';
import type { PendingAuthorization } from '../../main/store/pending.js';
import { resolveProvider, type Provider } from '../../main/auth/providers/index.js';
import { AuthtrayError, BadRequestError, CsrfError } from '../../main/errors.js';

const ISSUER = 'https://as.example';
const NOW = 1_800_000_000_000;

async function setup(): Promise<{ provider: Provider; pending: PendingAuthorization }> {
  const provider = await resolveProvider(
    { provider: 'oidc', clientId: 'client', endpoints: { authorize: `${ISSUER}/authorize`, token: `${ISSUER}/token` } },
    defaultAuthDeps,
  );
  const { pending } = await buildAuthorization(provider, { profile: 'p', mode: 'paste', redirectUri: 'http://127.0.0.1/callback', now: NOW });
  return { provider, pending };
}

const codeChars = fc.constantFrom(...'ABCxyz019._~+/=-'.split(''));
const code = fc.string({ unit: codeChars, minLength: 1, maxLength: 200 });
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 5000 }));
const param = fc.tuple(fc.constantFrom('code', 'state', 'error', 'error_description', 'iss', 'other'), anyText);

/** Errors a callback may legitimately produce. */
const CALLBACK_CODES = new Set(['BAD_REQUEST', 'BAD_STATE', 'CSRF', 'NOT_APPROVED', 'PROVIDER_ERROR']);

describe('parseAuthorizationInput', () => {
  it('any text gives a parsed input or a BadRequestError', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.webUrl({ withQueryParameters: true, withFragments: true })), (text) => {
        try {
          const parsed = parseAuthorizationInput(text);
          expect(parsed.params).toBeInstanceOf(URLSearchParams);
        } catch (err) {
          expect(err).toBeInstanceOf(BadRequestError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a code with surrounding whitespace is read as that bare code', () => {
    fc.assert(
      fc.property(code, fc.stringMatching(/^[ \t\r\n]{0,4}$/), fc.stringMatching(/^[ \t\r\n]{0,4}$/), (c, before, after) => {
        const parsed = parseAuthorizationInput(`${before}${c}${after}`);
        expect(parsed.bareCode).toBe(true);
        expect(parsed.params.get('code')).toBe(c);
      }),
    );
  });

  it('a redirect URL gives back its code and state exactly', () => {
    fc.assert(
      fc.property(code, fc.string({ minLength: 1 }), fc.constantFrom('http://127.0.0.1:8080/callback', 'https://app.example/cb'), (c, state, base) => {
        const url = new URL(base);
        url.searchParams.set('code', c);
        url.searchParams.set('state', state);
        const parsed = parseAuthorizationInput(url.href);
        expect(parsed.bareCode).toBe(false);
        expect(parsed.params.get('code')).toBe(c);
        expect(parsed.params.get('state')).toBe(state);
      }),
    );
  });

  it('refuses empty, overlong and non-code input', () => {
    for (const text of ['', '   ', 'x'.repeat(MAX_INPUT_LENGTH + 1), 'two words', '<script>', 'https://app.example/cb?nothing=here']) {
      expect(() => parseAuthorizationInput(text)).toThrow(BadRequestError);
    }
  });
});

describe('checkAuthorizationResponse', () => {
  it('any callback gives the checked parameters or a typed error', async () => {
    const { provider, pending } = await setup();
    fc.assert(
      fc.property(fc.array(param, { maxLength: 8 }), fc.boolean(), fc.boolean(), (pairs, withState, bareCode) => {
        const params = new URLSearchParams(pairs);
        if (withState) params.set('state', pending.state);
        try {
          const checked = checkAuthorizationResponse(provider, pending, { params, bareCode }, NOW);
          expect(checked.get('code')).toBeTruthy();
        } catch (err) {
          expect(err).toBeInstanceOf(AuthtrayError);
          expect(CALLBACK_CODES.has((err as AuthtrayError).code)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a state that is not the pending one is always a CSRF error, whatever else came', async () => {
    const { provider, pending } = await setup();
    // Each parameter once: a repeated one is a bad request before anything else is looked at.
    const others = fc.dictionary(fc.constantFrom('code', 'error', 'error_description', 'iss', 'other'), anyText);
    fc.assert(
      fc.property(fc.string().filter((s) => s !== pending.state), others, (state, pairs) => {
        const params = new URLSearchParams(pairs);
        params.set('state', state);
        expect(() => checkAuthorizationResponse(provider, pending, { params, bareCode: false }, NOW)).toThrow(CsrfError);
      }),
    );
  });

  it('the right state and a code pass, with or without the right iss', async () => {
    const { provider, pending } = await setup();
    fc.assert(
      fc.property(code, fc.boolean(), (c, withIss) => {
        const params = new URLSearchParams({ code: c, state: pending.state, ...(withIss ? { iss: ISSUER } : {}) });
        expect(checkAuthorizationResponse(provider, pending, { params, bareCode: false }, NOW).get('code')).toBe(c);
      }),
    );
  });

  it('expired or missing pending flows are bad state; a wrong iss is a bad request', async () => {
    const { provider, pending } = await setup();
    const params = new URLSearchParams({ code: 'c', state: pending.state });
    expect(() => checkAuthorizationResponse(provider, null, { params, bareCode: false }, NOW)).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
    expect(() => checkAuthorizationResponse(provider, pending, { params, bareCode: false }, pending.expiresAt)).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
    params.set('iss', 'https://evil.example');
    expect(() => checkAuthorizationResponse(provider, pending, { params, bareCode: false }, NOW)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
