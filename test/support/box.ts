/** Helpers for the Box tests: the sandbox's Box endpoints, settings files as the Box console writes them, typed-error checks. */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EndpointOverrides } from '../../main/auth/providers/index.js';
import type { Sandbox } from '../sandbox/provider.js';

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


export { expectCode, useSandbox, type SandboxFixture as SandboxContext } from './fixtures.js';
