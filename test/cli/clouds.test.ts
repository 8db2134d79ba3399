// `authtray link --provider google|onedrive` at a real terminal (tmux), against the sandbox's
// emulations of Google and Microsoft, then status, token (a refresh; OneDrive's rotates), unlink;
// and the usage errors of both, word for word.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { GOOGLE_CLIENT, ONEDRIVE_CLIENT } from '../sandbox/clouds.js';
import { BIN, cliEnv, runCli } from '../support/cli.js';
import { useSandbox } from '../support/fixtures.js';
import { approve } from '../support/login.js';
import { openTerminal, type Terminal } from '../support/pty.js';

const fx = useSandbox();
let terminals: Terminal[] = [];
afterEach(async () => {
  await Promise.all(terminals.map((t) => t.close()));
  terminals = [];
});
const env = () => cliEnv(fx.home, { AUTHTRAY_STORE: 'plaintext' });
const store = () => new PlaintextCredentialStore(join(fx.home, 'credentials'));
const googleArgs = () => ['--provider', 'google', '--client-id', GOOGLE_CLIENT.clientId, '--issuer', `${fx.sandbox.issuer}/google`, '--api-url', `${fx.sandbox.issuer}/google/`];
const onedriveArgs = () => ['--provider', 'onedrive', '--client-id', ONEDRIVE_CLIENT.clientId, '--issuer', `${fx.sandbox.issuer}/microsoft`, '--api-url', `${fx.sandbox.issuer}/graph/`];

async function linkAt(args: string[]): Promise<{ t: Terminal; url: string }> {
  const t = await openTerminal([process.execPath, BIN, 'link', '--no-browser', ...args], env());
  terminals.push(t);
  const screen = await t.waitFor(/press Enter:$/m);
  return { t, url: screen.split('\n').find((l) => l.startsWith('http://'))! };
}

/** Makes the stored access token expired, so the next `token` refreshes. */
async function expire(profile = 'default') {
  const record = (await store().load(profile))!;
  await store().save(profile, { ...record, expiresAt: Date.now() - 1000 });
  return record;
}

describe('google at a terminal', () => {
  it('asks for the client secret hidden, links by the browser coming back, refreshes, and unlinks with a revocation', async () => {
    // The sandbox's client id is all it takes: the sandbox (AUTHTRAY_SANDBOX_ISSUER) plays Google.
    const t = await openTerminal([process.execPath, BIN, 'link', '--no-browser', '--provider', 'google', '--client-id', GOOGLE_CLIENT.clientId], cliEnv(fx.home, { AUTHTRAY_STORE: 'plaintext', AUTHTRAY_SANDBOX_ISSUER: fx.sandbox.issuer }));
    terminals.push(t);
    await t.waitFor('Client secret (input hidden):');
    await t.paste(GOOGLE_CLIENT.clientSecret);
    await t.press('Enter');
    const screen = await t.waitFor(/press Enter:$/m);
    expect(screen).not.toContain(GOOGLE_CLIENT.clientSecret);
    const url = screen.split('\n').find((l) => l.startsWith('http://'))!;
    expect(new URL(url).searchParams.get('access_type')).toBe('offline');
    await approve(url, { login: 'gina', follow: true });
    expect(await t.exitCode()).toBe(0);
    expect(await t.screen()).toMatch(/Linked: profile "default" \(google\)\n {2}Account: Gina Example <gina@gmail\.test> \(id gina\)\n {2}Drive: {3}drive \d+ of Gina Example\n/);

    const before = await expire();
    const token = await runCli(['token'], env());
    expect([token.code, token.stderr]).toEqual([0, '']);
    expect(token.stdout.trim()).not.toBe(before.accessToken);
    expect((await store().load('default'))!.refreshToken).toBe(before.refreshToken);

    const unlinked = await runCli(['unlink'], env());
    expect([unlinked.code, unlinked.stderr]).toEqual([0, 'Unlinked profile "default" and revoked its access at the provider.\n']);
  });

  it('--redirect paste is bad usage that says what works (exit 64), and nothing is pending', async () => {
    const result = await runCli(['link', '--no-browser', '--redirect', 'paste', ...googleArgs()], cliEnv(fx.home, { AUTHTRAY_STORE: 'plaintext', AUTHTRAY_CLIENT_SECRET: GOOGLE_CLIENT.clientSecret }));
    expect([result.code, result.stderr]).toEqual([
      64,
      'authtray: Google takes no pasted codes (it ended the out-of-band flow in 2022): link without --redirect paste (the loopback redirect is the default), or with --device on a machine without a browser (Google allows only the drive.file and drive.appdata Drive scopes there).\n',
    ]);
  });
});

describe('onedrive at a terminal', () => {
  it('links through --tenant common, rotates the refresh token on every token refresh, and unlinks saying where to remove access', async () => {
    const { t, url } = await linkAt([...onedriveArgs(), '--tenant', 'common']);
    expect(new URL(url).searchParams.get('scope')).toBe('offline_access Files.ReadWrite User.Read openid profile');
    await approve(url, { login: 'olga', follow: true });
    expect(await t.exitCode()).toBe(0);
    expect(await t.screen()).toMatch(/Linked: profile "default" \(onedrive\)\n {2}Account: Olga Example <olga@contoso\.test> \(id [0-9a-f-]{36}\)\n {2}Drive: {3}business b![0-9a-f]{32} of Olga Example\n/);

    const seen = new Set<string | null>();
    for (let i = 0; i < 2; i++) {
      seen.add((await expire()).refreshToken);
      const token = await runCli(['token'], env());
      expect([token.code, token.stderr]).toEqual([0, '']);
    }
    seen.add((await store().load('default'))!.refreshToken);
    expect(seen.size).toBe(3);

    const unlinked = await runCli(['unlink'], env());
    expect([unlinked.code, unlinked.stderr]).toEqual([
      0,
      "warning: Microsoft offers apps no way to revoke their own access, so nothing was sent and the grant stays valid there; the local credentials were deleted. Remove authtray's access at https://account.microsoft.com under Privacy, Apps and services (a personal Microsoft account), or ask your organization's administrator to remove it in the Microsoft Entra admin center under Enterprise applications (a work or school account).\nUnlinked profile \"default\".\n",
    ]);
  });

  it('a --tenant that is no tenant, or given to another provider, is bad usage (exit 64)', async () => {
    const bad = await runCli(['link', ...onedriveArgs(), '--tenant', 'not/a tenant'], env());
    expect([bad.code, bad.stderr]).toEqual([64, 'authtray: --tenant must be common, consumers, organizations, a tenant id (a GUID) or a tenant\'s domain (contoso.onmicrosoft.com), not "not/a tenant". See `authtray link --help`.\n']);
    const elsewhere = await runCli(['link', '--provider', 'dropbox', '--client-id', 'x', '--tenant', 'common'], env());
    expect([elsewhere.code, elsewhere.stderr]).toEqual([64, 'authtray: A tenant is a Microsoft setting: it goes with OneDrive, not dropbox.\n']);
  });
});
