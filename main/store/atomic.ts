/**
 * Private files written so that a crash at any moment leaves either the old content or the new one:
 * write a temporary file beside the target (0600, exclusive create), fsync it, rename it over the
 * target, fsync the directory.
 */
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const isWindows = process.platform === 'win32';
let tempCounter = 0;

/** Creates `dir` (and parents) as 0700, and tightens it if it exists with wider permissions. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
  if (isWindows) return;
  const { mode } = await stat(dir);
  if ((mode & 0o077) !== 0) await chmod(dir, PRIVATE_DIR);
}

/** The file's text, or null when it does not exist. Other errors propagate. */
export async function readFileIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Replaces `path` with `text` atomically; the file is 0600 from its first byte. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  // Unique per process and call; 'wx' refuses to reuse a name anyway. (No crypto: it is slow to load
  // and `authtray token` starts on this path.)
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
