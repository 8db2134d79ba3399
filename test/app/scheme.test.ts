// The window's scheme handler (SECURITY #6) with real Requests: the build's files with the CSP header,
// and nothing else, whatever a path does to climb out.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_PAGE_URL, appSchemeHandler, requestedFile, WINDOW_CSP } from '../../main/app/scheme.js';

const SECRET = 'NOT-FOR-THE-WINDOW';
let base: string;
let root: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(async () => {
  // base/renderer is the build; beside it, files the window must never get.
  base = await mkdtemp(join(tmpdir(), 'authtray-scheme-'));
  root = join(base, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><script type="module" src="./assets/index-Ab1.js"></script>');
  await writeFile(join(root, 'assets', 'index-Ab1.js'), 'console.log(1)');
  await writeFile(join(root, 'assets', 'index-Ab1.css'), 'body{}');
  await writeFile(join(base, 'secret.txt'), SECRET);
  await mkdir(join(base, 'renderer-evil'));
  await writeFile(join(base, 'renderer-evil', 'x.js'), SECRET);
  await symlink(join(base, 'secret.txt'), join(root, 'assets', 'link.js'));
  handler = appSchemeHandler(root);
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the app:// scheme handler', () => {
  it('serves the page and its assets with the CSP as a header', async () => {
    for (const [url, type] of [
      [APP_PAGE_URL, 'text/html; charset=utf-8'],
      ['app://authtray/', 'text/html; charset=utf-8'],
      ['app://authtray/assets/index-Ab1.js', 'text/javascript; charset=utf-8'],
      ['app://authtray/assets/index-Ab1.css?v=1#x', 'text/css; charset=utf-8'],
    ] as const) {
      const response = await handler(new Request(url));
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe(type);
      expect(response.headers.get('content-security-policy'), url).toBe(WINDOW_CSP);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(await (await handler(new Request('app://authtray/assets/index-Ab1.js'))).text()).toBe('console.log(1)');
    const head = await handler(new Request(APP_PAGE_URL, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it("the policy: only the app's own scripts, no plugins, no <base>, no form posts, no framing", () => {
    const directives = new Map(WINDOW_CSP.split(';').map((d) => d.trim().split(/\s+/) as [string, ...string[]]).map(([name, ...values]) => [name, values.join(' ')]));
    expect(Object.fromEntries(directives)).toEqual({
      'default-src': "'self'",
      'script-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
  });

  it.each([
    ['dot segments', 'app://authtray/../secret.txt'],
    ['dot segments deeper', 'app://authtray/assets/../../secret.txt'],
    ['encoded dots', 'app://authtray/%2e%2e/secret.txt'],
    ['encoded dots and slash', 'app://authtray/%2e%2e%2fsecret.txt'],
    ['encoded slash after dots', 'app://authtray/..%2fsecret.txt'],
    ['upper-case encoding', 'app://authtray/%2E%2E%2Fsecret.txt'],
    ['double-encoded', 'app://authtray/%252e%252e%252fsecret.txt'],
    ['double-encoded slash', 'app://authtray/..%252fsecret.txt'],
    ['a sibling folder with the same prefix', 'app://authtray/../renderer-evil/x.js'],
    ['encoded sibling', 'app://authtray/%2e%2e%2frenderer-evil%2fx.js'],
    ['absolute', 'app://authtray//etc/passwd'],
    ['encoded absolute', 'app://authtray/%2Fetc%2Fpasswd'],
    ['absolute to the secret', 'app://authtray/{BASE}/secret.txt'],
    ['backslashes', 'app://authtray/..\\secret.txt'],
    ['encoded backslashes', 'app://authtray/..%5csecret.txt'],
    ['a drive letter', 'app://authtray/C:%5cWindows%5cwin.ini'],
    ['NUL', 'app://authtray/index.html%00.js'],
    ['raw NUL', 'app://authtray/index.html\u0000.js'],
    ['overlong UTF-8 dot', 'app://authtray/%c0%ae%c0%ae/secret.txt'],
    ['a symbolic link inside the build', 'app://authtray/assets/link.js'],
    ['a file that is not there', 'app://authtray/assets/missing.js'],
    ['a folder', 'app://authtray/assets'],
    ['another host', 'app://evil/index.html'],
    ['another scheme', 'file://{BASE}/renderer/index.html'],
    ['a web page', 'https://authtray/index.html'],
  ])('refuses %s with 404, still sending the policy', async (_name, url) => {
    const response = await handler(new Request(url.replace('{BASE}', encodeURI(base))));
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('');
    expect(response.headers.get('content-security-policy')).toBe(WINDOW_CSP);
  });

  it('answers only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      expect((await handler(new Request(APP_PAGE_URL, { method }))).status, method).toBe(405);
    }
  });

  it('whatever the path, a file it names lies inside the build', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('..', '.', '%2e', '%2E%2e', '%2f', '%5c', '/', '\\', 'assets', 'index.html', '%00', '%25', 'a', ':', 'C:'), { maxLength: 8 }), (parts) => {
        let name: string | null;
        try {
          name = requestedFile(`app://authtray/${parts.join('')}`);
        } catch {
          return true;
        }
        return name === null || resolve(root, name).startsWith(root + sep);
      }),
      { numRuns: 2000 },
    );
    // (A Request refuses user info itself; the rule holds without it too.)
    expect(requestedFile('app://x@authtray/index.html')).toBeNull();
  });
});
