// Text a provider says: the rule itself, then a hostile provider's words through the real command and
// through the app service (what the window is sent), none of them carrying a control character.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Accounts } from '../main/accounts.js';
import { AppService } from '../main/app/service.js';
import { AuthtrayError, ProviderError } from '../main/errors.js';
import { cleanAccount, cleanMessage, cleanText, oauthErrorText, providerText } from '../main/sanitize.js';
import { cliEnv, runCli, startCli } from './support/cli.js';
import { waitFor } from './support/fixtures.js';
import { startRedis } from './support/services.js';

/* eslint-disable no-control-regex -- matching control characters is the point */
/** Any character a terminal or a text view could act on. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** The same, but the line feeds that end the command's lines. */
const IN_OUTPUT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/* eslint-enable no-control-regex */

describe('cleanText', () => {
  it('strips C0 and C1 controls (ESC, BEL, CSI 0x9b, OSC 0x9d, DEL) and bidi overrides; whitespace controls become one space', () => {
    expect(cleanText('\u001b]0;pwned\u0007')).toBe(']0;pwned');
    expect(cleanText('a\u009b2Jb\u009d0;x\u009c c\u007f')).toBe('a2Jb0;x c');
    expect(cleanText('invoice\u202eexe.pdf\u2066\u2069')).toBe('invoiceexe.pdf');
    expect(cleanText(' line one\r\nline\ttwo \u2028three\u0000 ')).toBe('line one line two three');
  });

  it('bounds the length on a code point, marking the cut', () => {
    expect(cleanText('x'.repeat(400))).toBe(`${'x'.repeat(299)}…`);
    expect(cleanText('😀'.repeat(10), 5)).toBe('😀😀😀😀…');
    expect(cleanText('short', 5)).toBe('short');
  });

  it('providerText: null for a non-string or for nothing left; oauthErrorText: "code: description", both clean', () => {
    expect(providerText(42)).toBeNull();
    expect(providerText('\u001b\u0007')).toBeNull();
    expect(oauthErrorText({ error: 'invalid_grant\u001b[2J', cause: { error_description: '\u001b]0;pwned\u0007 no' } })).toBe('invalid_grant[2J: ]0;pwned no');
    expect(oauthErrorText({ error: '\u0007', cause: 'not an object' })).toBe('unknown_error');
    expect(cleanAccount({ id: '\u001b', name: 'n', email: null })).toBeNull();
  });

  it('every error message loses its controls but keeps its lines; ProviderError bounds what it quotes', () => {
    expect(cleanMessage('usage:\n  a\u001b[2J\r')).toBe('usage:\n  a[2J');
    expect(new AuthtrayError('USAGE', 'bad \u001b]0;x\u0007 input\nline two').message).toBe('bad ]0;x input\nline two');
    const err = new ProviderError(`e${'r'.repeat(200)}\u001b`, `\u001b]0;pwned\u0007${'d'.repeat(500)}`);
    expect(err.providerError).toBe(`e${'r'.repeat(98)}…`);
    expect(err.message).not.toMatch(CONTROL);
    expect(err.message.length).toBeLessThan(500);
  });
});

// ---------------------------------------------------------------------------------------------
// A provider that says hostile things: an OpenID Connect server on 127.0.0.1 whose error redirect,
// token refusal and userinfo answer all carry terminal control sequences.

const HOSTILE_DESCRIPTION = '\u001b]0;pwned\u0007\u009b2J now';
const HOSTILE_USER = { sub: 'eve\u001b[31m', name: 'Eve \u001b]0;pwned\u0007\u009b2J Mallory', email: 'eve\u202e@example.test' };
const HOSTILE_USER_ACCOUNT = { id: HOSTILE_USER.sub, name: HOSTILE_USER.name, email: HOSTILE_USER.email };
type Mode = 'error-redirect' | 'token-refused' | 'ok';

let server: Server;
let issuer: string;
let mode: Mode;
/** The ID token's signing key and the nonce of the last authorization request (the server must echo it). */
let signingKey: CryptoKey;
let jwks: unknown;
let lastNonce: string | null = null;

beforeAll(async () => {
  const keys = await generateKeyPair('RS256');
  signingKey = keys.privateKey;
  jwks = { keys: [{ ...(await exportJWK(keys.publicKey)), alg: 'RS256', use: 'sig', kid: 'k1' }] };
  server = createServer(async (req, res) => {
    const url = new URL(req.url!, issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, userinfo_endpoint: `${issuer}/userinfo`, jwks_uri: `${issuer}/jwks` });
    }
    if (url.pathname === '/jwks') {
      return json(200, jwks);
    }
    if (url.pathname === '/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('state', url.searchParams.get('state')!);
      lastNonce = url.searchParams.get('nonce');
      if (mode === 'error-redirect') {
        back.searchParams.set('error', 'server_error\u001b[2J');
        back.searchParams.set('error_description', HOSTILE_DESCRIPTION);
      } else back.searchParams.set('code', 'the-code');
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === '/token') {
      req.resume();
      if (mode === 'token-refused') return json(400, { error: 'invalid_grant\u001b[2J', error_description: HOSTILE_DESCRIPTION });
      // An ID token as OpenID Connect asks (signed, the nonce echoed); its claims carry no account data, userinfo does.
      const idToken = await new SignJWT({ ...(lastNonce ? { nonce: lastNonce } : {}) })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience('authtray')
        .setSubject(HOSTILE_USER.sub)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signingKey);
      return json(200, { access_token: 'hostile-at', token_type: 'bearer', expires_in: 3600, refresh_token: 'hostile-rt', id_token: idToken, scope: 'openid profile email offline_access' });
    }
    if (url.pathname === '/userinfo') return json(200, HOSTILE_USER);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'authtray-home-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** The person's browser: opens the authorization URL and follows the provider's redirect back to the loopback listener. */
async function browse(url: string): Promise<void> {
  const response = await fetch(url);
  await response.body?.cancel();
}

describe('a hostile provider through the real command', () => {
  async function link(linkMode: Mode) {
    mode = linkMode;
    const env = cliEnv(home);
    const run = startCli(['link', '--provider', 'oidc', '--client-id', 'authtray', '--issuer', issuer, '--no-browser'], env);
    await browse(await run.waitForLine(/^http/));
    return { result: await run.result, env };
  }

  it('an error redirect with an OSC title sequence is printed without it', async () => {
    const { result } = await link('error-redirect');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'authtray: The provider reported "server_error[2J": ]0;pwned2J now. Start the link again; if it persists, check the app registration.',
    );
    expect(result.stdout + result.stderr).not.toMatch(IN_OUTPUT);
  });

  it('a token refusal carrying control sequences is printed without them', async () => {
    const { result } = await link('token-refused');
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe('authtray: The provider rejected the authorization code (invalid_grant[2J). Start the link again and paste the new code.');
    expect(result.stdout + result.stderr).not.toMatch(IN_OUTPUT);
  });

  it('an account name, email and id with ESC, CSI and a bidi override reach neither the terminal nor the config', async () => {
    const { result, env } = await link('ok');
    expect(result.code).toBe(0);
    const status = await runCli(['status'], env);
    expect(status.stdout).toContain('  Account: Eve ]0;pwned2J Mallory <eve@example.test> (id eve[31m)');
    const json = await runCli(['status', '--json'], env);
    expect(JSON.parse(json.stdout).account).toEqual({ id: 'eve[31m', name: 'Eve ]0;pwned2J Mallory', email: 'eve@example.test' });
    for (const text of [result.stdout, result.stderr, status.stdout, status.stderr, json.stdout]) expect(text).not.toMatch(IN_OUTPUT);
    const config = await readFile(join(home, 'config.json'), 'utf8');
    expect(JSON.parse(config).profiles.default.account).toEqual({ id: 'eve[31m', name: 'Eve ]0;pwned2J Mallory', email: 'eve@example.test' });
  });
});

describe('a hostile provider through the app service (the window’s data)', () => {
  it('the account and the failed redirect’s error the window is sent carry no control character', async () => {
    const service = new AppService({
      accounts: new Accounts({ home, store: 'plaintext' }),
      sandbox: null,
      allowLoopbackHttp: true,
      openExternal: async () => {},
      copyText: () => {},
    });
    mode = 'ok';
    await browse((await service.startLink({ profile: 'eve', provider: 'oidc', clientId: 'authtray', issuer })).url);
    mode = 'error-redirect';
    await browse((await service.startLink({ profile: 'broken', provider: 'oidc', clientId: 'authtray', issuer })).url);
    let views = await service.profiles();
    await waitFor(async () => {
      views = await service.profiles();
      return views.some((v) => v.profile === 'eve' && v.linked) && views.some((v) => v.profile === 'broken' && v.error !== null);
    }, 'the link and the failed link');
    expect(views.find((v) => v.profile === 'eve')!.account).toEqual({ id: 'eve[31m', name: 'Eve ]0;pwned2J Mallory', email: 'eve@example.test' });
    expect(views.find((v) => v.profile === 'broken')!.error).toEqual({
      code: 'PROVIDER_ERROR',
      message: 'The provider reported "server_error[2J": ]0;pwned2J now. Start the link again; if it persists, check the app registration.',
    });
    expect(JSON.stringify(views)).not.toMatch(/\\u00[01][0-9a-f]|\\u009|\\u202/i);
    expect(JSON.stringify(views)).not.toMatch(CONTROL);
  });
});

describe('a compromised shared store', () => {
  it('an account planted in an unsealed profile copy reaches the terminal clean; one without an id is refused as damaged', async () => {
    const redis = await startRedis();
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    try {
      const copy = {
        settings: { provider: 'oidc', clientId: 'authtray', issuer },
        account: HOSTILE_USER_ACCOUNT,
        store: { backend: redis.url },
        needsRelink: false,
        linkedAt: new Date().toISOString(),
      };
      await client.set('authtray:profile:fleet', JSON.stringify(copy));
      await client.set('authtray:profile:broken', JSON.stringify({ ...copy, account: { id: '\u001b\u0007', name: 'x', email: null } }));
      const env = cliEnv(home);
      const status = await runCli(['status', '--profile', 'fleet', '--store', redis.url], env);
      expect(status.stdout).toContain('  Account: Eve ]0;pwned2J Mallory <eve@example.test> (id eve[31m)');
      expect(status.stdout + status.stderr).not.toMatch(IN_OUTPUT);
      const broken = await runCli(['status', '--profile', 'broken', '--store', redis.url], env);
      expect(broken.code).toBe(3);
      expect(broken.stderr.trim()).toBe('authtray: The settings of profile "broken" in the shared store are damaged (no account id). Link the profile again.');
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});
