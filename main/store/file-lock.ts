/**
 * Locks in files that know their holder (lock-holder.ts), for everything local to one machine that several processes
 * (the app, CLI runs, scripts) change: the refresh of a profile kept in the keyring or plain text, the
 * config file, the pending links, the keyring's call slots.
 *
 * A lock is a file `NAME.lock` holding its holder: process id, host name, boot id and the process's
 * start time. It is created complete in one step (written to a temporary file, then hard-linked to
 * its name: `link` fails when the name exists). A waiter that finds the holder gone — same host and
 * boot, and no such process any more (or another process under a reused id) — takes the lock over at
 * once. A holder that lives is never taken over, however slow it is or however long its event loop is
 * blocked: liveness decides, not the file's age. A holder on another host (a home on a network file
 * system) cannot be seen; it is waited for. Every wait is bounded, and an expired wait says who holds
 * the lock and what to do.
 *
 * No library does this: proper-lockfile (used before) decides by the lock's age, which a live holder
 * with a blocked event loop loses to a waiter (the issue 12 storm: 42 refreshes instead of one).
 */
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CredentialStoreError } from '../errors.js';
import { ensurePrivateDir } from './atomic.js';
import { describeHolder, holderIsGone, parseHolder, thisHolder, type LockHolder } from './lock-holder.js';
import { assertProfileName } from './profile-name.js';
import type { RefreshLock } from './types.js';

export interface LockWait {
  /** Give up waiting after this long. */
  waitMs: number;
  /** What the lock guards, for messages ("the refresh of profile \"work\""). */
  what: string;
  /** Called once when the wait has lasted `noticeAfterMs` (default 3 s), with the holder. */
  onWait?: ((holder: LockHolder | null) => void) | undefined;
  noticeAfterMs?: number | undefined;
}

let counter = 0;
/** A name part no other process or call uses. (No crypto: it is slow to load, and `token` starts here.) */
const unique = () => `${Date.now().toString(36)}${(++counter).toString(36)}${Math.random().toString(36).slice(2, 10)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';

/** One lock file. `tryAcquire` never waits; `acquire` waits as {@link LockWait} says. */
export class FileLock {
  readonly path: string;
  #text: string | null = null;

  constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    this.path = join(dir, `${name}.lock`);
  }

  /**
   * Takes the lock if it is free or its holder is gone; returns null then, else the live holder (or
   * null holder text: `{ busy: null }` while a lock is being written).
   */
  async tryAcquire(): Promise<{ busy: LockHolder | null } | null> {
    const text = `${JSON.stringify({ ...thisHolder(), nonce: unique(), since: new Date().toISOString() })}\n`;
    const temp = join(this.dir, `.${this.name}.${process.pid}.${unique()}.tmp`);
    for (let attempt = 0; attempt < 5; attempt++) {
      // Look first (one read): a crowd of waiters polling a held lock writes nothing.
      const current = await this.#holderText();
      if (current !== null) {
        const holder = parseHolder(current);
        if (!holder || !holderIsGone(holder)) return { busy: holder };
        await this.#breakLock(current);
        continue;
      }
      await writeFile(temp, text, { flag: 'wx', mode: 0o600 });
      try {
        await link(temp, this.path);
        this.#text = text;
        return null;
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err;
      } finally {
        await rm(temp, { force: true });
      }
      const seen = await this.#holderText();
      if (seen === null) continue; // released meanwhile: try again
      const holder = parseHolder(seen);
      if (holder && holderIsGone(holder)) {
        await this.#breakLock(seen);
        continue;
      }
      return { busy: holder };
    }
    return { busy: null };
  }

  /** The lock file's text, or null when there is none. */
  async #holderText(): Promise<string | null> {
    return readFile(this.path, 'utf8').catch((err: unknown) => {
      if (errno(err) === 'ENOENT') return null;
      throw err;
    });
  }

  /**
   * Removes a dead holder's lock, unless it changed meanwhile: moved aside first (one step, so two
   * waiters that both saw the dead holder cannot both remove it), then compared, and put back when
   * it is not the one seen (a new holder took it in between).
   */
  async #breakLock(seen: string): Promise<void> {
    const aside = join(this.dir, `.${this.name}.dead.${process.pid}.${unique()}`);
    try {
      await rename(this.path, aside);
    } catch (err) {
      if (errno(err) === 'ENOENT') return;
      throw err;
    }
    const moved = await readFile(aside, 'utf8').catch(() => null);
    if (moved !== seen) await link(aside, this.path).catch(() => {});
    await rm(aside, { force: true });
  }

  async acquire(wait: LockWait): Promise<void> {
    const started = Date.now();
    const noticeAt = started + (wait.noticeAfterMs ?? 3_000);
    let noticed = false;
    for (let delay = 5; ; delay = Math.min(delay * 2, 250)) {
      let result: { busy: LockHolder | null } | null;
      try {
        result = await this.tryAcquire();
      } catch (err) {
        throw new CredentialStoreError(`Cannot take the lock ${this.path} for ${wait.what} (${errno(err)}). Check the permissions of ${this.dir}.`, { cause: err });
      }
      if (result === null) return;
      const now = Date.now();
      if (now - started >= wait.waitMs) {
        throw new CredentialStoreError(
          `${capitalize(describeHolder(result.busy))} has held the lock for ${wait.what} for over ${Math.round(wait.waitMs / 1000)} s and is still running. ` +
            `Wait for it to finish or stop it; if no authtray process is running, delete ${this.path}.`,
        );
      }
      if (!noticed && now >= noticeAt) {
        noticed = true;
        wait.onWait?.(result.busy);
      }
      await sleep(delay * (0.5 + Math.random()));
    }
  }

  /** Removes the lock if it is still this one's. */
  async release(): Promise<void> {
    const mine = this.#text;
    this.#text = null;
    if (mine === null) return;
    const seen = await readFile(this.path, 'utf8').catch(() => null);
    if (seen === mine) await rm(this.path, { force: true });
  }
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Runs `fn` holding the lock `name` in `dir` (created private if missing). */
async function ensureLockDir(dir: string, what: string): Promise<void> {
  try {
    await ensurePrivateDir(dir);
  } catch (err) {
    if (err instanceof CredentialStoreError) throw err;
    throw new CredentialStoreError(`Cannot create ${dir} for the lock of ${what} (${errno(err)}). Check its permissions.`, { cause: err });
  }
}

export async function withFileLock<T>(dir: string, name: string, wait: LockWait, fn: () => Promise<T>): Promise<T> {
  await ensureLockDir(dir, wait.what);
  const lock = new FileLock(dir, name);
  await lock.acquire(wait);
  try {
    return await fn();
  } finally {
    await lock.release().catch(() => {});
  }
}

/**
 * A semaphore of `count` lock files (`PREFIXn.lock`): runs `fn` holding any one of them, so at most
 * `count` processes on this machine do it at once. Slots of dead holders are taken over like locks.
 */
export async function withFileSlot<T>(dir: string, prefix: string, count: number, wait: LockWait, fn: () => Promise<T>): Promise<T> {
  await ensureLockDir(dir, wait.what);
  const started = Date.now();
  const first = process.pid % count; // spread the first tries
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    for (let i = 0; i < count; i++) {
      const slot = new FileLock(dir, `${prefix}${(first + i) % count}`);
      let busy;
      try {
        busy = await slot.tryAcquire();
      } catch (err) {
        throw new CredentialStoreError(`Cannot take a slot in ${dir} for ${wait.what} (${errno(err)}). Check the permissions of ${dir}.`, { cause: err });
      }
      if (busy !== null) continue;
      try {
        return await fn();
      } finally {
        await slot.release().catch(() => {});
      }
    }
    if (Date.now() - started >= wait.waitMs) {
      throw new CredentialStoreError(
        `Other authtray processes have kept all ${count} slots for ${wait.what} busy for over ${Math.round(wait.waitMs / 1000)} s. Try again when fewer run at once; if none is running, delete ${join(dir, `${prefix}*.lock`)}.`,
      );
    }
    await sleep(delay * (0.5 + Math.random()));
  }
}

export interface FileLockOptions {
  /** Give up waiting after this long (a refresh is one HTTP request; this is generous). */
  waitMs?: number;
  /** Told once when a wait lasts a few seconds: who is being waited for. */
  onWait?: (message: string) => void;
}

/**
 * The refresh lock for stores that live on one machine (the keyring, the plain-text files): a lock
 * file per profile beside the config. Whoever holds it refreshes; the others wait, then read the
 * record again and find the new token.
 */
export class FileRefreshLock implements RefreshLock {
  readonly #waitMs: number;
  readonly #onWait: ((message: string) => void) | undefined;

  constructor(
    readonly dir: string,
    options: FileLockOptions = {},
  ) {
    this.#waitMs = options.waitMs ?? 60_000;
    this.#onWait = options.onWait;
  }

  async withLock<T>(profile: string, fn: () => Promise<T>, recheck?: () => Promise<T | undefined>): Promise<T> {
    assertProfileName(profile);
    const what = `the refresh of profile "${profile}"`;
    const onWait = this.#onWait && ((holder: LockHolder | null) => this.#onWait!(`Waiting for ${describeHolder(holder)}, which is refreshing profile "${profile}".`));
    const wait = { waitMs: this.#waitMs, what, onWait };
    if (recheck) {
      await ensureLockDir(this.dir, what);
      const lock = new FileLock(this.dir, profile);
      let busy;
      try {
        busy = await lock.tryAcquire();
      } catch (err) {
        throw new CredentialStoreError(`Cannot take the lock ${lock.path} for ${what} (${errno(err)}). Check the permissions of ${this.dir}.`, { cause: err });
      }
      if (busy === null) {
        try {
          return await fn();
        } finally {
          await lock.release().catch(() => {});
        }
      }
      // Someone else is refreshing: wait until they are done, then look at what they stored.
      await lock.acquire(wait);
      await lock.release();
      const value = await recheck();
      if (value !== undefined) return value;
    }
    return withFileLock(this.dir, profile, wait, fn);
  }
}
