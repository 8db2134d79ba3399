// The same conformance suite against oidc-provider (npm), in the sandbox's configuration but with
// 120 s access tokens: strict and standard (PKCE for public clients, offline_access listed and
// required for refresh tokens, rotation with reuse detection, revocation advertised). It is the
// reference the third-party servers' departures are measured against.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_CLIENTS, startSandbox, type Sandbox } from '../sandbox/provider.js';
import { approve } from '../support/login.js';
import { describeConformance } from '../support/servers/conformance.js';
import type { ThirdPartyServer } from '../support/servers/server.js';

async function startOidcProvider(): Promise<ThirdPartyServer & { sandbox: Sandbox }> {
  const began = Date.now();
  const dataDir = await mkdtemp(join(tmpdir(), 'authtray-oidc-provider-'));
  const sandbox = await startSandbox({ dataDir, accessTokenTtl: 120 });
  return {
    sandbox,
    name: 'oidc-provider 9 (120 s access tokens)',
    issuer: sandbox.issuer,
    clientId: SANDBOX_CLIENTS.native.clientId,
    redirectPort: null,
    startupMs: Date.now() - began,
    approve: async (url) => (await approve(url)).redirectUrl,
    tokenRequests: async () => sandbox.stats.tokenRequests,
    async stop() {
      await sandbox.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describeConformance({
  start: startOidcProvider,
  rotates: true,
  // Introspection, not a refresh: reusing a rotated refresh token would revoke the whole grant here.
  refreshTokenWorks: async (server, token) => (await (server as Awaited<ReturnType<typeof startOidcProvider>>).sandbox.introspect(token)).active,
  unlink: {
    title: 'revocation advertised and answered (RFC 7009)',
    revoked: true,
    stderr: (profile) => `Unlinked profile "${profile}" and revoked its access at the provider.\n`,
  },
});
