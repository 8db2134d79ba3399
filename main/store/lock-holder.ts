/**
 * Who holds a lock, and whether it can be seen to be gone: process id, host name, boot id
 * (/proc/sys/kernel/random/boot_id) and the process's start time (/proc/PID/stat). Used by the lock
 * files (file-lock.ts) and the in-store locks of Redis and Memcached (kv-store.ts): a holder on this
 * host and boot whose process no longer runs is gone, and its lock is taken over at once; any other
 * holder — alive, however slow, or on a host that cannot be seen — is waited for.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** Who holds a lock. `boot` and `start` are empty where the system does not tell (not Linux). */
export interface LockHolder {
  pid: number;
  host: string;
  boot: string;
  /** The process's start time in clock ticks since boot (/proc/PID/stat), telling a reused pid apart. */
  start: string;
}

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** State and start time of a process from /proc, or null when there is no such process (or no /proc). */
function procStat(pid: number): { state: string; start: string } | null {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: fields[19] ?? '' };
}

let me: LockHolder | undefined;
/** This process, as a lock holder. */
export function thisHolder(): LockHolder {
  me ??= {
    pid: process.pid,
    host: hostname(),
    boot: readText('/proc/sys/kernel/random/boot_id')?.trim() ?? '',
    start: procStat(process.pid)?.start ?? '',
  };
  return me;
}

/**
 * True only when the holder can be seen to be gone: it ran on this host since its last boot, and no
 * process with its id runs any more (or one that started at another time, or a zombie).
 */
export function holderIsGone(holder: LockHolder): boolean {
  const self = thisHolder();
  if (holder.host !== self.host || holder.boot !== self.boot) return false;
  if (holder.pid === self.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const now = procStat(holder.pid);
  if (!now) return false;
  return now.state === 'Z' || (holder.start !== '' && now.start !== holder.start);
}

/** The holder a lock text names, or null when the text is not one (a lock being written). */
export function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string' || typeof value.boot !== 'string' || typeof value.start !== 'string') return null;
    return { pid: value.pid, host: value.host, boot: value.boot, start: value.start };
  } catch {
    return null;
  }
}

/** "process 1234 on host", for messages. */
export const describeHolder = (holder: LockHolder | null): string =>
  holder ? `process ${holder.pid}${holder.host === thisHolder().host ? '' : ` on ${holder.host}`}` : 'another process';
