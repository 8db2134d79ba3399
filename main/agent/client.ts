/**
 * Asking the agent, from `authtray token` and `status` (and any Node program): check the socket is
 * this user's, connect within a short bound, send one request line, read one answer line. Anything
 * but an answer (no agent, a stale socket, an agent killed mid-request, a foreign socket) is
 * "no agent", so the caller does the work itself. Node built-ins only: this runs before anything
 * heavy is loaded.
 */
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { directoryProblem, socketProblem } from './private.js';
import { agentSocketPath, isPipe } from './paths.js';
import { MAX_ANSWER_BYTES, MAX_CONSENT_WAIT_MS, PROTOCOL_VERSION, type Answer } from './wire.js';

/** An agent that has not accepted the connection by then is not answering. */
export const CONNECT_TIMEOUT_MS = 250;
/** An accepted request may need a refresh (provider, keyring): bounded, then the caller goes alone. */
export const ANSWER_TIMEOUT_MS = 20_000;

export type AgentReply =
  | { served: true; answer: Answer; socket: string }
  /** No agent answered; `warning` says why when it is worth telling (a socket that is not safe to use). */
  | { served: false; socket: string; warning?: string };

export interface AskOptions {
  env: NodeJS.ProcessEnv;
  home: string;
  connectTimeoutMs?: number;
  answerTimeoutMs?: number;
  /** The agent is asking the person (the app's consent); it answers within `timeoutMs`. */
  onWaiting?: (timeoutMs: number) => void;
}

export async function askAgent(request: Record<string, unknown>, options: AskOptions): Promise<AgentReply> {
  const socket = agentSocketPath(options.env, options.home);
  if (!isPipe(socket)) {
    const problem = directoryProblem(dirname(socket)) ?? socketProblem(socket);
    if (problem) return { served: false, socket, warning: `not using the agent socket: ${problem}.` };
  }
  const answer = await exchange(socket, `${JSON.stringify({ v: PROTOCOL_VERSION, ...request })}\n`, options);
  if (answer === undefined) return { served: false, socket };
  if (answer === null) return { served: false, socket, warning: `the agent at ${socket} answered outside its protocol; going without it.` };
  return { served: true, answer, socket };
}

/** One request, one answer line: undefined when nothing came back, null when it was not an answer. */
function exchange(path: string, line: string, options: AskOptions): Promise<Answer | null | undefined> {
  return new Promise((resolve) => {
    const conn = connect(path);
    let buffered = '';
    let done = false;
    const finish = (value: Answer | null | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.destroy();
      resolve(value);
    };
    let timer = setTimeout(() => finish(undefined), options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    conn.once('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(undefined), options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS);
      conn.write(line);
    });
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end >= 0 && !done; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        const wait = waitingMs(line);
        if (wait === null) return finish(parseAnswer(line));
        // The person is asked: wait for them (bounded), then the usual bound for the token itself.
        clearTimeout(timer);
        timer = setTimeout(() => finish(undefined), wait + (options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS));
        options.onWaiting?.(wait);
      }
      if (buffered.length > MAX_ANSWER_BYTES) finish(null);
    });
    conn.on('error', () => finish(undefined));
    conn.on('close', () => finish(undefined));
  });
}

/** A waiting line's bound (ms), or null when the line is something else. */
function waitingMs(text: string): number | null {
  if (!text.includes('"waiting"')) return null;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (value.v !== PROTOCOL_VERSION || value.waiting !== 'consent' || typeof value.timeoutMs !== 'number' || !(value.timeoutMs >= 0)) return null;
    return Math.min(value.timeoutMs, MAX_CONSENT_WAIT_MS);
  } catch {
    return null;
  }
}

/** The answer, checked by hand (no zod on this path); null when it is not one. */
export function parseAnswer(text: string): Answer | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const a = value as Record<string, unknown>;
  if (a.v !== PROTOCOL_VERSION || typeof a.ok !== 'boolean') return null;
  if (a.ok) {
    if (typeof a.token === 'string' && a.token.length > 0 && (a.expiresAt === null || typeof a.expiresAt === 'number')) return a as Answer;
    if (typeof a.agent === 'object' && a.agent !== null) return a as Answer;
    return null;
  }
  const e = a.error as Record<string, unknown> | undefined;
  return e && typeof e.code === 'string' && typeof e.message === 'string' ? (a as Answer) : null;
}
