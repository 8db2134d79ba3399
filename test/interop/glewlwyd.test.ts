// authtray against glewlwyd 2.7 (Debian's `glewlwyd`), started by this file on 127.0.0.1 with its
// own sqlite database and configuration: a public client with PKCE and exact loopback redirects,
// nonce required, rolling one-use refresh tokens, 120 s access tokens, revocation enabled.
// Where glewlwyd departs from a standard, the test names the section and what authtray does.
import { describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { waitFor } from '../support/fixtures.js';
import { describeConformance, refreshTokenAccepted } from '../support/servers/conformance.js';
import { startGlewlwyd } from '../support/servers/glewlwyd.js';

const suite = describeConformance({
  start: () => startGlewlwyd({ accessTokenSeconds: 120 }),
  // Exact-string redirect matching: the registered port is given with --port, nothing else.
  linkArgs: (server) => ['--port', String(server.redirectPort)],
  rotates: true,
  refreshTokenWorks: (server, token) => refreshTokenAccepted(`${server.issuer}/token`, server.clientId, token),
  // RFC 7009 §2.1 asks client authentication only of confidential clients; glewlwyd answers a
  // public client's revocation with HTTP 401. authtray says the provider refused, deletes the
  // local credentials, and tells where to remove the grant; the refresh token stays valid there.
  unlink: {
    title: 'revocation refused with HTTP 401 for a public client (against RFC 7009 §2.1)',
    revoked: false,
    stderr: (profile) =>
      `warning: The provider refused to revoke the grant (HTTP 401); the local credentials were deleted; remove access in the provider's account settings.\nUnlinked profile "${profile}".\n`,
  },
});

describe('glewlwyd: where it departs from the standards', () => {
  it('requires a nonce with openid (OIDC Core §3.1.2.1 makes it optional for the code flow): authtray always sends one', async () => {
    const server = suite.server();
    const bare = new URL(`${server.issuer}/auth`);
    bare.search = new URLSearchParams({ response_type: 'code', client_id: server.clientId, redirect_uri: `http://127.0.0.1:${server.redirectPort}/callback`, scope: 'openid', state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).toString();
    expect(new URL(await server.approve(bare.href)).searchParams.get('error_description')).toBe('nonce required');

    const result = await suite.linkByLoopback('nonce');
    expect(result.code).toBe(0);
  });

  it('matches redirect URIs as exact strings, port included (against RFC 8252 §7.3): without --port the server refuses with an empty 403, and authtray names the redirect URI to register', async () => {
    const server = suite.server();
    const run = startCli(['link', '--profile', 'noport', '--provider', 'oidc', '--issuer', server.issuer, '--client-id', server.clientId, '--no-browser'], suite.env());
    try {
      const url = new URL(await run.waitForLine(/^http/));
      const redirectUri = url.searchParams.get('redirect_uri')!;
      expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      expect(redirectUri).not.toBe(`http://127.0.0.1:${server.redirectPort}/callback`);
      await expect(server.approve(url.href)).rejects.toThrow('glewlwyd authorization endpoint: expected a redirect, got HTTP 403: ');
      // The waiting message names the redirect URI in use, so the person can register it.
      await waitFor(() => run.stderrSoFar().includes(redirectUri), `the waiting message naming ${redirectUri}`, 5_000);
    } finally {
      run.child.kill('SIGINT');
      await run.result;
    }
  });

  it('refuses a reused one-use refresh token with a bare HTTP 400, no JSON error (RFC 6749 §5.2): authtray says the grant is gone and to link again', async () => {
    const server = suite.server();
    await suite.linkByLoopback('reused');
    const linked = await suite.expire('reused');
    // Another client spends the refresh token first (as a copy of the record elsewhere would).
    expect(await refreshTokenAccepted(`${server.issuer}/token`, server.clientId, linked.refreshToken!)).toBe(true);
    const result = await suite.cli(['token', '--profile', 'reused']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('authtray: Profile "reused" needs to be linked again: the provider refused its refresh token (HTTP 400). Run: authtray link --profile reused\n');
    // The local record is kept (a fault never loses credentials), marked for relinking.
    expect(JSON.parse((await suite.cli(['status', '--profile', 'reused', '--json'])).stdout).needsRelink).toBe(true);
  });
});

describe('glewlwyd launcher', () => {
  it('fails, never skips, naming the Debian package when glewlwyd is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startGlewlwyd()).rejects.toThrow(
        'glewlwyd is not installed: install the Debian package glewlwyd (apt-get install glewlwyd sqlite3; CI does, from .ci/apt-packages.txt)',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
