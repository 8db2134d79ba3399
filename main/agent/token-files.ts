/**
 * Token files, for programs that only read files (Vault Agent's sinks, Kubernetes' projected
 * tokens): one file per profile holding only the current access token, never a refresh token or a
 * secret. Written atomically (0600, temp file and rename) in a private directory, rewritten well
 * before expiry (when less than half the token's lifetime, at most 5 minutes, is left, so a reader
 * always finds a token with that long to live, however slow the refresh), and removed on unlink, on
 * needs-relink and when the agent stops.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuthtrayError, ErrorCodes, UsageError } from '../errors.js';
import type { IssuedToken } from '../auth/session.js';
import { writeFileAtomic } from '../store/atomic.js';
import { directoryProblem } from './private.js';
import { chmodSync, mkdirSync } from 'node:fs';

/** setTimeout's limit is about 24.8 days; a token that lasts longer is looked at again daily. */
const MAX_WAIT_MS = 86_400_000;
/** After a failed refresh (provider down, keyring locked): try again this soon. */
const RETRY_MS = 10_000;
/** A token file is renewed when less than this share of the token's lifetime is left (at most {@link FILE_MARGIN_MAX_MS}). */
const FILE_MARGIN_FRACTION = 0.5;
const FILE_MARGIN_MAX_MS = 5 * 60_000;
/** Failures after which the profile cannot give tokens until something changes, as the log says them. */
const FINAL: Readonly<Record<string, string>> = {
  [ErrorCodes.NEEDS_RELINK]: 'the profile needs to be linked again',
  [ErrorCodes.NOT_LINKED]: 'the profile was unlinked',
  [ErrorCodes.SESSION_CLOSED]: 'the profile was unlinked',
};

/** `NAME=PATH` (or `NAME`, for the default place) from `--token-file`. */
export function parseTokenFileOption(value: string, defaultDir: string): { profile: string; path: string } {
  const eq = value.indexOf('=');
  const profile = eq < 0 ? value : value.slice(0, eq);
  const path = eq < 0 ? `${defaultDir}/${profile}.token` : value.slice(eq + 1);
  if (!profile || !path.startsWith('/')) throw new UsageError(`--token-file takes PROFILE=ABSOLUTE_PATH (or just PROFILE), not "${value.slice(0, 80)}".`);
  return { profile, path };
}

/** Makes the file's directory (0700) when it is missing; refuses one that others could write to. */
export function preparePrivateDir(path: string): void {
  const dir = dirname(path);
  const problem = directoryProblem(dir);
  if (problem) throw new UsageError(`The token file ${path} cannot be kept there: ${problem}. Use a directory only you can write to (chmod 700).`);
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700); // new: 0700 whatever the umask
}

export class TokenFile {
  #timer: NodeJS.Timeout | null = null;
  #written: string | null = null;
  #expiresAt: number | null = null;
  /** The longest life seen of a token when it was written: how early the next one is asked for. */
  #lifetimeMs = 0;
  #stopped = false;

  constructor(
    readonly profile: string,
    readonly path: string,
    private readonly source: (minValidMs: number) => Promise<IssuedToken>,
    private readonly log: (message: string) => void,
  ) {}

  get active(): boolean {
    return this.#written !== null;
  }

  /** Writes the current token and keeps it current; a final failure removes the file. */
  async update(): Promise<void> {
    if (this.#stopped) return;
    this.#clear();
    let issued: IssuedToken;
    try {
      issued = await this.source(this.#marginMs());
    } catch (err) {
      const code = err instanceof AuthtrayError ? err.code : 'INTERNAL';
      const final = FINAL[code];
      if (final) {
        await this.remove(final);
        return;
      }
      this.log(`token file for "${this.profile}": ${err instanceof AuthtrayError ? err.message : 'unexpected failure'}; trying again in ${RETRY_MS / 1000} s.`);
      if (this.#expiresAt !== null && this.#expiresAt <= Date.now()) await this.remove('its token expired');
      this.#schedule(RETRY_MS);
      return;
    }
    if (this.#stopped) return;
    if (issued.accessToken !== this.#written) {
      await writeFileAtomic(this.path, issued.accessToken);
      if (this.#written === null) this.log(`token file for "${this.profile}": ${this.path}`);
      this.#written = issued.accessToken;
      if (issued.expiresAt !== null) this.#lifetimeMs = Math.max(this.#lifetimeMs, issued.expiresAt - Date.now());
    }
    this.#expiresAt = issued.expiresAt;
    const due = [issued.refreshAt, issued.expiresAt === null ? null : issued.expiresAt - this.#marginMs()].filter((t): t is number => t !== null);
    this.#schedule(due.length === 0 ? MAX_WAIT_MS : Math.min(...due) - Date.now() + 10);
  }

  #marginMs(): number {
    return Math.min(FILE_MARGIN_MAX_MS, Math.floor(this.#lifetimeMs * FILE_MARGIN_FRACTION));
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.update(), Math.max(0, Math.min(ms, MAX_WAIT_MS)));
    this.#timer.unref();
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Removes the file (unlinked, needs relink); `update()` writes it again when the profile is back. */
  async remove(why: string): Promise<void> {
    this.#clear();
    const had = this.#written !== null;
    this.#written = null;
    this.#expiresAt = null;
    await rm(this.path, { force: true });
    if (had) this.log(`token file for "${this.profile}" removed: ${why}`);
  }

  /** The agent stops: the file goes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.remove('the agent stopped');
  }
}
