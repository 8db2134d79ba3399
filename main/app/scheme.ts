/**
 * The window's own scheme, `app://authtray/` (SECURITY.md, "Windows and IPC" #6): the built
 * renderer's files and nothing else, each answer carrying the content security policy as a header.
 * Electron-free: lifecycle.ts registers the scheme and hands `protocol.handle` this handler; the
 * tests call it with real Requests, and the browser tests' bridge serves the page through it too.
 *
 * Why a scheme and not file://: a file: page's 'self' is every local file, so a script dropped in
 * another folder could run; here 'self' is app://authtray, which serves only the renderer's build.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'authtray';
/** The window's page: what it loads, and the only page IPC senders may be on. */
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * `standard` gives the scheme origins and relative URLs like https; `secure` makes it a secure
 * context. Nothing else: no CSP bypass, no service workers, no CORS, no streaming.
 */
export const APP_SCHEME_PRIVILEGES = { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } } as const;

/** The window's policy, sent as a header with every file (a meta tag can set neither frame-ancestors nor protect the first bytes). */
export const WINDOW_CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const HEADERS = {
  'content-security-policy': WINDOW_CSP,
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** A file name Vite writes: letters, digits, `.`, `_`, `-`, in folders. Anything else (`\`, `%`, `:`, NUL, spaces) is not ours. */
const SAFE_PATH = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

function refuse(status: number): Response {
  return new Response(null, { status, headers: HEADERS });
}

/**
 * The file of `root` a URL names, as a path relative to it, or null. The path is percent-decoded
 * once (never twice), then must be a plain relative name: no `..` or `.` segment, no backslash, no
 * NUL, no drive or absolute path, nothing a build would not have written.
 */
export function requestedFile(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST || parsed.username || parsed.password) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (path === '/' || path === '') return 'index.html';
  if (!path.startsWith('/')) return null;
  const relative = path.slice(1);
  if (!SAFE_PATH.test(relative)) return null;
  if (relative.split('/').some((segment) => segment === '.' || segment === '..')) return null;
  return relative;
}

/** Every file under `root`, relative and with `/` separators: what the handler may serve. */
async function listFiles(root: string): Promise<ReadonlySet<string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = new Set<string>();
  for (const entry of entries) {
    if (!entry.isFile()) continue; // symbolic links and anything else are not served
    const dir = (entry as { parentPath?: string; path?: string }).parentPath ?? (entry as { path?: string }).path ?? root;
    const relative = join(dir, entry.name).slice(root.length + 1);
    files.add(relative.split(sep).join('/'));
  }
  return files;
}

/**
 * The handler for `protocol.handle(APP_SCHEME, …)`: GET (or HEAD) of a file the build wrote under
 * `root`, with the CSP header; 404 for anything else, 405 for other methods. The list of files is
 * read once, on the first request, so a name is served only if it was in the build.
 */
export function appSchemeHandler(root: string): (request: Request) => Promise<Response> {
  let files: Promise<ReadonlySet<string>> | null = null;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405);
    const name = requestedFile(request.url);
    if (name === null) return refuse(404);
    files ??= listFiles(root).catch(() => new Set<string>());
    if (!(await files).has(name)) return refuse(404);
    let body: Buffer;
    try {
      body = await readFile(join(root, ...name.split('/')));
    } catch {
      return refuse(404);
    }
    const headers = { ...HEADERS, 'content-type': TYPES[extname(name)] ?? 'application/octet-stream' };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
