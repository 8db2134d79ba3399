/**
 * Pending authorizations: what a link attempt must remember between the authorization URL and the
 * code (python-oauth2's auth-code store, Dropbox's CSRF token in the session). Kept outside the
 * process so a second CLI run, or the app after its window was closed, can finish the link.
 */
import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProfileSettings, RedirectMode } from '../model.js';
import { assertProfileName, isProfileName } from './profile-name.js';
import { ensurePrivateDir, readPrivateFile, writeFileAtomic } from './atomic.js';
import { withFileLock } from './file-lock.js';

/** How long a link attempt stays open (SECURITY.md: about 10 minutes). */
export const PENDING_TTL_MS = 10 * 60_000;

export interface PendingAuthorization {
  readonly profile: string;
  /** The settings the link was started with; saved to the config only when the link succeeds. */
  readonly settings: ProfileSettings;
  readonly state: string;
  /** PKCE verifier; null for providers without PKCE. */
  readonly codeVerifier: string | null;
  /** OpenID Connect: the nonce sent with a request for `openid`, checked in the ID token. Absent otherwise. */
  readonly nonce?: string | undefined;
  /** The redirect_uri sent, or null when none was (Dropbox's code-display flow). */
  readonly redirectUri: string | null;
  readonly mode: RedirectMode;
  /** The credential backend chosen when the link started (see backends.ts). */
  readonly backend?: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface PendingStore {
  get(profile: string): Promise<PendingAuthorization | null>;
  put(pending: PendingAuthorization): Promise<void>;
  /** Forgets the profile's pending authorization; with `state`, only if it is still that attempt's. */
  delete(profile: string, state?: string): Promise<void>;
  /** Profiles with a pending authorization (expired ones included); the app lists links in progress. */
  list?(): Promise<string[]>;
}

export class MemoryPendingStore implements PendingStore {
  readonly #items = new Map<string, PendingAuthorization>();
  async get(profile: string) {
    return this.#items.get(profile) ?? null;
  }
  async put(pending: PendingAuthorization) {
    this.#items.set(pending.profile, structuredClone(pending));
  }
  async delete(profile: string, state?: string) {
    if (state === undefined || this.#items.get(profile)?.state === state) this.#items.delete(profile);
  }
  async list() {
    return [...this.#items.keys()];
  }
}

/**
 * One 0600 file per profile in a 0700 directory. The verifier is a short-lived secret of its own:
 * it is useless without the code, and the file is deleted when the link finishes or is replaced.
 * Changes take the profile's pending lock (in the `locks` folder beside `dir`): a link finishing in
 * one process never deletes the attempt another process has just started.
 */
export class FilePendingStore implements PendingStore {
  constructor(readonly dir: string) {}

  #locked<T>(profile: string, fn: () => Promise<T>): Promise<T> {
    // `+` is not allowed in profile names: no refresh lock is called so.
    return withFileLock(join(dirname(this.dir), 'locks'), `pending+${profile}`, { waitMs: 30_000, what: `the link of profile "${profile}"` }, fn);
  }

  #path(profile: string) {
    assertProfileName(profile);
    return join(this.dir, `${profile}.json`);
  }

  async get(profile: string): Promise<PendingAuthorization | null> {
    const text = await readPrivateFile(this.#path(profile));
    if (text === null) return null;
    // zod loads only here: `authtray token` never reads a pending link, and starts without it.
    const { parsePendingAuthorization } = await import('./schemas.js');
    try {
      const value = parsePendingAuthorization(JSON.parse(text)) as PendingAuthorization | null;
      if (value?.profile !== profile) return null;
      return value;
    } catch {
      // A damaged pending file is the same as none: the user starts the link again.
      return null;
    }
  }

  async put(pending: PendingAuthorization): Promise<void> {
    const path = this.#path(pending.profile);
    await ensurePrivateDir(this.dir);
    await this.#locked(pending.profile, () => writeFileAtomic(path, JSON.stringify(pending)));
  }

  async delete(profile: string, state?: string): Promise<void> {
    const path = this.#path(profile);
    await this.#locked(profile, async () => {
      if (state !== undefined && (await this.get(profile))?.state !== state) return;
      await rm(path, { force: true });
    });
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // Temp files of an atomic write end differently; anything that is not a valid name is not ours.
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).filter((n) => isProfileName(n));
  }
}
