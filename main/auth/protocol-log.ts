/**
 * The protocol log (`--verbose`, AUTHTRAY_DEBUG=1): every request to a provider and its answer,
 * one line each, with every secret redacted. This module is the one place where that is decided:
 * nothing else writes request or answer contents anywhere. Which names are secret: main/secret-names.ts.
 */
import { isSecretName, REDACTED } from '../secret-names.js';

export { REDACTED } from '../secret-names.js';

const isSecret = isSecretName;

/** A URL with the values of secret query parameters replaced. */
export function redactUrl(url: string | URL): string {
  const copy = new URL(url);
  copy.username = copy.password = '';
  for (const name of new Set(copy.searchParams.keys())) if (isSecret(name)) copy.searchParams.set(name, REDACTED);
  return copy.href.replace(/%5Bredacted%5D/g, REDACTED);
}

/** A JSON value with secret members replaced, at any depth. */
function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecret(k) ? REDACTED : redactJson(v)]));
}

/** A request or answer body as the log shows it: forms and JSON with secrets replaced; anything else by type and size. */
export function redactBody(body: string, contentType: string | null): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(body);
    for (const name of new Set(params.keys())) if (isSecret(name)) params.set(name, REDACTED);
    return params.toString().replace(/%5Bredacted%5D/g, REDACTED);
  }
  try {
    return JSON.stringify(redactJson(JSON.parse(body)));
  } catch {
    return `(${Buffer.byteLength(body)} bytes${type ? ` of ${type}` : ''})`;
  }
}

function redactHeaders(headers: Headers): string {
  const shown: string[] = [];
  headers.forEach((value, name) => {
    if (name === 'content-type' || name === 'location' || name === 'www-authenticate' || isSecret(name)) {
      shown.push(`${name}: ${isSecret(name) ? REDACTED : value}`);
    }
  });
  return shown.length ? ` [${shown.join('; ')}]` : '';
}

/** Wraps `fetch` so that each request and its answer are written to `write`, redacted. */
export function loggingFetch(inner: typeof fetch, write: (line: string) => void): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const sent = request.body ? await request.clone().text() : '';
    write(`> ${request.method} ${redactUrl(request.url)}${redactHeaders(request.headers)}${sent ? ` ${redactBody(sent, request.headers.get('content-type'))}` : ''}`);
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (err) {
      write(`< no answer from ${new URL(request.url).host}: ${err instanceof Error ? `${err.name}: ${err.message}` : 'failed'}`);
      throw err;
    }
    const text = await response.clone().text().catch(() => '');
    write(`< HTTP ${response.status}${redactHeaders(response.headers)}${text ? ` ${redactBody(text, response.headers.get('content-type'))}` : ''}`);
    return response;
  };
}
