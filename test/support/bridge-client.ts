// The browser tests' preload: the real createAuthtrayApi over a loopback HTTP bridge (fetch for
// invoke, server-sent events for subscriptions), exposed on window the way contextBridge does.
import { API_NAME, createAuthtrayApi } from '../../preload/index.js';

const events = new EventSource('./bridge/events');
const api = createAuthtrayApi({
  async invoke(channel, payload) {
    const response = await fetch(`./bridge/ipc/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload ?? null) });
    return response.json();
  },
  subscribe(channel, listener) {
    const handler = (event: MessageEvent<string>) => listener(JSON.parse(event.data));
    events.addEventListener(channel, handler);
    return () => events.removeEventListener(channel, handler);
  },
});
Object.defineProperty(window, API_NAME, { value: api, enumerable: true });
