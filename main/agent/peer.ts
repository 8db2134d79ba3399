/**
 * Which program is on the other end of a connection, as far as the OS tells without a native addon.
 * Linux: the accepted socket's inode (/proc/self/fd), its peer's inode and that peer's process from
 * the kernel's socket table (`ss -xp`, iproute2, which reads SO_PEERCRED-equivalent sock_diag data),
 * then the process's executable (/proc/PID/exe). Elsewhere: unknown.
 */
import { execFile } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';

export interface Peer {
  pid: number;
  /** The executable's absolute path, as the kernel has it. */
  exe: string;
}

const INODE = /^socket:\[(\d+)\]$/;

/** The peer process of an accepted Unix-socket connection; null when the OS does not say. */
export async function peerOf(connection: Socket): Promise<Peer | null> {
  if (process.platform !== 'linux') return null;
  const fd = (connection as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  const own = INODE.exec(await readlink(`/proc/self/fd/${fd}`).catch(() => ''))?.[1];
  if (!own) return null;
  const table = await socketTable();
  const peerInode = table.get(own)?.peer;
  const pid = peerInode ? table.get(peerInode)?.pid : undefined;
  if (!pid) return null;
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => null);
  return exe ? { pid, exe } : null;
}

/** `ss -xpnH`: local inode → peer inode and owning pid. */
function socketTable(): Promise<Map<string, { peer: string; pid?: number }>> {
  return new Promise((resolve) => {
    execFile('ss', ['-xpnH'], { maxBuffer: 32 * 1024 * 1024, timeout: 5000 }, (err, stdout) => {
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
