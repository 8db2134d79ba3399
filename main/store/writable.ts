/**
 * The folder authtray writes to (AUTHTRAY_HOME and its subfolders) as the environment, not a bug:
 * checking that it can be written before anything is asked of the person, and saying what is wrong
 * with it (permissions, a read-only disk, a file in the way, a full disk) and what to do.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CredentialStoreError } from '../errors.js';
import type { CredentialStore } from './types.js';

/** File system error codes that describe the machine, never authtray's own mistake. */
const ENVIRONMENT_CODES: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOSPC', 'EDQUOT', 'ENOENT', 'ELOOP', 'ENAMETOOLONG', 'EIO']);

type FsError = NodeJS.ErrnoException & { path?: string };

/** True for a file system error about a path (what `environmentProblem` can explain). */
export function isEnvironmentError(err: unknown): err is FsError {
  const e = err as FsError | null;
  return e instanceof Error && typeof e.code === 'string' && typeof e.path === 'string' && typeof e.syscall === 'string' && ENVIRONMENT_CODES.has(e.code);
}

/** One sentence on what is wrong with `path` (or the path the error names) and what to do. */
export function environmentProblem(err: FsError, path = err.path ?? ''): string {
  const elsewhere = 'or set AUTHTRAY_HOME to a folder you can write to';
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return `Cannot write to ${path} (permission denied). Give yourself write access to it, ${elsewhere}.`;
    case 'EROFS':
      return `Cannot write to ${path}: it is on a read-only file system. Set AUTHTRAY_HOME to a folder on a writable disk.`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `Cannot use ${path} as a folder: a file is in the way. Move that file, ${elsewhere}.`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `Cannot write to ${path}: the disk is full (or your quota is used up). Free some space, then try again.`;
    case 'ENOENT':
      return `Cannot create ${path}: its parent folder does not take new folders. Create it yourself, ${elsewhere}.`;
    default:
      return `Cannot write to ${path} (${err.code}). Check that folder, ${elsewhere}.`;
  }
}

/**
 * Creates `dir` one level at a time (mkdir's recursive mode loops forever where a parent answers
 * ENOENT, as /proc does), then writes and removes a probe file. Throws CredentialStoreError.
 */
export async function assertWritableDir(dir: string): Promise<void> {
  try {
    await makeDir(dir);
    const probe = join(dir, `.authtray-probe-${process.pid}-${Date.now()}`);
    await writeFile(probe, '', { flag: 'wx', mode: 0o600 });
    await rm(probe, { force: true });
  } catch (err) {
    if (!isEnvironmentError(err)) throw err;
    throw new CredentialStoreError(environmentProblem(err), { cause: err });
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
    throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR', path: dir, syscall: 'mkdir' });
  } catch (err) {
    if ((err as FsError).code !== 'ENOENT') throw err;
  }
  const parent = dirname(dir);
  if (parent !== dir) await makeDir(parent);
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as FsError).code !== 'EEXIST') throw err;
  }
}

/**
 * Before a link shows its address: the store it will write to can take the record. A plain-text
 * folder is written to; a shared store is read from (a server that does not answer fails here, in
 * seconds, before the person approves anything). The keyring was probed when it was chosen.
 */
export async function checkLinkTarget(store: CredentialStore, profile: string): Promise<void> {
  if (store.info.backend === 'plaintext') return assertWritableDir(store.info.location);
  if (store.shared) await store.load(profile);
}
