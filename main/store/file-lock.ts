/**
 * The refresh lock for stores that live on one machine (the keyring, the plain-text files): a lock
 * file per profile beside the config, shared by the app, CLI runs and scripts. Whoever holds it
 * refreshes; the others wait, then read the record again and find the new token.
 */
import { join } from 'node:path';
import { CredentialStoreError } from '../errors.js';
import { ensurePrivateDir } from './atomic.js';
import { assertProfileName } from './profile-name.js';
import type { RefreshLock } from './types.js';

export interface FileLockOptions {
  /** Give up waiting after this long (a refresh is one HTTP request; this is generous). */
  waitMs?: number;
  /** A lock not touched for this long belongs to a dead process and is taken over. */
  staleMs?: number;
}

export class FileRefreshLock implements RefreshLock {
  readonly #waitMs: number;
  readonly #staleMs: number;

  constructor(
    readonly dir: string,
    options: FileLockOptions = {},
  ) {
    this.#waitMs = options.waitMs ?? 60_000;
    this.#staleMs = options.staleMs ?? 20_000;
  }

  async withLock<T>(profile: string, fn: () => Promise<T>): Promise<T> {
    assertProfileName(profile);
    await ensurePrivateDir(this.dir);
    // proper-lockfile: mkdir-based, works on every OS and network file systems, detects stale locks.
    const { default: lockfile } = await import('proper-lockfile');
    const target = join(this.dir, profile);
    const deadline = Date.now() + this.#waitMs;
    let release: () => Promise<void>;
    for (;;) {
      try {
        release = await lockfile.lock(target, {
          realpath: false,
          stale: this.#staleMs,
          // The holder's own fn() is protected by the re-read under the lock; nothing to undo here.
          onCompromised: () => {},
        });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
          throw new CredentialStoreError(`Cannot take the refresh lock in ${this.dir} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`, { cause: err });
        }
        if (Date.now() >= deadline) {
          throw new CredentialStoreError(`Another authtray process has been refreshing profile "${profile}" for over ${Math.round(this.#waitMs / 1000)} s. Try again; if it persists, remove ${target}.lock.`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
      }
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => {});
    }
  }
}
