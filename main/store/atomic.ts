/**
 * Private files and directories: written so that a crash at any moment leaves either the old content
 * or the new one (a temporary file beside the target, 0600, exclusive create, fsync, rename, fsync of
 * the directory), and read and written only where nobody else can interfere (as ssh treats ~/.ssh):
 * never through a symbolic link, never in a directory another user owns or can write. What is found
 * instead is refused with a CredentialStoreError (exit 3) that says what was found and what to do.
 */
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readlink, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CredentialStoreError } from '../errors.js';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const isWindows = process.platform === 'win32';
let tempCounter = 0;

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

async function linkRefusal(path: string, kind: 'file' | 'directory'): Promise<CredentialStoreError> {
  const target = await readlink(path).catch(() => '?');
  return new CredentialStoreError(
    `${path} is a symbolic link (to ${target}); authtray does not follow links to its private files. ` +
      `Replace the link with a real ${kind} of your own (what it points to was not touched) and run the command again.`,
  );
}

/** What is wrong with a directory's ownership or mode, or null. (uid/mode checks do not apply on Windows.) */
function ownershipProblem(path: string, uid: number, mode: number, what: string): CredentialStoreError | null {
  if (isWindows) return null;
  const me = process.getuid?.();
  if (me !== undefined && uid !== me) {
    return new CredentialStoreError(
      `${path} belongs to another user (uid ${uid}, you are uid ${me}); authtray keeps its private ${what} only where no one else can change them. ` +
        `If it is yours, run: chown -R ${me} ${path}; else set AUTHTRAY_HOME to a directory of your own.`,
    );
  }
  if ((mode & 0o022) !== 0) {
    return new CredentialStoreError(`${path} can be written by other users (mode ${octal(mode)}); anyone could replace the ${what} in it. Run: chmod 700 ${path}`);
  }
  return null;
}

/**
 * Checks a private directory: a real directory (not a link), owned by this user, writable by no one
 * else. Returns false when it does not exist. With `tighten`, read access for others is removed too.
 */
export async function checkPrivateDir(dir: string, options: { tighten?: boolean } = {}): Promise<boolean> {
  let info;
  try {
    info = await lstat(dir);
  } catch (err) {
    if (errno(err) === 'ENOENT') return false;
    throw new CredentialStoreError(`Cannot read ${dir} (${errno(err)}). Check its permissions.`, { cause: err });
  }
  if (info.isSymbolicLink()) throw await linkRefusal(dir, 'directory');
  if (!info.isDirectory()) throw new CredentialStoreError(`${dir} is not a directory. Move it away and run the command again.`);
  const problem = ownershipProblem(dir, info.uid, info.mode, 'files');
  if (problem) throw problem;
  // lstat said it is a real directory: this chmod changes it, not something a link points to.
  if (options.tighten && !isWindows && (info.mode & 0o077) !== 0) await chmod(dir, PRIVATE_DIR);
  return true;
}

/** Creates `dir` (and parents) as 0700, checks it (see checkPrivateDir) and tightens it. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
  } catch (err) {
    // mkdir reports a dangling link or a file in the way as EEXIST; the check says which.
    if (errno(err) !== 'EEXIST') throw err;
  }
  await checkPrivateDir(dir, { tighten: true });
}

/**
 * A private file's text, or null when it does not exist. Opened without following a link; refused
 * when it is not a regular file of this user's; loosened permissions go back to 0600 through the
 * open file, never through a path. I/O errors propagate raw.
 */
export async function readPrivateFile(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    if (errno(err) === 'ELOOP') throw await linkRefusal(path, 'file');
    throw err;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new CredentialStoreError(`${path} is not a regular file. Move it away and run the command again.`);
    if (!isWindows) {
      const me = process.getuid?.();
      if (me !== undefined && info.uid !== me) {
        throw new CredentialStoreError(`${path} belongs to another user (uid ${info.uid}, you are uid ${me}); authtray does not use it. If it is yours, run: chown ${me} ${path}`);
      }
      // A restore from backup, a copy: back to 0600 (fchmod, on the file that was opened).
      if ((info.mode & 0o077) !== 0) await handle.chmod(PRIVATE_FILE);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `text` atomically; the file is 0600 from its first byte. A link in its place is refused. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const existing = await lstat(path).catch(() => null);
  if (existing?.isSymbolicLink()) throw await linkRefusal(path, 'file');
  // Unique per process and call; 'wx' refuses to reuse a name (and to follow a planted link) anyway.
  // (No crypto: it is slow to load and `authtray token` starts on this path.)
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.${++tempCounter}.tmp`);
  const handle = await open(temp, 'wx', PRIVATE_FILE);
  try {
    try {
      if (!isWindows) await handle.chmod(PRIVATE_FILE); // a umask cannot widen it, but be explicit
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  if (isWindows) return; // directories cannot be opened for fsync there
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
