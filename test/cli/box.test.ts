// `authtray link --provider box-jwt | box-developer-token` and `authtray token --scope`, run as the
// real built command against the sandbox. Every output and the config are scanned for secrets.
import { createPrivateKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { JWT_BEARER, TOKEN_EXCHANGE, serviceAccountOf } from '../sandbox/box.js';
import { cliEnv, runCli, type CliResult } from '../support/cli.js';
import { boxFileUrl, pemBody, strangerKeyPem, writeBoxSettings, useSandbox } from '../support/box.js';

const t = useSandbox();

const PASSPHRASE = 'open sesame 42';
const app = SANDBOX_CLIENTS.boxJwt;

let env: NodeJS.ProcessEnv;
/** Everything printed, except the tokens `token` prints on stdout. */
let printed: string[];
/** Secrets the test handed to the command, besides those found in the store afterwards. */
let given: string[];

const api = () => `${t.sandbox.issuer}/box/`;
const store = () => new PlaintextCredentialStore(join(t.home, 'credentials'));

async function cli(args: string[], input = '', extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
  const result = await runCli(args, { ...env, ...extraEnv }, input);
  printed.push(result.stderr);
  if (args[0] !== 'token') printed.push(result.stdout);
  return result;
}

async function settingsFile(edit?: Parameters<typeof writeBoxSettings>[3]) {
  return writeBoxSettings(t.elsewhere, t.sandbox, PASSPHRASE, edit);
}

const linkJwt = async (extra: string[] = [], edit?: Parameters<typeof writeBoxSettings>[3], extraEnv: Record<string, string | undefined> = {}) =>
  cli(['link', '--provider', 'box-jwt', '--settings', await settingsFile(edit), '--api-url', api(), ...extra], '', extraEnv);

beforeEach(() => {
  env = cliEnv(t.home, { AUTHTRAY_KEY_PASSPHRASE: undefined });
  printed = [];
  given = [app.clientSecret, PASSPHRASE, pemBody(t.sandbox.boxJwt.keys.privateKeyPem).slice(0, 40)];
});
afterEach(async () => {
  const records = await Promise.all(['default', 'dev', 'user'].map((p) => store().load(p).catch(() => null)));
  const secrets = [...given, ...records.flatMap((r) => (r ? [r.accessToken, r.clientSecret, r.jwtKey?.passphrase, r.jwtKey && pemBody(r.jwtKey.privateKey).slice(0, 40)] : []))];
  const config = await readFile(join(t.home, 'config.json'), 'utf8').catch(() => '');
  for (const secret of secrets.filter((s): s is string => Boolean(s))) {
    for (const text of [...printed, config]) expect(text.includes(secret), 'a secret was printed or written to the config').toBe(false);
  }
});

describe('authtray link --provider box-jwt', () => {
  it('links the enterprise from the console’s settings file; status, token and unlink work', async () => {
    const linked = await linkJwt();
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stdout).toBe('');
    expect(linked.stderr).toMatch(/^Linked: profile "default" \(box-jwt\)\n {2}Account: AutomationUser_4242 Example <AutomationUser_4242@example.test> \(id AutomationUser_4242\)\n {2}Token: {3}renews itself \(server auth\); the access token expires at (\d{4}-\d\d-\d\d )?\d\d:\d\d$/m);
    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status).toMatchObject({ provider: 'box-jwt', linked: true, account: { id: serviceAccountOf(app.enterpriseId) }, token: { kind: 'jwt' } });

    const token = await cli(['token']);
    expect(token.code).toBe(0);
    expect((await t.sandbox.introspect(token.stdout.trim())).active).toBe(true);
    // Near expiry: the next `token` signs a new assertion (one request), no refresh token involved.
    const record = (await store().load('default'))!;
    await store().save('default', { ...record, expiresAt: Date.now() + 30_000, issuedAt: Date.now() - 3_570_000 });
    t.sandbox.stats.reset();
    const renewed = (await cli(['token'])).stdout.trim();
    expect(renewed).not.toBe(token.stdout.trim());
    expect(t.sandbox.stats.byGrant).toEqual({ [JWT_BEARER]: 1 });

    const unlinked = await cli(['unlink']);
    expect(unlinked.stderr).toMatch(/revoked its access at the provider/);
    expect((await t.sandbox.introspect(renewed)).active).toBe(false);
  });

  it('acts as an app user with --user, and keeps that user when relinked without --provider', async () => {
    expect((await linkJwt(['--profile', 'user', '--user', '1234'])).code).toBe(0);
    expect(JSON.parse((await cli(['status', '--profile', 'user', '--json'])).stdout).account.id).toBe('1234');
    const relinked = await cli(['link', '--profile', 'user', '--settings', await settingsFile(), '--api-url', api()]);
    expect(relinked.code, relinked.stderr).toBe(0);
    expect(JSON.parse((await cli(['status', '--profile', 'user', '--json'])).stdout).account.id).toBe('1234');
  });

  it('takes the passphrase from AUTHTRAY_KEY_PASSPHRASE when the file has none, and says so when neither has it', async () => {
    const noPassphrase = (s: Parameters<Parameters<typeof writeBoxSettings>[3] & object>[0]) => delete s.boxAppSettings!.appAuth!.passphrase;
    const refused = await linkJwt([], noPassphrase);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/encrypted and boxAppSettings\.appAuth\.passphrase is empty: set AUTHTRAY_KEY_PASSPHRASE/);
    expect(t.sandbox.stats.tokenRequests).toBe(0);
    const linked = await linkJwt([], noPassphrase, { AUTHTRAY_KEY_PASSPHRASE: PASSPHRASE });
    expect(linked.code, linked.stderr).toBe(0);
    expect((await store().load('default'))!.jwtKey!.passphrase).toBe(PASSPHRASE);
  });

  it('a wrong passphrase is a usage error naming the setting; nothing is sent or stored', async () => {
    given.push('not-the-passphrase');
    const result = await linkJwt([], (s) => (s.boxAppSettings!.appAuth!.passphrase = 'not-the-passphrase'));
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/^authtray: The passphrase does not decrypt boxAppSettings\.appAuth\.privateKey/);
    expect(t.sandbox.stats.tokenRequests).toBe(0);
    expect(await store().load('default')).toBeNull();
  });

  it('a key that is not the app’s is refused by Box (exit 1), naming the key settings', async () => {
    const stranger = createPrivateKey(strangerKeyPem()).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }).toString();
    given.push(pemBody(stranger).slice(0, 40));
    const result = await linkJwt([], (s) => (s.boxAppSettings!.appAuth!.privateKey = stranger));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Box refused the app's JWT assertion \(invalid_grant: the assertion signature does not verify/);
    expect(result.stderr).toMatch(/boxAppSettings\.appAuth\.privateKey and boxAppSettings\.appAuth\.publicKeyID/);
  });

  it.each([
    ['a missing client secret', (s: { boxAppSettings?: { clientSecret?: unknown } }) => delete s.boxAppSettings!.clientSecret, /boxAppSettings\.clientSecret is missing or empty in .*\.json/],
    ['a missing key id', (s: { boxAppSettings?: { appAuth?: { publicKeyID?: unknown } } }) => delete s.boxAppSettings!.appAuth!.publicKeyID, /boxAppSettings\.appAuth\.publicKeyID is missing/],
    ['no enterprise and no --user', (s: { enterpriseID?: unknown }) => delete s.enterpriseID, /enterpriseID is missing.*--user ID/],
  ])('bad settings (%s) name the field', async (_name, edit, message) => {
    const result = await linkJwt([], edit);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
  });

  it('a settings file that is not there, or not JSON, or not given', async () => {
    const missing = await cli(['link', '--provider', 'box-jwt', '--settings', join(t.elsewhere, 'nope.json')]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/Cannot read the Box app settings file .*nope\.json \(ENOENT\)/);
    const broken = join(t.elsewhere, 'broken.json');
    await writeFile(broken, `{"boxAppSettings": {"clientSecret": "${app.clientSecret}"`);
    expect((await cli(['link', '--provider', 'box-jwt', '--settings', broken])).stderr).toMatch(/is not valid JSON/);
    expect((await cli(['link', '--provider', 'box-jwt'])).stderr).toMatch(/--settings FILE is needed/);
    expect((await cli(['link', '--provider', 'box-jwt', '--settings', broken, '--client-id', 'x'])).stderr).toMatch(/client id comes from the settings file/);
    expect((await cli(['link', '--provider', 'box-jwt', '--settings', broken, '--redirect', 'paste'])).stderr).toMatch(/--redirect does not apply/);
    expect((await cli(['link', '--provider', 'box-jwt', '--settings', broken, '--algorithm', 'HS256'])).stderr).toMatch(/--algorithm must be one of RS256, RS384, RS512/);
    expect((await cli(['link', '--provider', 'dropbox', '--client-id', 'x', '--settings', broken])).stderr).toMatch(/--settings, --user and --algorithm go with --provider box-jwt/);
  });
});

describe('authtray link --provider box-developer-token', () => {
  it('asks "Enter developer token:", links, hands the token out, and needs a relink once it runs out', async () => {
    const token = await t.sandbox.developerToken('dana');
    given.push(token);
    const linked = await cli(['link', '--profile', 'dev', '--provider', 'box-developer-token', '--api-url', api()], `${token}\n`);
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stderr).toMatch(/^Enter developer token: /);
    expect(linked.stderr).toMatch(/^Linked: profile "dev" \(box-developer-token\)\n.*\n {2}Token: {3}from the Box console: link again when it runs out \(60 minutes\); the access token expires at (\d{4}-\d\d-\d\d )?\d\d:\d\d$/m);
    expect(JSON.parse((await cli(['status', '--profile', 'dev', '--json'])).stdout)).toMatchObject({ account: { id: 'dana' }, token: { kind: 'developer' } });
    expect((await cli(['token', '--profile', 'dev'])).stdout.trim()).toBe(token);

    const record = (await store().load('dev'))!;
    await store().save('dev', { ...record, expiresAt: Date.now() - 1000 });
    t.sandbox.stats.reset();
    const expired = await cli(['token', '--profile', 'dev']);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toBe('');
    expect(expired.stderr).toMatch(/needs to be linked again.*authtray link --profile dev/);
    expect(t.sandbox.stats.tokenRequests).toBe(0);

    const unlinked = await cli(['unlink', '--profile', 'dev']);
    expect(unlinked.code).toBe(0);
    expect(unlinked.stderr).toMatch(/warning: .*developer token cannot be revoked/);
  });

  it('no token entered, or one Box refuses', async () => {
    expect((await cli(['link', '--provider', 'box-developer-token', '--api-url', api()], '\n')).stderr).toMatch(/No developer token entered/);
    given.push('AAAAbogusdevelopertoken');
    const refused = await cli(['link', '--provider', 'box-developer-token', '--api-url', api()], 'AAAAbogusdevelopertoken\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Box did not accept the developer token/);
  });
});

describe('authtray token --scope (downscoping)', () => {
  it('prints a restricted token, not stored', async () => {
    expect((await linkJwt()).code).toBe(0);
    const before = await store().load('default');
    t.sandbox.stats.reset();
    const result = await cli(['token', '--scope', 'item_preview', '--scope', 'item_download', '--resource', boxFileUrl(t.sandbox, '77')]);
    expect(result.code, result.stderr).toBe(0);
    const restricted = result.stdout.trim();
    expect(t.sandbox.stats.byGrant).toEqual({ [TOKEN_EXCHANGE]: 1 });
    expect(await t.sandbox.introspect(restricted)).toMatchObject({ active: true, scope: 'item_preview item_download' });
    expect(await store().load('default')).toEqual(before);

    const shared = await cli(['token', '--scope', 'item_read', '--shared-link', 'https://app.box.com/s/xyz']);
    expect((await t.sandbox.introspect(shared.stdout.trim())).scope).toBe('item_read');
  });

  it('usage and refusals', async () => {
    expect((await linkJwt()).code).toBe(0);
    const noScope = await cli(['token', '--resource', boxFileUrl(t.sandbox, '1')]);
    expect(noScope.code).toBe(64);
    expect(noScope.stderr).toMatch(/give --scope too/);
    const both = await cli(['token', '--scope', 'item_read', '--resource', boxFileUrl(t.sandbox, '1'), '--shared-link', 'https://app.box.com/s/x']);
    expect(both.code).toBe(64);
    const unknown = await cli(['token', '--scope', 'everything']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/refused to downscope the token \(invalid_scope.*Box's downscope scopes are item_preview/);
  });
});
