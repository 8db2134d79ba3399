// Django OAuth Toolkit 1.7 as shipped: it serves OIDC discovery only at
// /o/.well-known/openid-configuration/ (trailing slash), and Django answers the exact path that
// OIDC Discovery §4 names (issuer + "/.well-known/openid-configuration") with a 301 to it.
// authtray does not follow redirects for metadata (the document must come from the issuer's own
// path); it says what the server answered, and the endpoint overrides next to --issuer link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli, startCli, tempHome } from '../support/cli.js';
import { startDjango } from '../support/servers/django.js';
import type { ThirdPartyServer } from '../support/servers/server.js';

let server: ThirdPartyServer;
let home: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  home = await tempHome();
  env = cliEnv(home.dir, { AUTHTRAY_STORE: 'plaintext' });
  server = await startDjango({ exactDiscoveryPath: false });
  console.info(`${server.name} (discovery as shipped) started and configured in ${server.startupMs} ms`);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await home?.cleanup();
});

describe('Django OAuth Toolkit: discovery answers 301 at the exact path (against OIDC Discovery §4)', () => {
  it('the default link names the 301 and where it points, and the step that works', async () => {
    const discovery = `${server.issuer}/.well-known/openid-configuration`;
    const result = await runCli(['link', '--provider', 'oidc', '--issuer', server.issuer, '--client-id', server.clientId, '--no-browser'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `authtray: ${discovery} answered HTTP 301, moved to /o/.well-known/openid-configuration/: the server does not serve its metadata where OpenID Connect Discovery §4 puts it. Link with --issuer ${server.issuer} --authorize-url URL --token-url URL, or have the server serve it there.\n`,
    );
  });

  it('links with --authorize-url and --token-url next to --issuer: the issuer still checks the ID token', async () => {
    const run = startCli(
      ['link', '--provider', 'oidc', '--issuer', server.issuer, '--client-id', server.clientId, '--authorize-url', `${server.issuer}/authorize/`, '--token-url', `${server.issuer}/token/`, '--no-browser'],
      env,
    );
    const page = await fetch(await server.approve(await run.waitForLine(/^http/)));
    expect(page.status).toBe(200);
    const result = await run.result;
    expect(result.code, result.stderr).toBe(0);
    expect((await runCli(['token'], env)).code).toBe(0);
  });
});
