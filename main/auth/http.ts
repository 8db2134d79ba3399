import * as oauth from 'oauth4webapi';
import { AuthtrayError, ConnectionFailedError, ProviderAnswerError } from '../errors.js';
import type { AuthDeps } from './deps.js';

export { defaultAuthDeps, type AuthDeps } from './deps.js';

/** True for URLs on 127.0.0.0/8, ::1 or `localhost`: the only places plain http is accepted. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Options for every oauth4webapi request: the injected fetch, a timeout, and plain http only for
 * loopback endpoints (the sandbox and tests). `allowInsecureRequests` is deprecated upstream because
 * it weakens security; here it is confined to hosts that never leave the machine.
 */
export function requestOptions(deps: AuthDeps, endpoint: string | URL) {
  const url = typeof endpoint === 'string' ? new URL(endpoint) : endpoint;
  return {
    [oauth.customFetch]: deps.fetch,
    [oauth.allowInsecureRequests]: url.protocol === 'http:' && isLoopbackUrl(url),
    signal: AbortSignal.timeout(deps.requestTimeoutMs),
  };
}

/** Refuses endpoints that would send tokens in clear text to another machine. */
export function assertSafeEndpoint(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AuthtrayError('USAGE', `The ${name} "${value.slice(0, 200)}" is not a URL.`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) return url;
  throw new AuthtrayError('USAGE', `The ${name} ${url.origin} must use https (plain http is allowed only on 127.0.0.1 or ::1).`);
}

/** True when no answer came: network failures, refused connections, timeouts. */
function isNoAnswer(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return true;
  // undici reports network failures as `TypeError: fetch failed`, with the socket error as cause.
  return err instanceof TypeError && err.message === 'fetch failed';
}

/** The HTTP response an oauth4webapi error (or a plain Response) carries, if any. */
function responseOf(err: unknown): Response | null {
  if (err instanceof Response) return err;
  if (err instanceof oauth.ResponseBodyError) return err.response;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause instanceof Response ? cause : null;
}

/**
 * True when `err` means the provider could not be reached or is having trouble: no answer, a
 * timeout, a 5xx. Only those are "connection failed" (exit 2, retry later); a 4xx is a refusal.
 */
export function isConnectionFailure(err: unknown): boolean {
  if (isNoAnswer(err)) return true;
  const status = responseOf(err)?.status;
  return typeof status === 'number' && status >= 500;
}

/** Wraps a connection failure in a message naming the host, what went wrong and the next step. */
export function connectionFailed(url: string | URL, err: unknown): ConnectionFailedError {
  const host = new URL(url).host;
  const status = responseOf(err)?.status;
  const message =
    typeof status === 'number' && status >= 500
      ? `${host} answered with a server error (HTTP ${status}). Try again later.`
      : `Could not reach ${host}. Check your connection and try again.`;
  return new ConnectionFailedError(message, { cause: err });
}

/** The HTTP status a failed request was answered with; null when none came. */
export function responseStatus(err: unknown): number | null {
  return responseOf(err)?.status ?? null;
}

/** The status and OAuth error of a refusal, as messages show them: `HTTP 400, invalid_grant: why`. */
export function refusalDetail(err: unknown): string {
  const status = responseOf(err)?.status;
  const parts = [typeof status === 'number' ? `HTTP ${status}` : 'refused'];
  if (err instanceof oauth.ResponseBodyError) {
    parts[0] += `, ${err.error.slice(0, 100)}`;
    if (err.error_description) parts[0] += `: ${err.error_description.slice(0, 300)}`;
  }
  return parts[0]!;
}

/** The claim an ID token failed on (iss, aud, nonce, ...), when that is what went wrong. */
function failedIdTokenClaim(err: unknown): { claim: string; expected: unknown; got: unknown; tid?: unknown } | null {
  if (!(err instanceof oauth.OperationProcessingError) || err.code !== oauth.JWT_CLAIM_COMPARISON) return null;
  const cause = err.cause as { claim?: string; expected?: unknown; claims?: Record<string, unknown> } | undefined;
  if (!cause?.claim) return null;
  return { claim: cause.claim, expected: cause.expected, got: cause.claims?.[cause.claim], tid: cause.claims?.tid };
}

/**
 * Every failed provider request, said as what the server did: no answer or a 5xx (ConnectionFailed,
 * retry later), a refusal with its status and OAuth error, an answer that is not JSON (with its
 * content type: the URL is likely wrong), an ID token whose iss / aud / nonce does not match.
 * `what` names the request ("the code exchange"); `next` is the step that fixes a refusal.
 * The underlying error stays as `cause`.
 */
export function providerFailure(what: string, url: string | URL, err: unknown, next = 'check the app registration'): AuthtrayError {
  if (err instanceof AuthtrayError) return err;
  if (isConnectionFailure(err)) return connectionFailed(url, err);
  const host = new URL(url).host;
  const response = responseOf(err);
  const claim = failedIdTokenClaim(err);
  if (claim) return idTokenMismatch(claim, err);
  if (err instanceof oauth.OperationProcessingError && /"id_token" property/.test(err.message)) {
    return new ProviderAnswerError(`${host} sent no ID token although openid was asked (OpenID Connect Core §3.1.3.3); link without the openid scope, or check the server's OpenID Connect settings.`, { cause: err });
  }
  if (response && response.status >= 400) {
    return new ProviderAnswerError(`${host} refused ${what} (${refusalDetail(err)}); ${next}.`, { cause: err, status: response.status, oauthError: err instanceof oauth.ResponseBodyError ? err.error : null });
  }
  if (err instanceof oauth.OperationProcessingError && (err.code === oauth.RESPONSE_IS_NOT_JSON || err.code === oauth.PARSE_ERROR)) {
    const type = response?.headers.get('content-type')?.split(';')[0]?.trim() || 'no content type';
    const status = response ? `HTTP ${response.status}, ` : '';
    return new ProviderAnswerError(`${host} answered ${what} with something that is not JSON (${status}${type}): check that ${new URL(url).href} is the right endpoint.`, { cause: err });
  }
  const reason = err instanceof Error ? err.message.replace(/"response" /g, 'the answer ').slice(0, 200) : 'unknown error';
  return new ProviderAnswerError(`${host} answered ${what} in a way authtray cannot use (${reason}); check the provider's endpoints.`, { cause: err });
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? 'nothing');

function idTokenMismatch(c: { claim: string; expected: unknown; got: unknown; tid?: unknown }, err: unknown): AuthtrayError {
  switch (c.claim) {
    case 'iss':
      // A Microsoft multi-tenant issuer: the expected one was the template with the token's own tid.
      if (typeof c.expected === 'string' && (c.expected.includes('/undefined/') || (typeof c.tid === 'string' && c.expected.includes(`/${c.tid}/`)))) {
        return new ProviderAnswerError(
          `The ID token names tenant ${show(c.tid ?? 'none')} but says its issuer is ${show(c.got)}, not ${show(c.expected)}: its tenant and issuer do not match, so authtray refused it. Link again; if it repeats, check the tenant.`,
          {
            cause: err,
            cliMessage: `The ID token names tenant ${show(c.tid ?? 'none')} but says its issuer is ${show(c.got)}, not ${show(c.expected)}: its tenant and issuer do not match, so authtray refused it. Link again; if it repeats, check --tenant.`,
          },
        );
      }
      return new ProviderAnswerError(`The ID token says its issuer is ${show(c.got)}, not ${show(c.expected)}; link with the issuer ${show(c.got)} if that is the server you mean.`, {
        cause: err,
        cliMessage: `The ID token says its issuer is ${show(c.got)}, not ${show(c.expected)}; link with --issuer ${show(c.got)} if that is the server you mean.`,
      });
    case 'aud':
      return new ProviderAnswerError(`The ID token is for ${show(c.got)}, not for this client (${show(c.expected)}); check the client id.`, { cause: err });
    case 'nonce':
      // The values are single-use secrets of the link attempt: not shown.
      return new ProviderAnswerError('The ID token does not carry the nonce of this link attempt (it belongs to another login); start the link again.', { cause: err });
    default:
      return new ProviderAnswerError(`The ID token's "${c.claim}" claim does not match; start the link again.`, { cause: err });
  }
}

/** Reads a JSON body from a plain API response, mapping failures to typed errors. */
export async function readJson(response: Response, what: string): Promise<Record<string, unknown>> {
  if (response.status >= 500) throw connectionFailed(response.url || 'http://provider', response);
  if (!response.ok) throw new AuthtrayError('PROVIDER_ERROR', `The provider refused the ${what} request (HTTP ${response.status}). Link the account again.`);
  let body: unknown;
  try {
    body = await response.json();
  } catch (err) {
    throw new ProviderAnswerError(`The provider answered the ${what} request with something that is not JSON (${response.headers.get('content-type')?.split(';')[0] || 'no content type'}); check the provider's API URL.`, { cause: err });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AuthtrayError('PROVIDER_ERROR', `The provider answered the ${what} request with no JSON object; check the provider's API URL.`);
  }
  return body as Record<string, unknown>;
}
