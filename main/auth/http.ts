import * as oauth from 'oauth4webapi';
import { AuthtrayError, ConnectionFailedError } from '../errors.js';
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

/**
 * True when `err` means the provider could not be reached or did not answer like an OAuth server:
 * network failures, timeouts, 5xx pages and non-JSON answers. Those are "connection failed" (retry
 * later), never "code rejected" (start again).
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return true;
  // undici reports network failures as `TypeError: fetch failed`, with the socket error as cause.
  if (err instanceof TypeError && err.message === 'fetch failed') return true;
  if (err instanceof oauth.ResponseBodyError) return err.status >= 500;
  if (err instanceof oauth.OperationProcessingError) {
    const status = (err.cause as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number' && status >= 500) return true;
    return err.code === oauth.RESPONSE_IS_NOT_JSON;
  }
  return false;
}

/** The HTTP status an oauth4webapi error (or our own) carries, if any. */
function httpStatusOf(err: unknown): number | null {
  if (err instanceof oauth.ResponseBodyError) return err.status;
  const status = (err as { cause?: { status?: unknown } } | undefined)?.cause?.status ?? (err as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : null;
}

/** Wraps a connection failure in a message naming the host, what went wrong and the next step. */
export function connectionFailed(url: string | URL, err: unknown): ConnectionFailedError {
  const host = new URL(url).host;
  const status = httpStatusOf(err);
  const message =
    status !== null && status >= 500
      ? `${host} answered with a server error (HTTP ${status}). Try again later.`
      : err instanceof oauth.OperationProcessingError
        ? `${host} did not answer like an OAuth server. Try again later; if it persists, check the provider's endpoints.`
        : `Could not reach ${host}. Check your connection and try again.`;
  return new ConnectionFailedError(message, { cause: err });
}

/** Reads a JSON body from a plain API response, mapping failures to typed errors. */
export async function readJson(response: Response, what: string): Promise<Record<string, unknown>> {
  if (response.status >= 500) throw connectionFailed(response.url || 'http://provider', response);
  let body: unknown;
  try {
    body = await response.json();
  } catch (err) {
    throw connectionFailed(response.url || 'http://provider', err);
  }
  if (!response.ok || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AuthtrayError('PROVIDER_ERROR', `The provider refused the ${what} request (HTTP ${response.status}). Link the account again.`);
  }
  return body as Record<string, unknown>;
}
