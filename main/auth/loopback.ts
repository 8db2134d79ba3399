/**
 * The loopback redirect listener (RFC 8252 §7.3): one-shot, 127.0.0.1 only, one path, GET only.
 * A response that does not belong to the pending link (wrong state, missing parameters) is answered
 * with an error page and the listener keeps waiting, so a forged request cannot end a genuine link.
 * Pages are fixed text: nothing from the request is reflected.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthtrayError, CancelledError, ErrorCodes } from '../errors.js';
import { PENDING_TTL_MS } from '../store/pending.js';

export const LOOPBACK_PATH = '/callback';
/** The listener waits as long as the pending link lasts: one deadline for every way back. */
export const LOOPBACK_TIMEOUT_MS = PENDING_TTL_MS;

export interface LoopbackOptions<T> {
  /** 0 picks a free port. */
  port: number;
  timeoutMs?: number;
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

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== LOOPBACK_PATH) return send(res, 404, PAGES.notFound);
    if (req.method !== 'GET') return send(res, 405, PAGES.notFound, { allow: 'GET' });
    // One callback at a time, and none after the link ended.
    if (finished || busy) return send(res, 409, PAGES.retry);
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
  return {
    redirectUri: `http://127.0.0.1:${port}${LOOPBACK_PATH}`,
    port,
    result,
    cancel: () => finish(() => settle.reject(new CancelledError('The link was cancelled.'))),
  };
}
