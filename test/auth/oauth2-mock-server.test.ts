// authtray against oauth2-mock-server (npm; a server this project did not write), on 127.0.0.1,
// through the real command. It advertises http://localhost:PORT as its issuer even when bound to
// 127.0.0.1 (OpenID Connect Discovery §4.3 then makes discovery at 127.0.0.1 fail: the message says
// so); it publishes no scopes_supported and issues refresh tokens without offline_access. Token
// lifetimes and error answers are set through its hooks. A tiny server of the test's own plays the
// ones that answer discovery with a redirect and the token request with HTML.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliEnv, runCli, startCli, tempHome, type CliResult } from '../support/cli.js';
import { storedRecord } from '../support/fixtures.js';
import { Accounts } from '../../main/accounts.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';

const CLIENT = 'authtray-mock';

let mock: OAuth2Server;
let issuer: string; // http://localhost:PORT, as the server says
let asked: string; // http://127.0.0.1:PORT, where it listens
let port: number;
let other: Server;
let otherUrl: string;
let home: { dir: string; cleanup: () => Promise<void> };
/** grant_type of every token request. */
let grants: string[];
/** Query of every authorization request. */
let authorizations: URLSearchParams[];

beforeAll(async () => {
  mock = new OAuth2Server();
  await mock.issuer.keys.generate('RS256');
  await mock.start(0, '127.0.0.1');
  port = mock.address().port;
  issuer = mock.issuer.url!;
  asked = `http://127.0.0.1:${port}`;
  // Discovery that answers 301 (Django OAuth Toolkit wants a trailing slash); a token endpoint that answers HTML.
  other = createServer((req, res) => {
    if (req.url === '/o/.well-known/openid-configuration') res.writeHead(301, { location: '/o/.well-known/openid-configuration/' }).end();
    else if (req.url === '/token') res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Sign in</title>');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await mock?.stop();
  await new Promise((resolve) => other?.close(resolve));
});
beforeEach(async () => {
  home = await tempHome();
  grants = [];
  authorizations = [];
  mock.service.removeAllListeners();
  mock.service.on('beforeResponse', (_response, req) => void grants.push(String(req.body.grant_type)));
  mock.service.on('beforeAuthorizeRedirect', (_redirect, req) => void authorizations.push(new URLSearchParams(req.url!.split('?')[1])));
});
afterEach(() => home.cleanup());

/** The mock's token answers last `seconds`. */
function tokensLast(seconds: number) {
  mock.service.on('beforeResponse', (response) => {
    if (response.statusCode === 200) (response.body as Record<string, unknown>).expires_in = seconds;
  });
}

const env = (extra: Record<string, string> = {}) => cliEnv(home.dir, { AUTHTRAY_STORE: 'plaintext', ...extra });
const cli = (args: string[], extra?: Record<string, string>) => runCli(args, env(extra));
const lastLine = (result: CliResult) => result.stderr.trim().split('\n').at(-1);

/** `authtray link ... --redirect paste`: the mock approves at once; its redirect is pasted back. */
async function link(args: string[], extra?: Record<string, string>): Promise<CliResult> {
  const run = startCli(['link', '--provider', 'oidc', '--client-id', CLIENT, '--redirect', 'paste', ...args], env(extra));
  const url = await run.waitForLine(/^http/);
  const answer = await fetch(url, { redirect: 'manual' });
  run.child.stdin.end(`${answer.headers.get('location')}\n`);
  return run.result;
}

describe('oauth2-mock-server', () => {
  it('discovery at 127.0.0.1 names the issuer the server says it has, and the flag that works', async () => {
    const result = await cli(['link', '--provider', 'oidc', '--client-id', CLIENT, '--issuer', asked]);
    expect(result.code).toBe(1);
    expect(lastLine(result)).toBe(`authtray: The server says its issuer is ${issuer}, not ${asked} (OpenID Connect Discovery §4.3); link with --issuer ${issuer}.`);
  });

  it('links with a nonce and the scopes it has; 120 s tokens are reused by 4 token calls; --verbose shows the exchange with every secret redacted', async () => {
    tokensLast(120);
    const linked = await link(['--issuer', issuer, '--verbose']);
    expect(linked.code, linked.stderr).toBe(0);
    const [request] = authorizations;
    // No offline_access (and no prompt=consent): its discovery lists no scopes_supported.
    expect(request!.get('scope')).toBe('openid profile email');
    expect(request!.get('prompt')).toBeNull();
    expect(request!.get('nonce')).toMatch(/^[\w-]{43}$/);
    const record = await storedRecord(home.dir, 'default');
    expect(record.expiresAt! - record.issuedAt!).toBe(120_000);
    expect(linked.stderr).toContain(
      `authtray: > POST ${issuer}/token [content-type: application/x-www-form-urlencoded;charset=UTF-8] redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&code=[redacted]&code_verifier=[redacted]&grant_type=authorization_code&client_id=${CLIENT}\n`,
    );
    expect(linked.stderr).toMatch(/< HTTP 200 \[content-type: application\/json; charset=utf-8\] \{"access_token":"\[redacted\]","token_type":"Bearer","expires_in":120,"scope":"dummy","id_token":"\[redacted\]","refresh_token":"\[redacted\]"\}\n/);
    expect(linked.stderr).toMatch(/authorization request: .*&state=\[redacted\]&nonce=\[redacted\]&code_challenge=/);
    for (const secret of [record.accessToken, record.refreshToken!, request!.get('nonce')!, request!.get('state')!]) expect(linked.stderr).not.toContain(secret);

    for (let i = 0; i < 4; i++) expect((await cli(['token'])).stdout.trim()).toBe(record.accessToken);
    expect(grants).toEqual(['authorization_code']);
  });

  it.each([
    ['nonce', 'someone-elses-login', 'authtray: The ID token does not carry the nonce of this link attempt (it belongs to another login); start the link again.'],
    ['aud', 'another-client', `authtray: The ID token is for another-client, not for this client (${CLIENT}); check the client id.`],
  ])('an ID token whose %s does not match is refused, by name', async (claim, value, message) => {
    mock.service.on('beforeTokenSigning', (token) => {
      if ('nonce' in token.payload) token.payload[claim] = value; // the ID token, not the access token
    });
    const result = await link(['--issuer', issuer]);
    expect(result.code).toBe(1);
    expect(lastLine(result)).toBe(message);
  });

  it('--issuer with endpoint overrides: the overrides are the endpoints, the issuer checks the ID token', async () => {
    // Endpoints at localhost, issuer 127.0.0.1: discovery there fails, the overrides carry on, and the ID token's iss is checked against --issuer.
    const result = await link(['--issuer', asked, '--authorize-url', `${issuer}/authorize`, '--token-url', `${issuer}/token`]);
    expect(result.code).toBe(1);
    expect(lastLine(result)).toBe(`authtray: The ID token says its issuer is ${issuer}, not ${asked}; link with --issuer ${issuer} if that is the server you mean.`);
    // The right issuer, the token endpoint moved: discovery gives the rest, the override the token endpoint.
    const moved = await link(['--issuer', issuer, '--token-url', `${asked}/token`, '--verbose']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toContain(`authtray: > POST ${asked}/token `);
    expect(moved.stderr).toContain(`authtray: > GET ${issuer}/userinfo [authorization: [redacted]]`);
  });

  it('a refresh refused with a bare HTTP 400 is a refusal (exit 1, relink), not "unreachable"', async () => {
    expect((await link(['--issuer', issuer])).code).toBe(0);
    const store = new PlaintextCredentialStore(join(home.dir, 'credentials'));
    await store.save('default', { ...(await store.load('default'))!, expiresAt: Date.now() - 1000 });
    mock.service.on('beforeResponse', (response, req) => {
      if (req.body.grant_type !== 'refresh_token') return;
      response.statusCode = 400;
      response.body = null;
    });
    const result = await cli(['token']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('authtray: Profile "default" needs to be linked again: the provider refused its refresh token (HTTP 400). Run: authtray link --profile default\n');
  });

  it('unlink says what the provider did: revoked, refused (401), or no endpoint to ask', async () => {
    expect((await link(['--issuer', issuer])).code).toBe(0);
    const revoked = await cli(['unlink'], { AUTHTRAY_DEBUG: '1' });
    expect(revoked.stderr).toContain(`authtray: > POST ${issuer}/revoke [content-type: application/x-www-form-urlencoded;charset=UTF-8] token=[redacted]&client_id=${CLIENT}\nauthtray: < HTTP 200 [content-type: text/html; charset=utf-8]\n`);
    expect(revoked.stderr.endsWith('\nUnlinked profile "default" and revoked its access at the provider.\n')).toBe(true);

    expect((await link(['--issuer', issuer])).code).toBe(0);
    mock.service.on('beforeRevoke', (response) => (response.statusCode = 401));
    const refused = await cli(['unlink']);
    expect(refused.code).toBe(0);
    expect(refused.stderr).toBe(
      'warning: The provider refused to revoke the grant (HTTP 401); the local credentials were deleted; remove access in the provider\'s account settings.\nUnlinked profile "default".\n',
    );

    expect((await link(['--authorize-url', `${issuer}/authorize`, '--token-url', `${issuer}/token`])).code).toBe(0);
    // The library's revoking close says so too, and leaves the tokens usable (they still work there).
    const session = await new Accounts({ home: home.dir, store: 'plaintext' }).session('default');
    await expect(session.close({ revoke: true })).rejects.toThrow("The provider has no revocation endpoint, so nothing was sent and the grant stays valid there; remove access in the provider's account settings.");
    expect((await cli(['token'])).code).toBe(0);
    const none = await cli(['unlink']);
    expect(none.stderr).toBe(
      'warning: The provider has no revocation endpoint, so nothing was sent and the grant stays valid there; the local credentials were deleted; remove access in the provider\'s account settings.\nUnlinked profile "default".\n',
    );
    expect((await cli(['status'])).code).toBe(1);
  });
});

describe('servers that depart from the standards', () => {
  it('discovery answering 301 is said with its Location, not as "no metadata"', async () => {
    const result = await cli(['link', '--provider', 'oidc', '--client-id', CLIENT, '--issuer', `${otherUrl}/o`]);
    expect(result.code).toBe(1);
    expect(lastLine(result)).toBe(
      `authtray: ${otherUrl}/o/.well-known/openid-configuration answered HTTP 301, moved to /o/.well-known/openid-configuration/: the server does not serve its metadata where OpenID Connect Discovery §4 puts it. Link with --issuer ${otherUrl}/o --authorize-url URL --token-url URL, or have the server serve it there.`,
    );
  });

  it('a token endpoint answering HTML is named as such (exit 1), not as a connection problem', async () => {
    const result = await link(['--issuer', issuer, '--token-url', `${otherUrl}/token`]);
    expect(result.code).toBe(1);
    expect(lastLine(result)).toBe(`authtray: ${otherUrl.slice(7)} answered the code exchange with something that is not JSON (HTTP 200, text/html): check that ${otherUrl}/token is the right endpoint.`);
  });
});
