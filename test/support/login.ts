/**
 * Plays the user in the sandbox's browser pages, over plain HTTP: opens the authorization URL, logs
 * in with any name, approves (or cancels), and stops at the redirect back to the client. With
 * `follow`, it then loads that redirect too, as the browser would (the loopback listener's page).
 */
import type { Accounts, ProfileStatus } from '../../main/accounts.js';
import type { ProfileSettings } from '../../main/auth/providers/index.js';

export interface ApproveOptions {
  /** The user name to log in with (the sandbox accepts any). */
  login?: string;
  /** Cancel at the consent page instead: the client gets `error=access_denied`. */
  deny?: boolean;
  /** Load the final redirect like a browser (reaches the loopback listener). */
  follow?: boolean;
}

export interface Approval {
  /** Where the provider sent the browser back to: the client's redirect URI with code or error. */
  redirectUrl: string;
  /** With `follow`: the answer the redirect URI gave. */
  response?: Response;
  /** With `follow`: that answer's body. */
  body?: string;
}

/** Links `profile` through `accounts` by pasting the redirect URL the sandbox sends the browser to. */
export async function linkByPaste(accounts: Accounts, profile: string, settings: ProfileSettings, login = 'alice'): Promise<ProfileStatus> {
  const started = await accounts.startLink(profile, settings, { redirect: 'paste' });
  const { redirectUrl } = await approve(started.url, { login });
  return accounts.finishLink(profile, redirectUrl);
}

/** The provider's own pages: authorization and interaction, wherever the provider is mounted. Anything else is the way back. */
const isProviderPage = (url: URL, origin: string) => url.origin === origin && /\/(auth|interaction)(\/|$)/.test(url.pathname);

export async function approve(authorizationUrl: string, options: ApproveOptions = {}): Promise<Approval> {
  const login = options.login ?? 'alice';
  const origin = new URL(authorizationUrl).origin;
  const cookies = new Map<string, string>();
  const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  };

  let url = new URL(authorizationUrl);
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() } });
    remember(response);
    init = {};
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const next = new URL(response.headers.get('location')!, url);
      if (!isProviderPage(next, origin)) return finish(next.href, options);
      url = next;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`sandbox page ${url.pathname} answered HTTP ${response.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`unexpected sandbox page at ${url.pathname}: ${html.slice(0, 300)}`);
    const submit = new URL(action.replace(/&amp;/g, '&'), url);
    if (prompt === 'consent' && options.deny) {
      url = new URL(`${submit.pathname}/abort`, url);
      continue;
    }
    url = submit;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt }).toString(),
    };
  }
  throw new Error('the sandbox did not redirect back within 20 steps');
}

async function finish(redirectUrl: string, options: ApproveOptions): Promise<Approval> {
  if (!options.follow) return { redirectUrl };
  const response = await fetch(redirectUrl, { redirect: 'manual' });
  const body = await response.text();
  return { redirectUrl, response, body };
}
