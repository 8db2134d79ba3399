// authtray against Django OAuth Toolkit 1.7 (Debian's `python3-django-oauth-toolkit`, Django 3.2),
// in a Django project this file generates: OIDC on, PKCE required, rotating refresh tokens, 120 s
// access tokens, a public Application registered with http://127.0.0.1/callback, and the exact
// OIDC discovery path mapped in urls.py (the compliant case; django-discovery-301.test.ts runs the
// toolkit as shipped, with its trailing-slash-only discovery).
// Where the toolkit departs from a standard, the test names the section and what authtray does.
import { describe, expect, it } from 'vitest';
import { startCli } from '../support/cli.js';
import { describeConformance, refreshTokenAccepted } from '../support/servers/conformance.js';
import { startDjango } from '../support/servers/django.js';

let revocationEndpoint = '';

const suite = describeConformance({
  start: async () => {
    const server = await startDjango({ exactDiscoveryPath: true, accessTokenSeconds: 120 });
    revocationEndpoint = server.revocationEndpoint;
    return server;
  },
  // It accepts any loopback port for the registered http://127.0.0.1/callback (RFC 8252 §7.3): no --port.
  rotates: true,
  refreshTokenWorks: (server, token) => refreshTokenAccepted(`${server.issuer}/token/`, server.clientId, token),
  // Its discovery lists no revocation endpoint (RFC 8414 §2 lets it leave it out) although
  // /o/revoke_token/ exists: authtray sends no request and says the grant stays valid there.
  unlink: {
    title: 'no revocation endpoint in discovery (RFC 8414 §2 makes it optional)',
    revoked: false,
    stderr: (profile) =>
      `warning: The provider has no revocation endpoint, so nothing was sent and the grant stays valid there; the local credentials were deleted; remove access in the provider's account settings.\nUnlinked profile "${profile}".\n`,
  },
});

describe('Django OAuth Toolkit: where it departs from the standards', () => {
  it('has no offline_access scope (OIDC Core §11) and publishes no scopes_supported (OIDC Discovery §3), yet issues refresh tokens: authtray asks for neither offline_access nor prompt=consent', async () => {
    const server = suite.server();
    const run = startCli(['link', '--profile', 'scopes', '--provider', 'oidc', '--issuer', server.issuer, '--client-id', server.clientId, '--no-browser'], suite.env());
    const url = new URL(await run.waitForLine(/^http/));
    expect(url.searchParams.get('scope')!.split(' ')).not.toContain('offline_access');
    expect(url.searchParams.has('prompt')).toBe(false);
    // What the server does with offline_access: the same request with it is refused.
    const asking = new URL(url);
    asking.searchParams.set('scope', `${url.searchParams.get('scope')} offline_access`);
    expect(new URL(await server.approve(asking.href)).searchParams.get('error')).toBe('invalid_scope');

    const page = await fetch(await server.approve(url.href));
    expect(page.status).toBe(200);
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    expect((await suite.record('scopes')).refreshToken).toBeTruthy();
  });

  it('revokes at its unadvertised /o/revoke_token/ when given with --revoke-url next to --issuer: unlink says so, and the grant is dead there', async () => {
    const server = suite.server();
    const run = startCli(
      ['link', '--profile', 'revoke', '--provider', 'oidc', '--issuer', server.issuer, '--client-id', server.clientId, '--revoke-url', revocationEndpoint, '--no-browser'],
      suite.env(),
    );
    const page = await fetch(await server.approve(await run.waitForLine(/^http/)));
    expect(page.status).toBe(200);
    expect((await run.result).code).toBe(0);
    const linked = await suite.record('revoke');

    const result = await suite.cli(['unlink', '--profile', 'revoke']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Unlinked profile "revoke" and revoked its access at the provider.\n');
    expect(await refreshTokenAccepted(`${server.issuer}/token/`, server.clientId, linked.refreshToken!)).toBe(false);
  });
});
