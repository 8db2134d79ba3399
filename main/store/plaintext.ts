/**
 * The plain-text fallback: one JSON file per profile, 0600, in a 0700 directory, replaced atomically.
 * Anyone who can read the user's files can read these tokens; `info.secure` says so and the app tells
 * the user.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthtrayError, CredentialStoreError } from '../errors.js';
import { checkPrivateDir, ensurePrivateDir, readPrivateFile, writeFileAtomic } from './atomic.js';
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

  /** Refuses a credentials directory that is a link, another user's, or writable by others (before a link starts). */
  async probe(): Promise<void> {
    await checkPrivateDir(this.dir);
  }

  async load(profile: string): Promise<CredentialRecord | null> {
    const path = this.path(profile);
    let text: string | null;
    try {
      // Never through a link, never in a directory someone else can change (atomic.ts); a loosened
      // file goes back to 0600 as it is read.
      text = (await checkPrivateDir(this.dir)) ? await readPrivateFile(path) : null;
    } catch (err) {
      if (err instanceof AuthtrayError) throw err;
      throw new CredentialStoreError(`Cannot read ${path} (${errno(err)}). Check its permissions.`, { cause: err });
    }
    if (text === null) return null;
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
      if (err instanceof AuthtrayError) throw err;
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
}
