/**
 * Which program is on the other end of a connection, as far as the OS tells without a native addon.
 * Linux: the accepted socket's inode (/proc/self/fd), its peer's inode and that peer's process from
 * the kernel's socket table (`ss -xp`, iproute2, which reads SO_PEERCRED-equivalent sock_diag data),
 * then the process's executable (/proc/PID/exe). Elsewhere: unknown.
 */
import { execFile } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';

export interface Peer {
  pid: number;
  /** The executable's absolute path, as the kernel has it. */
  exe: string;
}

/** Who asks the agent for a token, as the consent question shows it and decisions match it. */
export interface Asker {
  /** What decisions match: the executable's path (verified), else the name the client reported. */
  program: string;
  /** True when the OS said it (the socket's peer process); false: the client's own word. */
  verified: boolean;
  pid: number | null;
  /** The executable of the process that started it (the script behind `authtray token`), when the OS says. */
  parent: string | null;
}

/** The name shown, and matched, for a client the OS does not identify and that gave no name. */
export const UNNAMED = 'a program that did not give its name';

/** The peer of `connection` (Linux), else the client's own `reported` name, unverified. */
export async function askerOf(connection: Socket, reported: string | undefined): Promise<Asker> {
  const peer = await peerOf(connection);
  if (peer) return { program: peer.exe, verified: true, pid: peer.pid, parent: await parentExe(peer.pid) };
  return { program: reported ?? UNNAMED, verified: false, pid: null, parent: null };
}

/** /proc/PID/stat's fourth field is the parent pid (after the command in parentheses, which may hold spaces). */
async function parentExe(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (!Number.isInteger(ppid) || ppid <= 1) return null;
  return readlink(`/proc/${ppid}/exe`).catch(() => null);
}

const INODE = /^socket:\[(\d+)\]$/;

/** The peer process of an accepted Unix-socket connection; null when the OS does not say. */
export async function peerOf(connection: Socket): Promise<Peer | null> {
  if (process.platform !== 'linux') return null;
  const asked = performance.now();
  const fd = (connection as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  const own = INODE.exec(await readlink(`/proc/self/fd/${fd}`).catch(() => ''))?.[1];
  if (!own) return null;
  const table = await tableSince(asked);
  const peerInode = table.get(own)?.peer;
  const pid = peerInode ? table.get(peerInode)?.pid : undefined;
  if (!pid) return null;
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => null);
  return exe ? { pid, exe } : null;
}

let inflight: { since: number; table: Promise<Map<string, { peer: string; pid?: number }>> } | null = null;

/**
 * A socket table read after `asked`: one `ss` run serves every connection that was there when it
 * started (a thousand clients at once start a few, not a thousand).
 */
function tableSince(asked: number): Promise<Map<string, { peer: string; pid?: number }>> {
  if (inflight && inflight.since >= asked) return inflight.table;
  const since = performance.now();
  const table = socketTable().finally(() => {
    if (inflight?.table === table) inflight = null;
  });
  inflight = { since, table };
  return table;
}

/** `ss -xpnH`: local inode → peer inode and owning pid. */
function socketTable(): Promise<Map<string, { peer: string; pid?: number }>> {
  return new Promise((resolve) => {
    execFile('ss', ['-xpnH'], { maxBuffer: 32 * 1024 * 1024, timeout: 15_000 }, (err, stdout) => {
      const table = new Map<string, { peer: string; pid?: number }>();
      if (err) return resolve(table);
      for (const line of stdout.split('\n')) {
        // u_str ESTAB 0 0 <local addr> <local inode> <peer addr> <peer inode> users:(("node",pid=1,fd=3))
        const fields = line.trim().split(/\s+/);
        if (fields.length < 8) continue;
        const pid = /pid=(\d+)/.exec(line)?.[1];
        table.set(fields[5]!, { peer: fields[7]!, ...(pid ? { pid: Number(pid) } : {}) });
      }
      resolve(table);
    });
  });
}
