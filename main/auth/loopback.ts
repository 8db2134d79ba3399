/**
 * The loopback redirect listener (RFC 8252 §7.3): one-shot, 127.0.0.1 only, one path, GET only.
 * Before anything else each request must name this listener in `Host` (127.0.0.1:PORT or
 * [::1]:PORT: a DNS-rebinding page sends its own name and gets an empty 421) and carry the link's
 * `state`; a mismatch is answered at once, without waiting for anything, so however many forged
 * callbacks arrive the genuine redirect is never held up or refused. Only a callback with the right
 * state reaches the handler; a wrong code or missing parameters there also leaves the listener
 * waiting. Pages are fixed text: nothing from the request is reflected.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthtrayError, CancelledError, ErrorCodes } from '../errors.js';
import { sameString } from './flow.js';
import { PENDING_TTL_MS } from '../store/pending.js';

export const LOOPBACK_PATH = '/callback';
/** The listener waits as long as the pending link lasts: one deadline for every way back. */
export const LOOPBACK_TIMEOUT_MS = PENDING_TTL_MS;

export interface LoopbackOptions<T> {
  /** 0 picks a free port. */
  port: number;
  timeoutMs?: number;
  /** The link's `state`, when known at start; else give it with `expectState` before the URL goes out. */
  state?: string;
  /**
   * Called with the query of each GET on the path. Throwing a CsrfError or BadRequestError keeps
   * the listener waiting; any other outcome ends it.
   */
  handle: (params: URLSearchParams) => Promise<T>;
}

export interface LoopbackListener<T> {
  readonly redirectUri: string;
  readonly port: number;
  /** Settles with the handler's result, or its final error, or CancelledError on timeout/cancel. */
  readonly result: Promise<T>;
  /** Stops waiting: `result` rejects with CancelledError. */
  cancel(): void;
  /** The `state` of the link this listener serves: until it is set, every callback is refused. */
  expectState(state: string): void;
}

const page = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
  `<meta name="viewport" content="width=device-width"><style>body{font:16px system-ui,sans-serif;margin:4em auto;max-width:32em;padding:0 1em;color:#222}` +
  `@media(prefers-color-scheme:dark){body{background:#1e1e1e;color:#eee}}</style></head>` +
  `<body><h1>${title}</h1><p>${text}</p></body></html>`;

const PAGES = {
  done: page('Account linked', 'authtray has your approval. You can close this tab.'),
  retry: page('Not for this link', 'This response does not belong to the link in progress and was ignored. Return to authtray.'),
  failed: page('Link not completed', 'The link could not be completed. Return to authtray for details and to try again.'),
  notFound: page('Not found', 'Nothing here.'),
};

const KEEP_WAITING: ReadonlySet<string> = new Set([ErrorCodes.CSRF, ErrorCodes.BAD_REQUEST]);

function send(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    connection: 'close',
    ...extra,
  });
  res.end(body);
}

/** Starts listening on 127.0.0.1; rejects with the socket error (e.g. EADDRINUSE) if it cannot. */
export async function startLoopbackListener<T>(options: LoopbackOptions<T>): Promise<LoopbackListener<T>> {
  let settle!: { resolve: (value: T) => void; reject: (err: unknown) => void };
  const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => {}); // the caller may never ask; the rejection is still delivered to those who do
  let busy = false;
  let finished = false;
  let expected = options.state ?? null;
  let hosts: ReadonlySet<string> = new Set();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // A name other than our own address (DNS rebinding, a proxy): nothing to read, not even a page.
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) {
      res.writeHead(421, { 'content-length': '0', 'cache-control': 'no-store', connection: 'close' });
      return res.end();
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return send(res, 400, PAGES.notFound); // a request target no URL parser reads must not end the process
    }
    if (url.pathname !== LOOPBACK_PATH) return send(res, 404, PAGES.notFound);
    if (req.method !== 'GET') return send(res, 405, PAGES.notFound, { allow: 'GET' });
    if (finished) return send(res, 409, PAGES.retry);
    // Not this link's state: refused here and now, so forged callbacks never occupy the handler.
    const states = url.searchParams.getAll('state');
    if (expected === null || states.length !== 1 || !sameString(states[0]!, expected)) return send(res, 400, PAGES.retry);
    // The genuine redirect is being handled: a second copy of it (a reload) waits for nothing either.
    if (busy) return send(res, 409, PAGES.retry);
    busy = true;
    options.handle(url.searchParams).then(
      (value) => {
        send(res, 200, PAGES.done);
        finish(() => settle.resolve(value));
      },
      (err: unknown) => {
        busy = false;
        if (err instanceof AuthtrayError && KEEP_WAITING.has(err.code)) return send(res, 400, PAGES.retry);
        send(res, 400, PAGES.failed);
        finish(() => settle.reject(err));
      },
    );
  });
  server.keepAliveTimeout = 1;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;

  const timer = setTimeout(() => finish(() => settle.reject(new CancelledError('No answer came from the browser in time. Start the link again.'))), options.timeoutMs ?? LOOPBACK_TIMEOUT_MS);
  timer.unref();

  function finish(then: () => void) {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    server.close();
    server.closeIdleConnections();
    then();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  hosts = new Set([`127.0.0.1:${port}`, `[::1]:${port}`]);
  return {
    redirectUri: `http://127.0.0.1:${port}${LOOPBACK_PATH}`,
    port,
    result,
    cancel: () => finish(() => settle.reject(new CancelledError('The link was cancelled.'))),
    expectState: (state) => {
      expected = state;
    },
  };
}
