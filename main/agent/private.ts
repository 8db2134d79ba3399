/**
 * The checks both sides make before trusting a socket: its directory is a real directory of this
 * user that nobody else can write to, and the socket itself belongs to this user. The agent also
 * keeps the directory 0700 and the socket 0600. Node only (the client loads this).
 */
import { lstatSync, type Stats } from 'node:fs';

const myUid = () => (typeof process.getuid === 'function' ? process.getuid() : -1);
const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Why `dir` cannot hold the agent's socket, or null when it can (or does not exist). */
export function directoryProblem(dir: string): string | null {
  const stats = lstatOrNull(dir);
  if (!stats) return null;
  if (stats.isSymbolicLink()) return `${dir} is a symbolic link`;
  if (!stats.isDirectory()) return `${dir} is not a directory`;
  if (stats.uid !== myUid()) return `${dir} belongs to user ${stats.uid}, not to you (${myUid()})`;
  if ((stats.mode & 0o022) !== 0) return `${dir} can be written by other users (mode ${octal(stats.mode)})`;
  return null;
}

/** Why the file at `path` is not this user's socket, or null when it is (or does not exist). */
export function socketProblem(path: string): string | null {
  const stats = lstatOrNull(path);
  if (!stats) return null;
  if (!stats.isSocket()) return `${path} is not a socket`;
  if (stats.uid !== myUid()) return `${path} belongs to user ${stats.uid}, not to you (${myUid()})`;
  if ((stats.mode & 0o077) !== 0) return `${path} can be used by other users (mode ${octal(stats.mode)})`;
  return null;
}

/** The socket's inode, so an agent removes only the socket it made; null when there is none. */
export function socketInode(path: string): number | null {
  return lstatOrNull(path)?.ino ?? null;
}
