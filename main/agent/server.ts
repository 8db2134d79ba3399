/**
 * The agent's socket: a private directory (0700, this user's, nobody else may write to it), the
 * socket 0600 in it, one agent per socket (a live one is reported, a stale one from a dead agent
 * replaced, two starting at once serialized by a lock file), and the line protocol: bounded lines,
 * one answer per request, in order. What a request does is the handler's business (agent.ts).
 */
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { FileLock } from '../store/file-lock.js';
import { AgentError, ErrorCodes } from '../errors.js';
import { askAgent } from './client.js';
import { isPipe } from './paths.js';
import { directoryProblem, socketInode, socketProblem } from './private.js';
import { answerLine, badRequest, parseRequest, type Request } from './protocol.js';
import { MAX_REQUEST_BYTES, PROTOCOL_VERSION, type Answer, type Waiting } from './wire.js';

/** A connection that sends nothing for this long is closed. */
const IDLE_MS = 30_000;
/** Requests waiting on one connection; a client that sends more before reading answers is cut off. */
const MAX_QUEUED = 32;

export interface Handler {
  /** `wait` sends a waiting line before the answer (the person is asked). */
  (request: Request, connection: Socket, wait: (timeoutMs: number) => void): Promise<Answer>;
}

export interface SocketServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Makes the directory private, or says why it cannot be used. */
function prepareDirectory(dir: string): void {
  const problem = directoryProblem(dir);
  if (problem) throw new AgentError(ErrorCodes.AGENT_UNAVAILABLE, `The agent cannot use its directory: ${problem}. Remove it (or fix its owner and mode: chmod 700), or choose another socket with AUTHTRAY_AGENT_SOCK.`);
  // A directory of ours that exists keeps its mode (it may be a home); a new one is 0700.
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
  const after = directoryProblem(dir);
  if (after) throw new AgentError(ErrorCodes.AGENT_UNAVAILABLE, `The agent cannot use its directory: ${after}.`);
}

export async function listen(path: string, home: string, handler: Handler, log: (message: string) => void): Promise<SocketServer> {
  const pipe = isPipe(path);
  if (!pipe) prepareDirectory(dirname(path));
  // Two agents starting at once: the project's holder-aware lock file (`agent.sock.lock`) serializes them.
  const lock = pipe ? null : new FileLock(dirname(path), basename(path));
  await lock?.acquire({ waitMs: 10_000, what: 'the agent start-up' });
  const release = async () => {
    await lock?.release();
  };
  let server: Server;
  let inode: number | null = null;
  const open = new Set<Socket>();
  try {
    if (!pipe) await replaceStale(path, home);
    server = createServer((connection) => {
      open.add(connection);
      connection.once('close', () => open.delete(connection));
      serve(connection, handler, log);
    });
    server.maxConnections = 4096;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (!pipe) {
      chmodSync(path, 0o600);
      inode = socketInode(path);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw running(path, null);
    throw err;
  } finally {
    await release();
  }
  server.on('error', (err) => log(`socket error: ${err.message}`));
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        // Only our own socket: a successor may have replaced a socket we lost.
        if (!pipe && inode !== null && socketInode(path) === inode) unlinkQuietly(path);
        server.close(() => resolve());
        server.unref();
        // Clients that hold connections open do not keep the agent from stopping.
        for (const socket of open) socket.destroy();
      }),
  };
}

function running(path: string, pid: number | null): AgentError {
  return new AgentError(
    ErrorCodes.AGENT_RUNNING,
    `An authtray agent already runs for this home${pid ? ` (pid ${pid})` : ''} at ${path}. Use that one, or stop it first${pid ? ` (kill ${pid})` : ''}.`,
  );
}

/** A socket already there: a live agent is reported; one nobody answers on is left over, and removed. */
async function replaceStale(path: string, home: string): Promise<void> {
  const problem = socketProblem(path);
  if (socketInode(path) === null) return;
  if (problem) throw new AgentError(ErrorCodes.AGENT_UNAVAILABLE, `The agent cannot take over ${path}: ${problem.replace(`${path} `, 'it ')}. Remove it, or choose another socket with AUTHTRAY_AGENT_SOCK.`);
  const reply = await askAgent({ op: 'status' }, { env: { AUTHTRAY_AGENT_SOCK: path }, home, connectTimeoutMs: 1000, answerTimeoutMs: 3000 });
  if (reply.served) throw running(path, 'agent' in reply.answer ? reply.answer.agent.pid : null);
  unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** One connection: lines in, answers out in the same order; oversized or excess input ends it. */
function serve(connection: Socket, handler: Handler, log: (message: string) => void): void {
  connection.setTimeout(IDLE_MS, () => connection.destroy());
  connection.on('error', () => {}); // a client gone mid-answer is its own business
  let buffered: Buffer = Buffer.alloc(0);
  let queue: Promise<void> = Promise.resolve();
  let queued = 0;
  const send = (answer: Answer | Waiting) => {
    if (!connection.destroyed) connection.write(answerLine(answer));
  };
  const refuse = (why: string) => {
    send({ v: PROTOCOL_VERSION, ok: false, error: badRequest(why) });
    connection.end();
    connection.removeAllListeners('data');
  };
  connection.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    for (let end = buffered.indexOf(10); end >= 0; end = buffered.indexOf(10)) {
      if (end + 1 > MAX_REQUEST_BYTES) return refuse(`a request line is longer than ${MAX_REQUEST_BYTES} bytes`);
      const line = buffered.subarray(0, end).toString('utf8');
      buffered = buffered.subarray(end + 1);
      if (++queued > MAX_QUEUED) return refuse(`more than ${MAX_QUEUED} requests are waiting for their answers`);
      const parsed = parseRequest(line);
      queue = queue.then(async () => {
        try {
          send('error' in parsed ? { v: PROTOCOL_VERSION, ok: false, error: parsed.error } : await handler(parsed.request, connection, (timeoutMs) => send({ v: PROTOCOL_VERSION, waiting: 'consent', timeoutMs })));
        } catch (err) {
          log(`unexpected failure answering a request: ${err instanceof Error ? err.name : 'unknown'}`);
          send({ v: PROTOCOL_VERSION, ok: false, error: { code: 'INTERNAL', message: 'The authtray agent failed unexpectedly answering this request. Please report this.' } });
        } finally {
          queued--;
        }
      });
    }
    if (buffered.length >= MAX_REQUEST_BYTES) refuse(`a request line is longer than ${MAX_REQUEST_BYTES} bytes`);
  });
}
