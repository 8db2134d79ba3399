// The `authtray` command's contract, run as a real child process against the real sandbox.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import { SANDBOX_CLIENTS } from '../sandbox/provider.js';
import { cliEnv, runCli, startCli, type CliResult } from '../support/cli.js';
import { useSandbox } from '../support/fixtures.js';
import { approve } from '../support/login.js';

const fx = useSandbox();
let env: NodeJS.ProcessEnv;
/** Everything the command printed, except `token`'s stdout: scanned for secrets at the end of each test. */
let printed: string[];

async function cli(args: string[], input = ''): Promise<CliResult> {
  const result = await runCli(args, env, input);
  printed.push(result.stderr);
  if (args[0] !== 'token') printed.push(result.stdout);
  return result;
}

async function linkByLoopback(profile = 'default', login = 'alice') {
  const run = startCli(['link', '--profile', profile, '--provider', 'sandbox', '--issuer', fx.sandbox.issuer, '--no-browser'], env);
  const url = await run.waitForLine(/^http/);
  const { response } = await approve(url, { login, follow: true });
  expect(response?.status).toBe(200);
  const result = await run.result;
  printed.push(result.stdout, result.stderr);
  return { url, result };
}

async function credentials(profile = 'default') {
  return (await new PlaintextCredentialStore(join(fx.home, 'credentials')).load(profile))!;
}

async function expireAccessToken(profile = 'default') {
  const store = new PlaintextCredentialStore(join(fx.home, 'credentials'));
  const record = (await store.load(profile))!;
  await store.save(profile, { ...record, expiresAt: Date.now() - 1000 });
  return record;
}

beforeEach(async () => {
  env = cliEnv(fx.home);
  printed = [];
});
afterEach(async () => {
  // No secret in any output but `token`'s stdout, nor in the config file.
  const record = await new PlaintextCredentialStore(join(fx.home, 'credentials')).load('default').catch(() => null);
  const config = await readFile(join(fx.home, 'config.json'), 'utf8').catch(() => '');
  const secrets = [record?.accessToken, record?.refreshToken, SANDBOX_CLIENTS.box.clientSecret].filter((s): s is string => Boolean(s));
  for (const secret of secrets) {
    for (const text of [...printed, config]) expect(text.includes(secret), 'a secret was printed or written to the config').toBe(false);
  }
});

describe('authtray link', () => {
  it('prints the URL on its own stdout line and finishes on the loopback redirect', async () => {
    const { url, result } = await linkByLoopback();
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${url}\n`);
    expect(new URL(url).origin).toBe(fx.sandbox.issuer);
    expect(result.stderr).toMatch(/Linked/);
    expect(result.stderr).toMatch(/alice@example\.test/);
  });

  it('finishes on a redirect URL pasted on stdin', async () => {
    const run = startCli(['link', '--provider', 'sandbox', '--issuer', fx.sandbox.issuer, '--redirect', 'paste', '--no-browser'], env);
    const url = await run.waitForLine(/^http/);
    const { redirectUrl } = await approve(url, { login: 'bob' });
    run.child.stdin.end(`${redirectUrl}\n`);
    const result = await run.result;
    printed.push(result.stderr);
    expect(result.code).toBe(0);
    expect(JSON.parse((await cli(['status', '--json'])).stdout).account.id).toBe('bob');
  });

  it('exits 1 with one line on stderr for a rejected code, and 1 for "not approved"', async () => {
    const run = startCli(['link', '--provider', 'sandbox', '--issuer', fx.sandbox.issuer, '--redirect', 'paste', '--no-browser'], env);
    const url = await run.waitForLine(/^http/);
    const { redirectUrl } = await approve(url);
    const wrong = new URL(redirectUrl);
    wrong.searchParams.set('code', 'wrong-code');
    run.child.stdin.end(`${wrong.href}\n`);
    const result = await run.result;
    printed.push(result.stderr);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^authtray: The provider rejected the authorization code/);

    const denied = startCli(['link', '--provider', 'sandbox', '--issuer', fx.sandbox.issuer, '--no-browser'], env);
    const deniedUrl = await denied.waitForLine(/^http/);
    await approve(deniedUrl, { deny: true, follow: true });
    const deniedResult = await denied.result;
    printed.push(deniedResult.stderr);
    expect(deniedResult.code).toBe(1);
    expect(deniedResult.stderr).toMatch(/not approved/);
  });

  it('exits 2 when the provider is unreachable', async () => {
    const result = await cli(['link', '--provider', 'oidc', '--client-id', 'x', '--issuer', 'http://127.0.0.1:9', '--no-browser']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Could not reach 127\.0\.0\.1:9/);
  });

  it('exits 64 on bad usage', async () => {
    for (const args of [['link'], ['link', '--provider', 'nope'], ['status', '--bogus'], ['frobnicate'], ['link', '--provider', 'sandbox', '--port', 'x'], ['status', '--profile', '../etc']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(64);
      expect(result.stderr).toMatch(/^authtray: /);
    }
  });

  it('refuses plain http to a host that is not loopback', async () => {
    const result = await cli(['link', '--provider', 'oidc', '--client-id', 'x', '--issuer', 'http://example.com', '--no-browser']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/must use https/);
  });

  it('a Box-style client takes its secret from AUTHTRAY_CLIENT_SECRET, never a flag, and keeps it out of the config', async () => {
    const args = ['link', '--profile', 'default', '--provider', 'box', '--client-id', SANDBOX_CLIENTS.box.clientId, '--no-browser',
      '--authorize-url', `${fx.sandbox.issuer}/auth`, '--token-url', `${fx.sandbox.issuer}/token`, '--revoke-url', `${fx.sandbox.issuer}/token/revocation`, '--api-url', `${fx.sandbox.issuer}/box/`];
    const missing = await cli(args);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/AUTHTRAY_CLIENT_SECRET/);
    env = cliEnv(fx.home, { AUTHTRAY_CLIENT_SECRET: SANDBOX_CLIENTS.box.clientSecret });
    const run = startCli(args, env);
    await approve(await run.waitForLine(/^http/), { login: 'erin', follow: true });
    const result = await run.result;
    printed.push(result.stdout, result.stderr);
    expect(result.code).toBe(0);
    expect((await credentials()).clientSecret).toBe(SANDBOX_CLIENTS.box.clientSecret);
    // Later commands need only the profile; the secret comes from the record.
    env = cliEnv(fx.home);
    await expireAccessToken();
    expect((await cli(['token'])).code).toBe(0);
  });
});

describe('authtray status, token, profiles, unlink', () => {
  it('status --json has the documented shape; token prints a valid token and nothing else', async () => {
    await linkByLoopback();
    const status = await cli(['status', '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(Object.keys(parsed).sort()).toEqual(['account', 'agent', 'linked', 'needsRelink', 'profile', 'provider', 'store', 'token']);
    expect(parsed).toMatchObject({
      profile: 'default',
      provider: 'sandbox',
      linked: true,
      needsRelink: false,
      account: { id: 'alice', name: 'Alice Example', email: 'alice@example.test' },
      token: { kind: 'offline' },
      store: { backend: 'plaintext', location: join(fx.home, 'credentials'), secure: false },
      agent: null,
    });
    expect(new Date(parsed.token.expiresAt).toISOString()).toBe(parsed.token.expiresAt);

    const human = await cli(['status']);
    expect(human.stdout).toMatch(/linked/);
    expect(human.stdout).toMatch(/not encrypted/);

    const token = await cli(['token']);
    expect(token.code).toBe(0);
    expect(token.stderr).toBe('');
    expect(token.stdout).toBe(`${(await credentials()).accessToken}\n`);
    expect((await fx.sandbox.introspect(token.stdout.trim())).active).toBe(true);
  });

  it('token refreshes an expired access token and saves the rotated refresh token', async () => {
    await linkByLoopback();
    const before = await expireAccessToken();
    fx.sandbox.stats.reset();
    const token = await cli(['token']);
    expect(token.code).toBe(0);
    expect(fx.sandbox.stats.byGrant.refresh_token).toBe(1);
    const after = await credentials();
    expect(token.stdout.trim()).toBe(after.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect((await fx.sandbox.introspect(after.accessToken)).active).toBe(true);
  });

  it('token exits 2 while the provider is down, and works again after it is back', async () => {
    await linkByLoopback();
    await expireAccessToken();
    const restart = await fx.outage();
    try {
      const down = await cli(['token']);
      expect(down.code).toBe(2);
      expect(down.stdout).toBe('');
      expect(down.stderr).toMatch(/Could not reach/);
    } finally {
      await restart();
    }
    const back = await cli(['token']);
    expect(back.code).toBe(0);
    expect((await fx.sandbox.introspect(back.stdout.trim())).active).toBe(true);
  });

  it('profiles lists every profile; unlink revokes and deletes; then not linked (exit 1)', async () => {
    await linkByLoopback('default', 'alice');
    await linkByLoopback('second', 'bob');
    const list = await cli(['profiles', '--json']);
    expect(JSON.parse(list.stdout).map((p: { profile: string }) => p.profile)).toEqual(['default', 'second']);

    const record = await credentials();
    const unlink = await cli(['unlink']);
    expect(unlink.code).toBe(0);
    expect((await fx.sandbox.introspect(record.refreshToken!)).active).toBe(false);
    expect(await readdir(join(fx.home, 'credentials'))).toEqual(['second.json']);
    expect((await cli(['status'])).code).toBe(1);
    expect((await cli(['token'])).code).toBe(1);
    expect((await cli(['unlink'])).code).toBe(1);
    expect((await cli(['token', '--profile', 'second'])).code).toBe(0);
  });

  it('unlink exits 0 with a warning when revocation fails', async () => {
    await linkByLoopback();
    const restart = await fx.outage();
    try {
      const result = await cli(['unlink']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        `warning: The provider could not be asked to revoke the grant (Could not reach 127.0.0.1:${fx.sandbox.port}); the local credentials were deleted; remove access in the provider's account settings.\nUnlinked profile "default".\n`,
      );
    } finally {
      await restart();
    }
    expect((await cli(['status'])).code).toBe(1);
  });
});

describe('checks before the address, and damaged state', () => {
  it('an unreachable --store redis://… is exit 3 before the address is printed, and nothing is left pending', async () => {
    const result = await cli(['link', '--provider', 'sandbox', '--issuer', fx.sandbox.issuer, '--store', 'redis://127.0.0.1:9', '--no-browser']);
    expect(result).toEqual({
      code: 3,
      stdout: '',
      stderr: 'authtray: Cannot read the credentials of profile "default" from Redis at 127.0.0.1:9 (connection refused). Is Redis running at 127.0.0.1:9? Check the store URL.\n',
    });
    expect(await readdir(join(fx.home, 'pending')).catch(() => [])).toEqual([]);
  });

  it('status says a refresh token "renews itself", with times in local time', async () => {
    await linkByLoopback();
    const expiresAt = new Date((await credentials()).expiresAt!);
    env = cliEnv(fx.home, { TZ: 'Asia/Kathmandu' });
    const zone = { timeZone: 'Asia/Kathmandu' } as const;
    const day = (d: Date) => d.toLocaleDateString('en-CA', zone);
    const time = expiresAt.toLocaleTimeString('en-GB', { ...zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    // The local date is shown only when the time is not today there.
    const local = day(expiresAt) === day(new Date()) ? time : `${day(expiresAt)} ${time}`;
    const status = await cli(['status']);
    expect(status.stdout.split('\n').slice(0, 3)).toEqual([
      'Profile "default": linked (sandbox)',
      '  Account: Alice Example <alice@example.test> (id alice)',
      `  Token:   renews itself; the access token expires at ${local}`,
    ]);
  });

  it('a damaged record: profiles shows it beside the others; unlink forgets it and says where to revoke by hand', async () => {
    await linkByLoopback('default', 'alice');
    await linkByLoopback('second', 'bob');
    const file = join(fx.home, 'credentials', 'default.json');
    await writeFile(file, '{"version":1,"broken');
    const damaged = `The credentials file ${file} is damaged (not JSON). Unlink the profile and link it again.`;
    const profiles = await cli(['profiles']);
    expect(profiles.code).toBe(0);
    expect(profiles.stdout).toMatch(new RegExp(`^Profile "default": damaged \\(sandbox\\)\\n  Problem: ${escape(damaged)}\\nProfile "second": linked \\(sandbox\\)\\n  Account: Bob Example`));
    expect(JSON.parse((await cli(['profiles', '--json'])).stdout)[0]).toMatchObject({ profile: 'default', linked: false, problem: damaged });
    expect((await cli(['status', '--profile', 'second'])).code).toBe(0);
    expect(await cli(['status'])).toMatchObject({ code: 3, stderr: `authtray: ${damaged}\n` });

    const unlink = await cli(['unlink']);
    expect(unlink).toEqual({
      code: 0,
      stdout: '',
      stderr:
        `warning: Could not revoke the grant at the provider: its credentials could not be read (The credentials file ${file} is damaged (not JSON)). ` +
        `Remove authtray's access by hand in your account settings at ${fx.sandbox.issuer}.\nUnlinked profile "default".\n`,
    });
    expect(await readdir(join(fx.home, 'credentials'))).toEqual(['second.json']);
    expect((await cli(['status'])).code).toBe(1);
    expect((await cli(['token', '--profile', 'second'])).code).toBe(0);
  });

  it('a damaged config entry: the others work; unlink forgets it and deletes its credentials', async () => {
    await linkByLoopback('default', 'alice');
    await linkByLoopback('second', 'bob');
    const path = join(fx.home, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    config.profiles.default.settings = null;
    await writeFile(path, JSON.stringify(config));
    const problem = `The entry of profile "default" in ${path} is damaged (it has no provider settings). Run: authtray unlink --profile default, then link it again.`;
    expect(await cli(['token'])).toMatchObject({ code: 3, stderr: `authtray: ${problem}\n` });
    const profiles = await cli(['profiles']);
    expect(profiles.stdout).toMatch(new RegExp(`^Profile "default": damaged \\(unknown\\)\\n  Problem: ${escape(problem)}\\nProfile "second": linked`));
    const unlink = await cli(['unlink']);
    expect(unlink.stderr).toBe(
      `warning: Could not revoke the grant at the provider: the entry of profile "default" in ${path} is damaged (it has no provider settings). ` +
        `Remove authtray's access by hand in your account settings at the provider.\nUnlinked profile "default".\n`,
    );
    expect(await readdir(join(fx.home, 'credentials'))).toEqual(['second.json']);
    expect((await cli(['status', '--profile', 'second'])).code).toBe(0);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
