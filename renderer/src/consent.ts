// The agent's consent questions and the programs allowed for good, as main has them: loaded once,
// then kept current by main's consent:changed events (an event wins over a slower first load).
import { useEffect, useState } from 'react';
import type { AuthtrayApi, ConsentView } from '../../preload/api.js';

export function useConsent(api: Pick<AuthtrayApi, 'consent' | 'onConsentChanged'>): [ConsentView | null, (view: ConsentView) => void] {
  const [view, setView] = useState<ConsentView | null>(null);
  useEffect(() => {
    let changed = false;
    const unsubscribe = api.onConsentChanged((next) => {
      changed = true;
      setView(next);
    });
    void api.consent().then((result) => {
      if (result.ok && !changed) setView(result.value);
    });
    return unsubscribe;
  }, [api]);
  return [view, setView];
}
