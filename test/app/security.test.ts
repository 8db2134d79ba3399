// SECURITY.md's window rules, one by one, against the functions the shell applies them with.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { denyAllPermissions, isAllowedExternalUrl, isOwnPage, isTrustedSender, lockNavigation, secureWebPreferences } from '../../main/app/security.js';
import { mainWindowOptions } from '../../main/app/window.js';
import { FakeSession, FakeWebContents } from '../support/electron-fakes.js';

describe('#1 webPreferences', () => {
  it('isolates the page: context isolation, sandbox, no Node, web security on, the preload given', () => {
    const options = mainWindowOptions('/app/dist/app/preload.cjs');
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(options.show).toBe(false);
    expect(secureWebPreferences('/app/dist/app/preload.cjs')).toEqual(options.webPreferences);
  });
});

describe('#4 trusted senders', () => {
  const page = 'file:///opt/authtray/dist/renderer/index.html';
  it('accepts our window, main frame, our page (a hash or query does not matter)', () => {
    expect(isTrustedSender({ fromOurWindow: true, isMainFrame: true, url: page }, page)).toBe(true);
    expect(isTrustedSender({ fromOurWindow: true, isMainFrame: true, url: `${page}#/x?y=1` }, page)).toBe(true);
  });
  it.each([
    ['another window', { fromOurWindow: false, isMainFrame: true, url: page }],
    ['a sub-frame', { fromOurWindow: true, isMainFrame: false, url: page }],
    ['another file', { fromOurWindow: true, isMainFrame: true, url: 'file:///opt/authtray/dist/renderer/other.html' }],
    ['a file on another host', { fromOurWindow: true, isMainFrame: true, url: 'file://evil/opt/authtray/dist/renderer/index.html' }],
    ['a web page', { fromOurWindow: true, isMainFrame: true, url: 'https://evil.example/' }],
    ['no frame', { fromOurWindow: true, isMainFrame: true, url: null }],
    ['garbage', { fromOurWindow: true, isMainFrame: true, url: 'not a url' }],
  ])('refuses %s', (_name, sender) => {
    expect(isTrustedSender(sender, page)).toBe(false);
  });
  it('on the app:// scheme: our scheme and host, any path of it; nothing else', () => {
    const app = 'app://authtray/index.html';
    expect(isOwnPage('app://authtray/index.html#/x', app)).toBe(true);
    for (const url of ['app://evil/index.html', 'app-x://authtray/index.html', 'https://authtray/index.html', 'file:///authtray/index.html', 'app:///index.html', 'app://authtray.evil/index.html']) {
      expect(isOwnPage(url, app), url).toBe(false);
    }
  });
  it('over http (the test bridge) the origin must match exactly', () => {
    expect(isOwnPage('http://127.0.0.1:5000/index.html', 'http://127.0.0.1:5000/')).toBe(true);
    expect(isOwnPage('http://127.0.0.1:5001/', 'http://127.0.0.1:5000/')).toBe(false);
    expect(isOwnPage('http://localhost:5000/', 'http://127.0.0.1:5000/')).toBe(false);
    expect(isOwnPage('data:text/html,x', 'data:text/html,x')).toBe(false);
  });
});

describe('#6 content security policy', () => {
  it("renderer/index.html carries default-src 'self'; script-src 'self', and no inline script", async () => {
    const html = await readFile(new URL('../../renderer/index.html', import.meta.url), 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(csp).toBe("default-src 'self'; script-src 'self'");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});

describe('#7 navigation and new windows', () => {
  it('prevents will-navigate, will-redirect and webviews, and denies every new window', () => {
    const contents = new FakeWebContents();
    lockNavigation(contents as never);
    expect(contents.cancellable('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.cancellable('will-redirect', 'https://evil.example/')).toBe(true);
    expect(contents.cancellable('will-attach-webview', {}, {})).toBe(true);
    expect(contents.windowOpenHandler!({ url: 'https://www.dropbox.com/oauth2/authorize' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
  });
});

describe('#13 frames navigate no more than the window', () => {
  it('prevents will-frame-navigate, for a sub-frame and the main frame alike', () => {
    const contents = new FakeWebContents();
    lockNavigation(contents as never);
    expect(contents.cancellable('will-frame-navigate', { url: 'https://evil.example/', isMainFrame: false })).toBe(true);
    expect(contents.cancellable('will-frame-navigate', { url: 'app://authtray/other.html', isMainFrame: true })).toBe(true);
  });
});

describe('#8 shell.openExternal allow-list', () => {
  const open = (url: string, host: string, allowLoopbackHttp = false) => isAllowedExternalUrl(url, host, { allowLoopbackHttp });
  it('opens https on the provider authorization host', () => {
    expect(open('https://www.dropbox.com/oauth2/authorize?client_id=x', 'www.dropbox.com')).toBe(true);
    expect(open('https://account.box.com/api/oauth2/authorize?x=1', 'account.box.com')).toBe(true);
    expect(open('https://idp.example:8443/auth', 'idp.example:8443')).toBe(true);
  });
  it.each([
    ['http on the right host', 'http://www.dropbox.com/oauth2/authorize', 'www.dropbox.com'],
    ['another host', 'https://evil.example/oauth2/authorize', 'www.dropbox.com'],
    ['a subdomain', 'https://evil.www.dropbox.com/', 'www.dropbox.com'],
    ['a look-alike suffix', 'https://www.dropbox.com.evil.example/', 'www.dropbox.com'],
    ['user info', 'https://www.dropbox.com@evil.example/', 'www.dropbox.com'],
    ['user info on the right host', 'https://user:pw@www.dropbox.com/', 'www.dropbox.com'],
    ['another port', 'https://www.dropbox.com:444/', 'www.dropbox.com'],
    ['javascript:', 'javascript:alert(1)', 'www.dropbox.com'],
    ['file:', 'file:///etc/passwd', ''],
    ['a custom scheme', 'ms-settings:privacy', 'www.dropbox.com'],
    ['not a URL', 'www.dropbox.com/oauth2/authorize', 'www.dropbox.com'],
  ])('refuses %s', (_name, url, host) => {
    expect(open(url, host, true)).toBe(false);
  });
  it('opens the sandbox on http://127.0.0.1 only when run from source', () => {
    expect(open('http://127.0.0.1:7480/auth?x=1', '127.0.0.1:7480', true)).toBe(true);
    expect(open('http://127.0.0.1:7480/auth?x=1', '127.0.0.1:7480', false)).toBe(false);
    expect(open('http://localhost:7480/auth', 'localhost:7480', true)).toBe(false);
    expect(open('http://10.0.0.1:7480/auth', '10.0.0.1:7480', true)).toBe(false);
  });
});

describe('#9 permissions', () => {
  it('denies every permission request and check', () => {
    const session = new FakeSession();
    denyAllPermissions(session as never);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'fullscreen']) {
      const answers: boolean[] = [];
      session.requestHandler!({}, permission, (granted) => answers.push(granted), {});
      expect(answers, permission).toEqual([false]);
      expect(session.checkHandler!({}, permission, 'file://', {}), permission).toBe(false);
    }
  });
});
