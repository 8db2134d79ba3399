/**
 * Consent in the app: a program's first request for a profile's token asks the person (the window
 * shows the question), and the request waits for the answer: Allow once (this question: every
 * request waiting on it), Always for this program (kept in the app's settings until revoked), or
 * Deny (this question). Nobody answering within the bound is a denial. Requests from the same
 * program for the same profile share one question. Decisions match by program and profile: the
 * executable's path when the OS said it (verified), else the name the program gave (unverified),
 * and a verified decision never matches an unverified program of the same name, nor the reverse.
 *
 * No Electron here: the app wires the questions to its window and its settings file.
 */
import { randomUUID } from 'node:crypto';
import { BadStateError, NotApprovedError } from '../errors.js';
import type { ConsentAnswer, ConsentDecisionView, ConsentQuestionView, ConsentRevokeRequest, ConsentView } from '../../preload/api.js';
import { durationText } from './duration.js';
import { UNNAMED, type Asker } from './peer.js';

/** How long a question waits for the person by default. */
export const CONSENT_TIMEOUT_MS = 2 * 60_000;

/** Where "Always" decisions are kept (the app: electron-store settings). */
export interface DecisionStore {
  load(): ConsentDecisionView[];
  save(decisions: ConsentDecisionView[]): void;
}

export interface ConsentOptions {
  decisions: DecisionStore;
  /** How long a question waits before it is taken as a denial (default 2 minutes). */
  timeoutMs?: number;
  /** The account a profile is linked to, as the person knows it ("Dropbox — alice@example.com"). */
  account?: (profile: string) => Promise<string | null>;
}

/** What the agent asks of consent: resolves when the program may have the token, else a NotApprovedError. */
export interface ConsentGate {
  /**
   * `waiting` is told how long the person has left to answer, when they are asked; `gone` aborts
   * when the caller went away (its question is withdrawn once nobody else waits on it).
   */
  check(asker: Asker, profile: string, waiting?: (timeoutMs: number) => void, gone?: AbortSignal): Promise<void>;
}

interface Pending {
  question: ConsentQuestionView;
  settle: (answer: Outcome) => void;
  done: Promise<Outcome>;
  timer: NodeJS.Timeout;
}

type Outcome = ConsentAnswer | 'timeout' | 'closed' | 'withdrawn';

const key = (program: string, verified: boolean, profile: string) => JSON.stringify([program, verified, profile]);

/** "/usr/bin/python3 (pid 42)", or the unverified name in quotes. */
export function askerText(asker: Pick<Asker, 'program' | 'verified' | 'pid'>): string {
  if (asker.verified) return `${asker.program}${asker.pid === null ? '' : ` (pid ${asker.pid})`}`;
  return asker.program === UNNAMED ? UNNAMED : `the program that calls itself "${asker.program}" (unverified)`;
}

export class Consent implements ConsentGate {
  readonly timeoutMs: number;
  readonly #options: ConsentOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #listeners = new Set<(view: ConsentView) => void>();
  readonly #askedListeners = new Set<(question: ConsentQuestionView) => void>();
  #closed = false;

  constructor(options: ConsentOptions) {
    this.#options = options;
    this.timeoutMs = options.timeoutMs ?? CONSENT_TIMEOUT_MS;
  }

  /** Resolves when `asker` may have `profile`'s token; a NotApprovedError says why not. */
  async check(asker: Asker, profile: string, waiting?: (timeoutMs: number) => void, gone?: AbortSignal): Promise<void> {
    if (this.#allowed(asker, profile)) return;
    if (this.#closed) throw new NotApprovedError(`The authtray app is stopping and did not ask whether ${askerText(asker)} may have a token for profile "${profile}". Run it again once authtray runs.`);
    const id = key(asker.program, asker.verified, profile);
    let pending = this.#pending.get(id);
    if (pending) {
      pending.question.requests++;
      this.#changed();
    } else {
      pending = await this.#ask(id, asker, profile);
    }
    waiting?.(Math.max(0, Date.parse(pending.question.expiresAt) - Date.now()));
    const answer = await this.#outcome(id, pending, gone);
    if (answer === 'once' || answer === 'always') return;
    if (answer === 'deny') throw new NotApprovedError(`You denied ${askerText(asker)} a token for profile "${profile}" in the authtray window. If that was a mistake, run it again and choose Allow.`);
    if (answer === 'withdrawn') throw new NotApprovedError(`${askerText(asker)} stopped waiting before anyone answered whether it may have a token for profile "${profile}".`);
    if (answer === 'closed') throw new NotApprovedError(`The authtray app stopped before anyone answered whether ${askerText(asker)} may have a token for profile "${profile}". Run it again once authtray runs.`);
    throw new NotApprovedError(
      `Nobody answered in the authtray window within ${durationText(this.timeoutMs)} whether ${askerText(asker)} may have a token for profile "${profile}", so it got none. Run it again and answer in the window.`,
    );
  }

  /** The person's answer, or `withdrawn` for a caller that went away (the last one takes the question back). */
  #outcome(id: string, pending: Pending, gone: AbortSignal | undefined): Promise<Outcome> {
    if (!gone) return pending.done;
    return new Promise((resolve) => {
      const leave = () => {
        resolve('withdrawn');
        if (this.#pending.get(id) !== pending) return;
        if (--pending.question.requests <= 0) this.#settle(id, 'withdrawn');
        else this.#changed();
      };
      if (gone.aborted) return leave();
      gone.addEventListener('abort', leave, { once: true });
      void pending.done.then((answer) => {
        gone.removeEventListener('abort', leave);
        resolve(answer);
      });
    });
  }

  async #ask(id: string, asker: Asker, profile: string): Promise<Pending> {
    const account = await (this.#options.account?.(profile) ?? Promise.resolve(null)).catch(() => null);
    // Someone else asked while the account was looked up.
    const already = this.#pending.get(id);
    if (already) {
      already.question.requests++;
      this.#changed();
      return already;
    }
    const now = Date.now();
    let settle!: Pending['settle'];
    const done = new Promise<Outcome>((resolve) => (settle = resolve));
    const question: ConsentQuestionView = {
      id: randomUUID(),
      program: asker.program,
      verified: asker.verified,
      pid: asker.pid,
      parent: asker.parent,
      profile,
      account,
      requests: 1,
      canRemember: asker.verified || asker.program !== UNNAMED,
      askedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.timeoutMs).toISOString(),
    };
    const timer = setTimeout(() => this.#settle(id, 'timeout'), this.timeoutMs);
    const pending: Pending = { question, settle, done, timer };
    this.#pending.set(id, pending);
    for (const listener of this.#askedListeners) listener({ ...question });
    this.#changed();
    return pending;
  }

  #allowed(asker: Asker, profile: string): boolean {
    return this.#options.decisions.load().some((d) => d.program === asker.program && d.verified === asker.verified && d.profile === profile);
  }

  #settle(id: string, answer: Outcome): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    pending.settle(answer);
    this.#changed();
  }

  /** The person's answer to question `id`. */
  answer(id: string, answer: ConsentAnswer): ConsentView {
    const entry = [...this.#pending].find(([, p]) => p.question.id === id);
    if (!entry) throw new BadStateError('That question is no longer waiting: it was answered, or nobody answered in time and the program was refused. The program asks again when it next needs a token.');
    const [pendingKey, { question }] = entry;
    if (answer === 'always') {
      if (!question.canRemember) throw new BadStateError('This program did not give its name, so authtray cannot recognise it next time: choose Allow once or Deny.');
      const decisions = this.#options.decisions.load().filter((d) => key(d.program, d.verified, d.profile) !== pendingKey);
      this.#options.decisions.save([...decisions, { program: question.program, verified: question.verified, profile: question.profile, decidedAt: new Date().toISOString() }]);
    }
    this.#settle(pendingKey, answer);
    return this.view();
  }

  /** Forgets an "Always": the program's next request asks again. */
  revoke(decision: ConsentRevokeRequest): ConsentView {
    const decisions = this.#options.decisions.load();
    const kept = decisions.filter((d) => key(d.program, d.verified, d.profile) !== key(decision.program, decision.verified, decision.profile));
    if (kept.length === decisions.length) throw new BadStateError('That program is not allowed for this account any more. Nothing was changed.');
    this.#options.decisions.save(kept);
    this.#changed();
    return this.view();
  }

  view(): ConsentView {
    return {
      questions: [...this.#pending.values()].map((p) => ({ ...p.question })),
      decisions: this.#options.decisions.load().map((d) => ({ ...d })),
    };
  }

  /** Called after every change (a question asked, answered, expired; a decision kept or revoked). */
  onChange(listener: (view: ConsentView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called when a new question is asked (the app shows its window and a notification). */
  onAsked(listener: (question: ConsentQuestionView) => void): () => void {
    this.#askedListeners.add(listener);
    return () => this.#askedListeners.delete(listener);
  }

  #changed(): void {
    const view = this.view();
    for (const listener of this.#listeners) listener(view);
  }

  /** Every question waiting is refused (the app stops); no new ones are asked. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, 'closed');
  }
}
