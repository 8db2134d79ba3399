// The loopback redirect listener on real sockets: where it binds, what it answers, when it stops.
import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CancelledError, CsrfError, NotApprovedError } from '../../main/errors.js';
import { LOOPBACK_PATH, startLoopbackListener } from '../../main/auth/loopback.js';

/** True when a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function get(port: number, path: string, method = 'GET', host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: host === undefined ? {} : { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Sends raw bytes and resolves with everything the listener answered before it closed. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setEncoding('utf8').on('data', (c: string) => (answer += c));
    socket.once('error', reject);
    socket.once('close', () => resolve(answer));
    socket.write(text);
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MARKER = 'R3FL3CT3D';
const hostile = `?code=${MARKER}%3Cscript%3E&state=${MARKER}&error_description=${MARKER}%3Cb%3E`;

describe('loopback listener', () => {
  it('binds 127.0.0.1 only: not ::1, not 127.0.0.2', async () => {
    const listener = await startLoopbackListener({ port: 0, handle: async () => 'ok' });
    try {
      expect(listener.redirectUri).toBe(`http://127.0.0.1:${listener.port}${LOOPBACK_PATH}`);
      expect(await accepts('127.0.0.1', listener.port)).toBe(true);
      expect(await accepts('127.0.0.2', listener.port)).toBe(false);
      expect(await accepts('::1', listener.port)).toBe(false);
    } finally {
      listener.cancel();
    }
  });

  it('answers other paths with 404 and other methods with 405, and keeps waiting', async () => {
    let calls = 0;
    const listener = await startLoopbackListener({ port: 0, state: 'y', handle: async () => ++calls });
    expect((await get(listener.port, '/')).status).toBe(404);
    expect((await get(listener.port, `/other${hostile}`)).status).toBe(404);
    expect((await get(listener.port, `${LOOPBACK_PATH}?code=x`, 'POST')).status).toBe(405);
    expect(calls).toBe(0);
    expect((await get(listener.port, `${LOOPBACK_PATH}?code=x&state=y`)).status).toBe(200);
    expect(await listener.result).toBe(1);
  });

  it('a forged callback (wrong state) is refused without ending the wait; the genuine one finishes it', async () => {
    const listener = await startLoopbackListener({
      port: 0,
      handle: async (params) => {
        if (params.get('state') !== 'good') throw new CsrfError();
        return params.get('code');
      },
    });
    // Until the link's state is known, nothing gets through.
    expect((await get(listener.port, `${LOOPBACK_PATH}?code=real&state=good`)).status).toBe(400);
    listener.expectState('good');
    for (const query of ['?code=evil&state=bad', '?code=evil', '?code=evil&state=good&state=bad', '?code=evil&state=goo', '?code=evil&state=goodX']) {
      expect((await get(listener.port, `${LOOPBACK_PATH}${query}`)).status).toBe(400);
    }
    const forged = await get(listener.port, `${LOOPBACK_PATH}?code=evil&state=bad`);
    expect(forged.status).toBe(400);
    const genuine = await get(listener.port, `${LOOPBACK_PATH}?code=real&state=good`);
    expect(genuine.status).toBe(200);
    expect(await listener.result).toBe('real');
  });

  it('takes one callback: a concurrent copy of it is refused, and after success the port is closed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const listener = await startLoopbackListener({
      port: 0,
      state: 's',
      handle: async (params) => {
        await gate;
        return params.get('code');
      },
    });
    const first = get(listener.port, `${LOOPBACK_PATH}?code=one&state=s`);
    await new Promise((r) => setTimeout(r, 50));
    const second = await get(listener.port, `${LOOPBACK_PATH}?code=two&state=s`);
    expect(second.status).toBe(409);
    release();
    expect((await first).status).toBe(200);
    expect(await listener.result).toBe('one');
    await new Promise((r) => setTimeout(r, 20));
    expect(await accepts('127.0.0.1', listener.port)).toBe(false);
  });

  it('50 forged callbacks in flight, before and during the genuine one, neither delay nor stop it', async () => {
    const seen: string[] = [];
    // The code exchange of the genuine callback lasts until every forged one has been answered.
    let exchanged!: () => void;
    const exchange = new Promise<void>((r) => (exchanged = r));
    // Like the real handler: a check that takes a while (the pending link is read from disk), then the code exchange.
    const listener = await startLoopbackListener({
      port: 0,
      state: 'genuine-state',
      handle: async (params) => {
        seen.push(params.get('code')!);
        await delay(50);
        if (params.get('state') !== 'genuine-state') throw new CsrfError();
        await exchange;
        return params.get('code');
      },
    });
    const forge = (i: number) => get(listener.port, `${LOOPBACK_PATH}?code=forged${i}&state=forged-state-${i}`);
    // Ten connections that started a forged request and never finish it.
    const stalled = Array.from({ length: 10 }, () => connect({ host: '127.0.0.1', port: listener.port }));
    for (const s of stalled) s.on('error', () => {}).write(`GET ${LOOPBACK_PATH}?code=slow&state=x HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\n`);
    try {
      const before = Array.from({ length: 25 }, (_, i) => forge(i));
      await delay(10);
      const genuine = get(listener.port, `${LOOPBACK_PATH}?code=real&state=genuine-state`);
      await delay(60); // the genuine callback is being handled now
      const during = Array.from({ length: 25 }, (_, i) => forge(25 + i));
      const forged = await Promise.all([...before, ...during]);
      expect(forged.map((f) => f.status)).toEqual(Array(50).fill(400));
      exchanged();
      expect((await genuine).status).toBe(200);
      expect(await listener.result).toBe('real');
      expect(seen).toEqual(['real']);
    } finally {
      for (const s of stalled) s.destroy();
    }
  });

  it('a request naming another host (DNS rebinding) gets an empty 421, a target that is no URL a 400; neither reaches the handler', async () => {
    let calls = 0;
    const listener = await startLoopbackListener({ port: 0, state: 'good', handle: async () => ++calls });
    const path = `${LOOPBACK_PATH}?code=c&state=good`;
    for (const host of [`evil.example:${listener.port}`, `localhost:${listener.port}`, '127.0.0.1', `127.0.0.1:${listener.port + 1}`, `127.0.0.1.evil.example:${listener.port}`]) {
      expect(await get(listener.port, path, 'GET', host)).toEqual({ status: 421, body: '' });
    }
    // No Host at all (HTTP/1.0).
    const answer = await raw(listener.port, `GET ${path} HTTP/1.0\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
    expect(answer.split('\r\n\r\n')[1]).toBe('');
    // A request target that is no URL at all is answered, and the listener (the process) lives on.
    expect(await raw(listener.port, `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /);
    expect(calls).toBe(0);
    // [::1]:PORT is our own name too (the listener itself binds 127.0.0.1 only).
    expect((await get(listener.port, path, 'GET', `[::1]:${listener.port}`)).status).toBe(200);
    expect(await listener.result).toBe(1);
  });

  it('a final error (not approved) ends the wait with that error', async () => {
    const listener = await startLoopbackListener({
      port: 0,
      state: 's',
      handle: async () => {
        throw new NotApprovedError();
      },
    });
    const page = await get(listener.port, `${LOOPBACK_PATH}?error=access_denied&state=s`);
    expect(page.status).toBe(400);
    await expect(listener.result).rejects.toBeInstanceOf(NotApprovedError);
  });

  it('times out, rejects with CancelledError and closes the port', async () => {
    const listener = await startLoopbackListener({ port: 0, timeoutMs: 100, handle: async () => 'never' });
    await expect(listener.result).rejects.toBeInstanceOf(CancelledError);
    expect(await accepts('127.0.0.1', listener.port)).toBe(false);
  });

  it('cancel() ends the wait and closes the port', async () => {
    const listener = await startLoopbackListener({ port: 0, handle: async () => 'never' });
    listener.cancel();
    await expect(listener.result).rejects.toBeInstanceOf(CancelledError);
    expect(await accepts('127.0.0.1', listener.port)).toBe(false);
  });

  it('fails to start on a busy port with the socket error', async () => {
    const first = await startLoopbackListener({ port: 0, handle: async () => 1 });
    try {
      await expect(startLoopbackListener({ port: first.port, handle: async () => 2 })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      first.cancel();
    }
  });

  it('reflects nothing from the request in any page it serves', async () => {
    const outcomes: ((p: URLSearchParams) => Promise<string>)[] = [
      async () => 'ok',
      async () => {
        throw new CsrfError();
      },
      async () => {
        throw new NotApprovedError();
      },
      async () => {
        throw new Error('unexpected');
      },
    ];
    for (const handle of outcomes) {
      for (const path of [`${LOOPBACK_PATH}${hostile}`, `/${MARKER}${hostile}`]) {
        const listener = await startLoopbackListener({ port: 0, state: MARKER, handle });
        const page = await get(listener.port, path);
        expect(page.body).not.toContain(MARKER);
        expect(page.body).toMatch(/^<!doctype html>/);
        listener.cancel();
        await listener.result.catch(() => {});
      }
    }
  });
});
