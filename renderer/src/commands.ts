// The tray's requests ("Link account…", "Unlink…"), buffered from the moment the page starts: the
// first one can arrive before React has mounted.
import type { AuthtrayApi, UiCommand } from '../../preload/api.js';

export interface CommandBuffer {
  /** The latest command and its sequence number (0: none yet). */
  current(): { seq: number; command: UiCommand | null };
  subscribe(listener: () => void): () => void;
}

export function commandBuffer(api: Pick<AuthtrayApi, 'onCommand'>): CommandBuffer {
  let snapshot: { seq: number; command: UiCommand | null } = { seq: 0, command: null };
  const listeners = new Set<() => void>();
  api.onCommand((command) => {
    snapshot = { seq: snapshot.seq + 1, command };
    for (const listener of listeners) listener();
  });
  return {
    current: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
