/**
 * The conformance suite every third-party authorization server goes through, through the real
 * `authtray` command: link by loopback and by paste, status, token, refresh (rotating where the
 * server rotates), 8 processes × 100 callers at expiry making one refresh, unlink with its
 * revocation outcome. One server per test file, started once; each test links its own profile.
 *
 * Use it from a test file:
 *   describeConformance({ start: () => startGlewlwyd(), rotates: true, unlink: { ... } });
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PlaintextCredentialStore } from '../../../main/store/plaintext.js';
import type { CredentialRecord } from '../../../main/store/types.js';
import { cliEnv, runCli, startCli, tempHome, type CliResult } from '../cli.js';
import { refreshStorm } from '../storm.js';
import type { ThirdPartyServer } from './server.js';

export interface ConformanceOptions {
  start(): Promise<ThirdPartyServer>;
  /** Extra `link` arguments a person needs for this server beyond provider, issuer and client id. */
  linkArgs?(server: ThirdPartyServer): string[];
  /** The server hands out a new refresh token on every refresh and refuses the old one. */
  rotates: boolean;
  /**
   * What `unlink` must say on stderr, word for word, and whether the grant is then dead at the
   * server; `title` names what the server does (and the standard's section where it departs).
   */
  unlink: { title: string; stderr(profile: string): string; revoked: boolean };
  /** The refresh token is still accepted by the server (a refresh with it succeeds). */
  refreshTokenWorks(server: ThirdPartyServer, refreshToken: string): Promise<boolean>;
}

export interface Conformance {
  server(): ThirdPartyServer;
  home(): string;
  env(): NodeJS.ProcessEnv;
  cli(args: string[], input?: string): Promise<CliResult>;
  linkByLoopback(profile: string): Promise<CliResult>;
  record(profile: string): Promise<CredentialRecord>;
  expire(profile: string): Promise<CredentialRecord>;
}

export function describeConformance(options: ConformanceOptions): Conformance {
  let server: ThirdPartyServer;
  let home: { dir: string; cleanup: () => Promise<void> };
  let env: NodeJS.ProcessEnv;
  const store = () => new PlaintextCredentialStore(join(home.dir, 'credentials'));
  /** Everything the command printed, but `token`'s stdout: no secret may be in it. */
  let printed: string[] = [];
  const seenSecrets = new Set<string>();

  beforeAll(async () => {
    home = await tempHome();
    env = cliEnv(home.dir, { AUTHTRAY_STORE: 'plaintext' });
    server = await options.start();
    // Start-up time, for the README matrix and the report: it is measured, never asserted.
    console.info(`${server.name} started and configured in ${server.startupMs} ms`);
  }, 60_000);
  afterEach(async () => {
    for (const file of await readdir(join(home.dir, 'credentials')).catch(() => [])) {
      const found = await store().load(file.replace(/\.json$/, ''));
      for (const secret of [found?.accessToken, found?.refreshToken]) if (secret) seenSecrets.add(secret);
    }
    const config = await readFile(join(home.dir, 'config.json'), 'utf8').catch(() => '');
    for (const secret of seenSecrets) {
      for (const text of [...printed, config]) expect(text.includes(secret), 'a token was printed or written to the config').toBe(false);
    }
    printed = [];
  });
  afterAll(async () => {
    await server?.stop();
    await home?.cleanup();
  });

  const cli = async (args: string[], input = '') => {
    const result = await runCli(args, env, input);
    printed.push(result.stderr);
    if (args[0] !== 'token') printed.push(result.stdout);
    return result;
  };
  const linkCommand = (profile: string, extra: string[]) => [
    'link', '--profile', profile, '--provider', 'oidc', '--issuer', server.issuer, '--client-id', server.clientId, '--no-browser',
    ...extra,
  ];
  const record = async (profile: string) => {
    const found = await store().load(profile);
    if (!found) throw new Error(`no credentials stored for ${profile}`);
    return found;
  };
  const expire = async (profile: string) => {
    const before = await record(profile);
    await store().save(profile, { ...before, expiresAt: Date.now() - 1000 });
    return before;
  };

  /** The default link: no endpoint overrides, no --scope; only what the server's rules need. */
  async function linkByLoopback(profile: string): Promise<CliResult> {
    const run = startCli(linkCommand(profile, options.linkArgs?.(server) ?? []), env);
    const url = await run.waitForLine(/^http/);
    const redirect = await server.approve(url);
    // The browser follows the redirect to authtray's loopback listener.
    const page = await fetch(redirect, { redirect: 'manual' });
    await page.text();
    const result = await run.result;
    printed.push(result.stdout, result.stderr);
    expect(result.stderr).toContain('Linked: ');
    expect(result.code, result.stderr).toBe(0);
    expect(page.status).toBe(200);
    return result;
  }

  describe('conformance', () => {
    it('links by loopback (the default link); status shows the account; 4 token calls right after make no refresh', async () => {
      const result = await linkByLoopback('loopback');
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      const status = await cli(['status', '--profile', 'loopback', '--json']);
      expect(status.code).toBe(0);
      const parsed = JSON.parse(status.stdout);
      expect(parsed).toMatchObject({ profile: 'loopback', provider: 'oidc', linked: true, needsRelink: false });
      expect(parsed.token.expiresAt).toBeTruthy();
      expect(parsed.account.id).toBeTruthy();

      const stored = await record('loopback');
      const before = await server.tokenRequests();
      for (let i = 0; i < 4; i++) {
        const token = await cli(['token', '--profile', 'loopback']);
        expect(token.code, token.stderr).toBe(0);
        expect(token.stdout).toBe(`${stored.accessToken}\n`);
      }
      expect((await server.tokenRequests()) - before).toBe(0);
    });

    it('links by paste: the redirect URL typed on stdin', async () => {
      const run = startCli(linkCommand('paste', ['--redirect', 'paste']), env);
      const url = await run.waitForLine(/^http/);
      expect(new URL(url).searchParams.get('redirect_uri')).toBe('http://127.0.0.1/callback');
      run.child.stdin.end(`${await server.approve(url)}\n`);
      const result = await run.result;
      printed.push(result.stdout, result.stderr);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('Linked: ');
      expect((await cli(['status', '--profile', 'paste'])).code).toBe(0);
    });

    it(options.rotates ? 'refresh at expiry: a new access token and a new refresh token; the old one is refused' : 'refresh at expiry: a new access token', async () => {
      await linkByLoopback('refresh');
      const before = await expire('refresh');
      const requests = await server.tokenRequests();
      const token = await cli(['token', '--profile', 'refresh']);
      expect(token.code, token.stderr).toBe(0);
      const after = await record('refresh');
      expect(token.stdout).toBe(`${after.accessToken}\n`);
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(after.expiresAt).toBeGreaterThan(Date.now());
      expect((await server.tokenRequests()) - requests).toBe(1);
      if (options.rotates) {
        expect(after.refreshToken).not.toBe(before.refreshToken);
        expect(await options.refreshTokenWorks(server, before.refreshToken!)).toBe(false);
      }
      // And the refreshed token is then reused, not refreshed again.
      const settled = await server.tokenRequests();
      expect((await cli(['token', '--profile', 'refresh'])).stdout).toBe(`${after.accessToken}\n`);
      expect(await server.tokenRequests()).toBe(settled);
    });

    it('8 processes × 100 callers at expiry make one refresh, and every caller gets the new token', async () => {
      await linkByLoopback('storm');
      const before = await expire('storm');
      const requests = await server.tokenRequests();
      const result = await refreshStorm({ processes: 8, callers: 100, profile: 'storm', envs: [env] });
      expect(result.errors).toEqual([]);
      expect((await server.tokenRequests()) - requests).toBe(1);
      const after = await record('storm');
      expect(after.accessToken).not.toBe(before.accessToken);
      expect(new Set(result.tokens)).toEqual(new Set([after.accessToken]));
      expect(result.tokens).toHaveLength(800);
    }, 60_000);

    it(`unlink, ${options.unlink.title}: it says what happened to the grant and deletes the local credentials`, async () => {
      await linkByLoopback('unlink');
      const linked = await record('unlink');
      const result = await cli(['unlink', '--profile', 'unlink']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(options.unlink.stderr('unlink'));
      expect(await options.refreshTokenWorks(server, linked.refreshToken!)).toBe(!options.unlink.revoked);
      expect(await store().load('unlink')).toBeNull();
      expect((await cli(['status', '--profile', 'unlink'])).code).toBe(1);
    });
  });

  return { server: () => server, home: () => home.dir, env: () => env, cli, linkByLoopback, record, expire };
}

/** Whether the server still accepts `refreshToken` from a public client (a real refresh: use only on tokens that are done with). */
export async function refreshTokenAccepted(tokenEndpoint: string, clientId: string, refreshToken: string): Promise<boolean> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }),
  });
  await response.text();
  return response.status === 200;
}
