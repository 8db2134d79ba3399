/** Helpers for the Box tests: the sandbox's Box endpoints, settings files as the Box console writes them, typed-error checks. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { AuthtrayError } from '../../main/errors.js';
import type { EndpointOverrides } from '../../main/auth/providers.js';
import { startSandbox, type Sandbox } from '../sandbox/provider.js';

/** Box's API on the sandbox; the token and revoke URLs follow it (`/box/oauth2/token`, `/box/oauth2/revoke`). */
export const boxEndpoints = (sandbox: Sandbox): EndpointOverrides => ({ api: `${sandbox.issuer}/box/` });

/** A file URL of Box's API on the sandbox, for downscoping to one item. */
export const boxFileUrl = (sandbox: Sandbox, id: string) => `${sandbox.issuer}/box/2.0/files/${id}`;

/** The Box console's settings, loosened so that tests can break them. */
export interface LooseBoxSettings {
  boxAppSettings?: { clientID?: unknown; clientSecret?: unknown; appAuth?: { publicKeyID?: unknown; privateKey?: unknown; passphrase?: unknown } };
  enterpriseID?: unknown;
}

/** Writes the Box console's settings JSON for the sandbox's JWT app; `edit` may change it first. */
export async function writeBoxSettings(dir: string, sandbox: Sandbox, passphrase: string, edit: (settings: LooseBoxSettings) => void = () => {}): Promise<string> {
  const settings: LooseBoxSettings = sandbox.boxJwt.settings(passphrase);
  edit(settings);
  const path = join(dir, `box-settings-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(settings, null, 2), { mode: 0o600 });
  return path;
}

/** An RSA key the sandbox has never seen (a "wrong key"). */
export function strangerKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The base64 body of a PEM: what a leaked key would show, whatever its line breaks. */
export const pemBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

/** Awaits `promise`, expects an AuthtrayError with `code`, returns it. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<AuthtrayError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected an error with code ${code}`).toBeInstanceOf(AuthtrayError);
  expect((err as AuthtrayError).code, (err as Error).message).toBe(code);
  return err as AuthtrayError;
}

/** What a test file's hooks set up: one sandbox for the file; a fresh home and a settings folder per test. */
export interface SandboxContext {
  sandbox: Sandbox;
  /** AUTHTRAY_HOME of this test. */
  home: string;
  /** Another folder, for files the test writes itself (settings files), outside what is scanned under home. */
  elsewhere: string;
}

/**
 * Registers the hooks that start and stop the sandbox, make and remove the folders, and reset the
 * sandbox's counters before each test. The file's own afterEach hooks run first (vitest runs them
 * as a stack), so they can still look at home.
 */
export function useSandbox(): SandboxContext {
  const context = {} as SandboxContext;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'authtray-sandbox-'));
    context.sandbox = await startSandbox({ dataDir });
  });
  afterAll(async () => {
    await context.sandbox?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    context.home = await mkdtemp(join(tmpdir(), 'authtray-home-'));
    context.elsewhere = await mkdtemp(join(tmpdir(), 'authtray-files-'));
    context.sandbox.stats.reset();
  });
  afterEach(async () => {
    await rm(context.home, { recursive: true, force: true });
    await rm(context.elsewhere, { recursive: true, force: true });
  });
  return context;
}
