/**
 * Shared set-up for tests that need the sandbox provider and a private authtray home: a sandbox per
 * file (restartable on its port, as after an outage), a fresh home per test, and small helpers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { Accounts } from '../../main/accounts.js';
import { AppService, type AppServiceOptions } from '../../main/app/service.js';
import type { ProfileSettings } from '../../main/auth/providers/index.js';
import { AuthtrayError } from '../../main/errors.js';
import { PlaintextCredentialStore } from '../../main/store/plaintext.js';
import type { CredentialRecord } from '../../main/store/types.js';
import { SANDBOX_CLIENTS, startSandbox, type Sandbox } from '../sandbox/provider.js';

export interface SandboxFixture {
  readonly sandbox: Sandbox;
  /** AUTHTRAY_HOME of this test. */
  readonly home: string;
  /** Another folder, for files the test writes itself (settings files), outside what is scanned under home. */
  readonly elsewhere: string;
  /** Stops the sandbox (the provider is down) and returns a function that starts it again on its port. */
  outage(): Promise<() => Promise<void>>;
}

/**
 * Registers hooks: one sandbox for the file, a fresh home (and a folder beside it) for each test,
 * the sandbox's counters reset before each. The file's own afterEach hooks run first (vitest runs
 * them as a stack), so they can still look at home.
 */
export function useSandbox(): SandboxFixture {
  let sandbox: Sandbox;
  let dataDir: string;
  let home: string;
  let elsewhere: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'authtray-sandbox-'));
    sandbox = await startSandbox({ dataDir });
  });
  afterAll(async () => {
    await sandbox?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'authtray-home-'));
    elsewhere = await mkdtemp(join(tmpdir(), 'authtray-files-'));
    sandbox.stats.reset();
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(elsewhere, { recursive: true, force: true });
  });
  return {
    get sandbox() {
      return sandbox;
    },
    get home() {
      return home;
    },
    get elsewhere() {
      return elsewhere;
    },
    async outage() {
      const port = sandbox.port;
      await sandbox.close();
      return async () => {
        sandbox = await startSandbox({ port, dataDir });
      };
    },
  };
}

/** The sandbox's native client, as `--provider sandbox` makes it. */
export const sandboxSettings = (issuer: string): ProfileSettings => ({ provider: 'oidc', clientId: SANDBOX_CLIENTS.native.clientId, issuer, sandbox: true });

/** The credential record the plain-text store keeps for `profile` under `home`. */
export async function storedRecord(home: string, profile: string): Promise<CredentialRecord> {
  const record = await new PlaintextCredentialStore(join(home, 'credentials')).load(profile);
  if (!record) throw new Error(`no credentials stored for ${profile}`);
  return record;
}

/** The user revokes the app at the provider: the refresh token dies there. */
export async function revokeAtProvider(issuer: string, token: string, clientId: string = SANDBOX_CLIENTS.native.clientId): Promise<void> {
  const response = await fetch(`${issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: clientId }),
  });
  if (!response.ok) throw new Error(`revocation answered HTTP ${response.status}`);
}

/** Awaits `promise` and expects an AuthtrayError with `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<AuthtrayError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected an error with code ${code}`).toBeInstanceOf(AuthtrayError);
  expect((err as AuthtrayError).code).toBe(code);
  return err as AuthtrayError;
}

/** Resolves when `predicate` holds, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The browser's and the clipboard's side of an app service under test: what it was asked to open or copy. */
export interface RecordedDesktop {
  service: AppService;
  opened: string[];
  copied: string[];
}

/** An app service as run from source (the sandbox offered, its http page openable), recording the desktop calls. */
export function sandboxAppService(
  accounts: Accounts,
  issuer: string,
  options: { allowLoopbackHttp?: boolean; changeDelayMs?: number; watch?: AppServiceOptions['watch']; settings?: AppServiceOptions['settings']; consent?: AppServiceOptions['consent'] } = {},
): RecordedDesktop {
  const opened: string[] = [];
  const copied: string[] = [];
  const service = new AppService({
    accounts,
    sandbox: { issuer, clientId: SANDBOX_CLIENTS.native.clientId },
    allowLoopbackHttp: options.allowLoopbackHttp ?? true,
    openExternal: async (url) => void opened.push(url),
    copyText: (text) => void copied.push(text),
    changeDelayMs: options.changeDelayMs,
    watch: options.watch,
    settings: options.settings,
    consent: options.consent,
  });
  return { service, opened, copied };
}
