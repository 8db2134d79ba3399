/**
 * The loopback test bridge: serves the built renderer on 127.0.0.1 through the app:// scheme's own
 * handler (so Chromium enforces the same CSP header), with the real preload API over HTTP in place
 * of Electron's IPC, answered with the same handler code main/app registers (sender check, schema,
 * app service). Every answer and event is kept in `wire` for secret scans.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createIpcHandlers, dispatch } from '../../main/app/ipc.js';
import { APP_HOST, APP_SCHEME, appSchemeHandler } from '../../main/app/scheme.js';
import type { AppService } from '../../main/app/service.js';
import type { EventChannel, Events } from '../../preload/api.js';

export interface Bridge {
  readonly url: string;
  /** Every answer and event as it crossed the bridge, JSON. */
  readonly wire: string[];
  /** Sends an event to the page, as main's webContents.send does. */
  send<E extends EventChannel>(channel: E, payload: Events[E]): void;
  close(): Promise<void>;
}

async function clientScript(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./bridge-client.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

/** Serves `rendererDir` (a Vite build) and the bridge for `service`. */
export async function startBridge(options: { rendererDir: string; service: AppService }): Promise<Bridge> {
  const handlers = createIpcHandlers(options.service);
  const renderer = appSchemeHandler(options.rendererDir);
  const client = await clientScript();
  const streams = new Set<ServerResponse>();
  const wire: string[] = [];
  let origin = '';

  const send = (channel: string, payload: unknown) => {
    const data = JSON.stringify(payload);
    wire.push(data);
    for (const stream of streams) stream.write(`event: ${channel}\ndata: ${data}\n\n`);
  };
  const unsubscribe = [options.service.onChange((profiles) => send('status:changed', profiles)), options.service.onConsentChanged((view) => send('consent:changed', view))];

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      if (req.method === 'POST' && url.pathname.startsWith('/bridge/ipc/')) {
        const channel = decodeURIComponent(url.pathname.slice('/bridge/ipc/'.length));
        // The page's own URL comes as the Referer; the handlers check it like a sender frame's URL.
        const sender = { fromOurWindow: true, isMainFrame: true, url: req.headers.referer ?? null };
        const result = await dispatch(handlers, channel, sender, await body(req), `${origin}/`);
        const text = JSON.stringify(result);
        wire.push(text);
        res.writeHead(200, { 'content-type': 'application/json' }).end(text);
        return;
      }
      if (url.pathname === '/bridge/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': connected\n\n');
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      if (url.pathname === '/bridge.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(client);
        return;
      }
      // The page and its assets, as app://authtray/ serves them in the app: status, headers (the CSP), body.
      const answer = await renderer(new Request(`${APP_SCHEME}://${APP_HOST}${req.url ?? '/'}`, { method: req.method }));
      let content = Buffer.from(await answer.arrayBuffer());
      if (answer.ok && (answer.headers.get('content-type') ?? '').startsWith('text/html')) {
        // The bridge plays the preload: it must run before the page's module script.
        content = Buffer.from(content.toString('utf8').replace('<script type="module"', '<script src="./bridge.js"></script>\n    <script type="module"'));
      }
      // Except the referrer policy: the bridge learns the sending page from the Referer (Electron knows the frame itself).
      const headers = Object.fromEntries([...answer.headers].filter(([name]) => name !== 'referrer-policy'));
      res.writeHead(answer.status, headers).end(content);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    wire,
    send,
    async close() {
      for (const u of unsubscribe) u();
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Builds the renderer with Vite into `outDir` (the same config as `npm run build:app`). */
export async function buildRenderer(outDir: string): Promise<void> {
  const { build: viteBuild } = await import('vite');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  await viteBuild({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}
