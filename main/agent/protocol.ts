/**
 * The agent's requests, validated with zod before anything acts on them (wire.ts has the format).
 * A line that is not JSON, not one of these, or too long gets a BAD_REQUEST answer naming the
 * field, never echoing a value.
 */
import { z } from 'zod';
import { ErrorCodes } from '../errors.js';
import { MAX_MIN_VALID_MS } from './duration.js';
import { PROTOCOL_VERSION, type Answer, type Waiting, type WireError } from './wire.js';

const profile = z.string().min(1).max(64);
/** The caller's authtray home: an agent serves one, and answers for no other. */
const home = z.string().min(1).max(1024);
/** The caller's own name for itself: shown as unverified where the OS does not say who connects. */
const client = z.string().min(1).max(128);

export const Request = z.discriminatedUnion('op', [
  z.strictObject({ v: z.literal(PROTOCOL_VERSION), op: z.literal('token'), profile, home: home.optional(), client: client.optional(), minValidMs: z.number().int().min(0).max(MAX_MIN_VALID_MS).optional() }),
  z.strictObject({ v: z.literal(PROTOCOL_VERSION), op: z.literal('status'), home: home.optional() }),
]);
export type Request = z.infer<typeof Request>;

/** The request in `line`, or the error to answer with. */
export function parseRequest(line: string): { request: Request } | { error: WireError } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: badRequest('the request is not JSON') };
  }
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== PROTOCOL_VERSION) {
    return { error: badRequest(`this agent speaks protocol version ${PROTOCOL_VERSION} only`) };
  }
  const parsed = Request.safeParse(value);
  if (parsed.success) return { request: parsed.data };
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? `field "${issue.path.join('.')}"` : 'the request';
  return { error: badRequest(`${field} is missing or invalid (${issue?.code ?? 'invalid'})`) };
}

export function badRequest(why: string): WireError {
  return { code: ErrorCodes.BAD_REQUEST, message: `Bad request to the authtray agent: ${why}. See "The agent" in the README for the protocol.` };
}

export const answerLine = (answer: Answer | Waiting) => `${JSON.stringify(answer)}\n`;
