/**
 * The plain-text fallback: one JSON file per profile, 0600, in a 0700 directory, replaced atomically.
 * Anyone who can read the user's files can read these tokens; `info.secure` says so and the app tells
 * the user.
 */
import { chmod, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialStoreError } from '../errors.js';
import { ensurePrivateDir, readFileIfExists, writeFileAtomic } from './atomic.js';
import { assertProfileName } from './profile-name.js';
import { parseCredentialRecord, RecordFormatError, serializeCredentialRecord } from './record.js';
import type { CredentialRecord, CredentialStore, StoreInfo } from './types.js';

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';

export class PlaintextCredentialStore implements CredentialStore {
  readonly info: StoreInfo;

  constructor(readonly dir: string) {
    this.info = { backend: 'plaintext', location: dir, secure: false };
  }

  path(profile: string): string {
    assertProfileName(profile);
    return join(this.dir, `${profile}.json`);
  }

  async load(profile: string): Promise<CredentialRecord | null> {
    const path = this.path(profile);
    let text: string | null;
    try {
      text = await readFileIfExists(path);
    } catch (err) {
      throw new CredentialStoreError(`Cannot read ${path} (${errno(err)}). Check its permissions.`, { cause: err });
    }
    if (text === null) return null;
    await this.#tighten(path);
    try {
      return parseCredentialRecord(text);
    } catch (err) {
      const why = err instanceof RecordFormatError ? err.message : 'unreadable';
      throw new CredentialStoreError(`The credentials file ${path} is damaged (${why}). Unlink the profile and link it again.`);
    }
  }

  async save(profile: string, record: CredentialRecord): Promise<void> {
    const path = this.path(profile);
    try {
      await ensurePrivateDir(this.dir);
      await writeFileAtomic(path, serializeCredentialRecord(record));
    } catch (err) {
      throw new CredentialStoreError(`Cannot write ${path} (${errno(err)}). Check its permissions and free space.`, { cause: err });
    }
  }

  async delete(profile: string): Promise<void> {
    const path = this.path(profile);
    try {
      await rm(path, { force: true });
    } catch (err) {
      throw new CredentialStoreError(`Cannot delete ${path} (${errno(err)}). Remove it by hand.`, { cause: err });
    }
  }

  /** A file someone loosened (a restore from backup, a copy) goes back to 0600 when read. */
  async #tighten(path: string): Promise<void> {
    if (process.platform === 'win32') return;
    try {
      if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    } catch {
      // Not ours to fix (another owner): reading worked, so go on.
    }
  }
}
