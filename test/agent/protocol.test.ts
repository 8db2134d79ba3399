// The agent's line protocol under malformed, unexpected and oversized input (property-based, on
// the real `authtray agent`'s socket): every line gets one typed answer that names no value, a line
// over the bound ends the connection, and the agent keeps serving.
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAnswer } from '../../main/agent/client.js';
import { MAX_REQUEST_BYTES } from '../../main/agent/wire.js';
import { tempHome } from '../support/cli.js';
import { agentEnv, ask, runtimeDir, startAgent, type RunningAgent } from './support.js';

let agent: RunningAgent;
let home: string;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  const [h, runtime] = [await tempHome(), await runtimeDir()];
  cleanups.push(h.cleanup, runtime.cleanup);
  home = h.dir;
  agent = await startAgent(agentEnv(home, runtime.dir));
});
afterAll(async () => {
  await agent?.stop();
  for (const cleanup of cleanups) await cleanup();
});

/** Sends `bytes` on a new connection; everything the agent wrote back, and whether it closed the connection. */
function exchange(bytes: Buffer, waitForLines = 1): Promise<{ lines: string[]; closedByAgent: boolean }> {
  return new Promise((resolve, reject) => {
    const conn = connect(agent.socket);
    let out = '';
    const done = (closedByAgent: boolean) => {
      conn.destroy();
      resolve({ lines: out.split('\n').filter(Boolean), closedByAgent });
    };
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      out += chunk;
      if (out.split('\n').length - 1 >= waitForLines && waitForLines > 0) setTimeout(() => done(false), 0);
    });
    conn.on('end', () => done(true));
    conn.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? done(true) : reject(err)));
    conn.write(bytes);
  });
}

const BAD_REQUEST =
  /^Bad request to the authtray agent: (the request is not JSON|the request is missing or invalid \(\w+\)|field "(v|op|profile|home|minValidMs)" is missing or invalid \(\w+\)|this agent speaks protocol version 1 only)\. See "The agent" in the README for the protocol\.$/;

function expectBadRequest(line: string | undefined): void {
  const answer = parseAnswer(line ?? '');
  expect(answer).not.toBeNull();
  expect(answer?.ok).toBe(false);
  if (!answer || answer.ok) return;
  expect(answer.error.code).toBe('BAD_REQUEST');
  expect(answer.error.message).toMatch(BAD_REQUEST);
}

it('any line that is not a request gets one BAD_REQUEST answer naming no value', async () => {
  const notJson = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !s.includes('\n'));
  const wrongShape = fc.jsonValue().map((v) => JSON.stringify(v));
  const nearMiss = fc
    .record(
      { v: fc.oneof(fc.constant(1), fc.jsonValue()), op: fc.oneof(fc.constantFrom('token', 'status', 'link'), fc.string()), profile: fc.jsonValue(), minValidMs: fc.jsonValue(), extra: fc.jsonValue() },
      { requiredKeys: [] },
    )
    .filter((r) => !(r.v === 1 && r.op === 'status' && Object.keys(r).length === 2))
    .map((r) => JSON.stringify(r));
  await fc.assert(
    fc.asyncProperty(fc.oneof(notJson, wrongShape, nearMiss), async (line) => {
      const { lines } = await exchange(Buffer.from(`${line}\n`));
      expect(lines).toHaveLength(1);
      const answer = parseAnswer(lines[0]!);
      // A near miss can be a real request for a profile that does not exist: then a typed USAGE / NOT_LINKED.
      const code = answer && !answer.ok ? answer.error.code : null;
      if (code !== null && code !== 'BAD_REQUEST') expect(['USAGE', 'NOT_LINKED']).toContain(code);
      else expectBadRequest(lines[0]);
    }),
    { numRuns: 150 },
  );
});

it('a line longer than the bound is refused and the connection closed; the agent keeps serving', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: MAX_REQUEST_BYTES, max: 6 * MAX_REQUEST_BYTES }), fc.boolean(), async (size, newline) => {
      const body = `{"v":1,"op":"token","profile":"${'x'.repeat(size)}"}`;
      const { lines, closedByAgent } = await exchange(Buffer.from(newline ? `${body}\n` : body), 0);
      expect(closedByAgent).toBe(true);
      expect(lines).toHaveLength(1);
      expect(parseAnswer(lines[0]!)).toEqual({
        v: 1,
        ok: false,
        error: { code: 'BAD_REQUEST', message: `Bad request to the authtray agent: a request line is longer than ${MAX_REQUEST_BYTES} bytes. See "The agent" in the README for the protocol.` },
      });
    }),
    { numRuns: 30 },
  );
  // Several requests on one connection are answered in order.
  const { lines } = await exchange(Buffer.from('{"v":1,"op":"status"}\nnope\n{"v":2,"op":"status"}\n'), 3);
  expect(lines.map((l) => parseAnswer(l)?.ok)).toEqual([true, false, false]);
  expect(lines[2]).toContain('this agent speaks protocol version 1 only');
  expect(await ask(agent.socket, home, { op: 'token', profile: 'work' })).toEqual({
    v: 1,
    ok: false,
    // Words for any caller, and the command's own for the `authtray token` that prints them.
    error: { code: 'NOT_LINKED', message: 'Profile "work" is not linked. Link it first.', cliMessage: 'Profile "work" is not linked. Run: authtray link --profile work --provider ...' },
  });
});
