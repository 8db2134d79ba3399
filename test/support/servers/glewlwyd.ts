/**
 * glewlwyd (Debian's `glewlwyd`, a C OAuth 2.0 / OpenID Connect server) on a free loopback port,
 * with a sqlite database made from the schema Debian ships, configured through its admin REST API:
 * a user, a public client with exact loopback redirects, and an OIDC plugin instance with PKCE,
 * rolling one-use refresh tokens, short access tokens and revocation enabled.
 * See /work/shared/reference/INTEROP.md and the README's server matrix for what it does differently.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../services.js';
import { requireProgram, runProgram } from '../system.js';
import { Browser, countMatches, locationOf, spawnServer, type ThirdPartyServer } from './server.js';

const SCHEMA = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
const MODULES = '/usr/lib/glewlwyd';
const MISSING = 'install the Debian package glewlwyd (apt-get install glewlwyd sqlite3; CI does, from .ci/apt-packages.txt)';

/** The admin account the shipped schema creates (admin / password). */
const ADMIN = { username: 'admin', password: 'password' };
export const GLEWLWYD_USER = { username: 'alice', password: 'alice-password', name: 'Alice Example', email: 'alice@example.test' };
const CLIENT_ID = 'authtray';

export interface GlewlwydOptions {
  /** Lifetime of access tokens in seconds (the plugin's `access-token-duration`). */
  accessTokenSeconds?: number;
}

export async function startGlewlwyd(options: GlewlwydOptions = {}): Promise<ThirdPartyServer> {
  const began = Date.now();
  let program: string;
  try {
    program = requireProgram('glewlwyd', 'glewlwyd');
    requireProgram('sqlite3', 'sqlite3');
  } catch {
    throw new Error(`glewlwyd is not installed: ${MISSING}`);
  }
  if (!existsSync(SCHEMA) || !existsSync(join(MODULES, 'plugin', 'libprotocol_oidc.so'))) throw new Error(`glewlwyd's schema or OIDC plugin is missing: ${MISSING}`);

  const dir = await mkdtemp(join(tmpdir(), 'authtray-glewlwyd-'));
  const [port, redirectPort] = await Promise.all([freePort(), freePort()]);
  const base = `http://127.0.0.1:${port}`;
  const issuer = `${base}/api/oidc`;
  const db = join(dir, 'glewlwyd.db');
  const made = await runProgram('/bin/sh', ['-c', 'sqlite3 "$1" < "$2"', 'sh', db, SCHEMA]);
  if (made.code !== 0) throw new Error(`sqlite3 could not load glewlwyd's schema: ${made.stderr}`);
  await writeFile(join(dir, 'glewlwyd.conf'), config(port, base, db));

  const server = spawnServer(program, [`--config-file=${join(dir, 'glewlwyd.conf')}`], { cwd: dir });
  const stop = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await server.waitForLog(/Glewlwyd started on port/);
    const admin = new Browser();
    const api = async (method: string, path: string, body: unknown) => {
      const response = await admin.fetch(`${base}/api${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (response.status !== 200) throw new Error(`glewlwyd ${method} ${path} answered HTTP ${response.status}: ${await response.text()}`);
      await response.body?.cancel();
    };
    await api('POST', '/auth/', ADMIN);
    await api('POST', '/user/', { ...GLEWLWYD_USER, scope: ['openid'], enabled: true });
    await api('POST', '/client/', {
      client_id: CLIENT_ID,
      name: 'authtray',
      confidential: false,
      // Exact strings, port included: the loopback listener's port and the paste flow's redirect.
      redirect_uri: [`http://127.0.0.1:${redirectPort}/callback`, 'http://127.0.0.1/callback'],
      authorization_type: ['code', 'refresh_token'],
      scope: [],
      enabled: true,
    });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await api('POST', '/mod/plugin/', {
      module: 'oidc',
      name: 'oidc',
      display_name: 'OpenID Connect',
      enabled: true,
      parameters: {
        iss: issuer,
        'jwt-type': 'rsa',
        'jwt-key-size': '256',
        key: privateKey.export({ type: 'pkcs1', format: 'pem' }),
        cert: publicKey.export({ type: 'spki', format: 'pem' }),
        'access-token-duration': options.accessTokenSeconds ?? 120,
        'refresh-token-duration': 1209600,
        'code-duration': 600,
        'refresh-token-rolling': true,
        // Every refresh returns a new refresh token and kills the old one.
        'refresh-token-one-use': 'always',
        'allow-non-oidc': false,
        'auth-type-code-enabled': true,
        'auth-type-refresh-enabled': true,
        'auth-type-token-enabled': false,
        'auth-type-id-token-enabled': false,
        'auth-type-none-enabled': false,
        'auth-type-password-enabled': false,
        'auth-type-client-enabled': false,
        'auth-type-device-enabled': false,
        scope: [],
        'additional-parameters': [],
        claims: [],
        'allowed-scope': ['openid'],
        'pkce-allowed': true,
        'pkce-method-plain-allowed': false,
        'introspection-revocation-allowed': true,
        'introspection-revocation-auth-scope': [],
        'introspection-revocation-allow-target-client': true,
        'name-claim': 'mandatory',
        'email-claim': 'mandatory',
        'scope-claim': 'no',
        'jwks-show': true,
        'secret-type': 'pairwise',
        'request-parameter-allow': false,
        'address-claim': { type: 'no', formatted: '', street_address: '', locality: '', region: '', postal_code: '', country: '', mandatory: false },
      },
    });
    await server.waitForLog(/Plugin module 'oidc' added/);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    name: 'glewlwyd 2.7',
    issuer,
    clientId: CLIENT_ID,
    redirectPort,
    startupMs: Date.now() - began,
    approve: (url) => approve(base, url),
    // One line per access token issued to our client: by a code exchange or by a refresh.
    tokenRequests: async () => countMatches(await server.settledLog(), new RegExp(`Access token generated for client '${CLIENT_ID}'`, 'g')),
    stop,
  };
}

/**
 * The person's login and consent, as glewlwyd's single-page login app does them over REST: the
 * authorization endpoint sends the browser to login.html with a `callback_url`; the app logs in
 * (POST /api/auth/), grants the scopes to the client (PUT /api/auth/grant/CLIENT), then goes back
 * to `callback_url` with `g_continue`, which answers with the redirect to the client.
 */
async function approve(base: string, authorizationUrl: string): Promise<string> {
  const browser = new Browser();
  const login = await locationOf(await browser.fetch(authorizationUrl), 'glewlwyd authorization endpoint');
  if (!login.pathname.endsWith('/login.html')) return login.href; // an error redirect back to the client
  const callback = login.searchParams.get('callback_url');
  const scope = login.searchParams.get('scope') ?? '';
  const clientId = login.searchParams.get('client_id');
  if (!callback || !clientId) throw new Error(`glewlwyd's login URL has no callback: ${login.href}`);
  for (const [method, path, body] of [
    ['POST', '/api/auth/', { username: GLEWLWYD_USER.username, password: GLEWLWYD_USER.password }],
    ['PUT', `/api/auth/grant/${encodeURIComponent(clientId)}`, { scope }],
  ] as const) {
    const response = await browser.fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`glewlwyd ${method} ${path} answered HTTP ${response.status}: ${await response.text()}`);
    await response.body?.cancel();
  }
  const back = new URL(callback);
  back.searchParams.set('g_continue', '');
  return (await locationOf(await browser.fetch(back), 'glewlwyd after consent')).href;
}

function config(port: number, base: string, db: string): string {
  return `# written by test/support/servers/glewlwyd.ts
port=${port}
bind_address="127.0.0.1"
external_url="${base}"
login_url="login.html"
api_prefix="api"
allow_origin="*"
log_mode="console"
log_level="INFO"
cookie_secure=0
cookie_same_site="empty"
session_expiration=3600
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="${MODULES}/user"
client_module_path="${MODULES}/client"
user_auth_scheme_module_path="${MODULES}/scheme"
plugin_module_path="${MODULES}/plugin"
# glewlwyd does not start without these, even with TLS off.
use_secure_connection=false
secure_connection_key_file="/nonexistent/glewlwyd.key"
secure_connection_pem_file="/nonexistent/glewlwyd.pem"
secure_connection_ca_file="/nonexistent/ca.crt"
hash_algorithm="SHA512"
database =
{
  type = "sqlite3"
  path = "${db}"
};
`;
}
