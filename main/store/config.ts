/**
 * The non-secret configuration: one entry per linked profile with its provider settings, the
 * account's display data, the credential backend chosen at link time, and the relink flag.
 * Secrets never come here (SECURITY.md); they live in the profile's credential record.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CredentialStoreError } from '../errors.js';
import type { ConfigData } from '../model.js';
import { ensurePrivateDir, readFileIfExists, writeFileAtomic } from './atomic.js';

export type { ConfigData, ProfileConfig } from '../model.js';

/** Where config and file stores live: `AUTHTRAY_HOME`, else the OS's per-user config directory. */
export function authtrayHome(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.AUTHTRAY_HOME) return env.AUTHTRAY_HOME;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'authtray');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'authtray');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'authtray');
}

const empty = (): ConfigData => ({ version: 1, profiles: {} });

export class ConfigFile {
  constructor(readonly dir: string) {}

  get path(): string {
    return join(this.dir, 'config.json');
  }

  async read(): Promise<ConfigData> {
    let text: string | null;
    try {
      text = await readFileIfExists(this.path);
    } catch (err) {
      throw new CredentialStoreError(`Cannot read ${this.path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`, { cause: err });
    }
    if (text === null) return empty();
    try {
      const data = JSON.parse(text) as ConfigData;
      if (data?.version !== 1 || typeof data.profiles !== 'object' || data.profiles === null) throw new Error('unknown shape');
      return data;
    } catch (err) {
      throw new CredentialStoreError(`The config file ${this.path} is damaged. Fix or remove it, then link again.`, { cause: err });
    }
  }

  /** Reads, applies `change`, writes atomically; returns what was written. */
  async update(change: (data: ConfigData) => void): Promise<ConfigData> {
    const data = await this.read();
    change(data);
    try {
      await ensurePrivateDir(this.dir);
      await writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`);
    } catch (err) {
      throw new CredentialStoreError(`Cannot write ${this.path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions and free space.`, { cause: err });
    }
    return data;
  }
}
