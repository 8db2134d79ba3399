/**
 * The non-secret configuration: one entry per linked profile with its provider settings, the
 * account's display data, the credential backend chosen at link time, and the relink flag.
 * Secrets never come here (SECURITY.md); they live in the profile's credential record.
 */
import { join } from 'node:path';
import { AuthtrayError, ConfigFileError, CredentialStoreError } from '../errors.js';
import type { ConfigData } from '../model.js';
import { checkPrivateDir, ensurePrivateDir, readPrivateFile, writeFileAtomic } from './atomic.js';
import { withFileLock } from './file-lock.js';

export type { ConfigData, ProfileConfig } from '../model.js';

export { authtrayHome } from './home.js';

/** The config lock's name: `+` is not allowed in profile names, so no profile's refresh lock is called so. */
const CONFIG_LOCK = '+config';

const empty = (): ConfigData => ({ version: 1, profiles: {} });

/** The rules of schemas.ts's `configSchema`, checked by hand (no zod on `authtray token`'s path). */
export function isConfigShape(value: unknown): value is ConfigData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { version, profiles } = value as { version?: unknown; profiles?: unknown };
  return version === 1 && typeof profiles === 'object' && profiles !== null && !Array.isArray(profiles);
}

export class ConfigFile {
  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, 'config.json');
  }

  async read(): Promise<ConfigData> {
    let text: string | null;
    try {
      // AUTHTRAY_HOME itself: a real directory of this user's that no one else can write.
      if (!(await checkPrivateDir(this.dir))) return empty();
      text = await readPrivateFile(this.path);
    } catch (err) {
      if (err instanceof AuthtrayError) throw err;
      throw new CredentialStoreError(`Cannot read ${this.path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`, { cause: err });
    }
    if (text === null) return empty();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new ConfigFileError(this.path, `it is not valid JSON (${(err as Error).message})`, { cause: err });
    }
    if (isConfigShape(data)) return data;
    // Only a file that fails the quick check pays for zod, to say what is wrong.
    const { configProblem } = await import('./schemas.js');
    throw new ConfigFileError(this.path, configProblem(data) ?? 'it does not have the shape authtray writes');
  }

  /**
   * Reads, applies `change`, writes atomically; returns what was written. Under the config lock, so
   * writers in other processes (the app, other CLI runs) never overwrite each other's changes.
   */
  async update(change: (data: ConfigData) => void): Promise<ConfigData> {
    try {
      await ensurePrivateDir(this.dir);
    } catch (err) {
      throw this.#writeError(err);
    }
    return withFileLock(join(this.dir, 'locks'), CONFIG_LOCK, { waitMs: 30_000, what: `the config file ${this.path}` }, async () => {
      const data = await this.read();
      change(data);
      try {
        await writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
      } catch (err) {
        throw this.#writeError(err);
      }
      return data;
    });
  }

  #writeError(err: unknown): AuthtrayError {
    if (err instanceof AuthtrayError) return err;
    return new CredentialStoreError(`Cannot write ${this.path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions and free space.`, { cause: err });
  }
}
