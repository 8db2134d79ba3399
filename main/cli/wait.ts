/**
 * Waiting for the answer to a link, as `link` and `finish` do on a terminal. Whichever comes first
 * ends the wait: the browser's redirect to the loopback listener, a redirect URL or a bare code
 * typed or pasted here, or `authtray finish` run elsewhere (seen as the pending link turning into a
 * linked profile). A stray Enter or a typo says what was wrong and keeps waiting. The one deadline
 * is the pending link's; Ctrl-C (io.interrupt) ends the wait with Interrupted.
 */
import type { Accounts, ProfileStatus } from '../accounts.js';
import { AuthtrayError, CancelledError, ErrorCodes, UsageError } from '../errors.js';
import { Interrupted, localTime } from './text.js';
import { readLines, type CliIO } from './io.js';

/** How often the wait looks whether the link was finished or cancelled by another run. */
const ELSEWHERE_POLL_MS = 300;

/** Line errors that leave the pending link as it was: say so and read the next line. */
const KEEP_WAITING: ReadonlySet<string> = new Set([ErrorCodes.BAD_REQUEST, ErrorCodes.CSRF, ErrorCodes.INVALID_TOKEN]);

export interface WaitOptions {
  accounts: Accounts;
  profile: string;
  io: CliIO;
  /** When the pending link expires. */
  expiresAt: Date;
  /** Loopback: settles when the browser comes back (its own cancel is ignored: another answer won). */
  redirected: Promise<ProfileStatus> | null;
  clientSecret?: string | undefined;
}

/** How the wait ended without a linked account; `keepPending` when the attempt stays usable for `finish`. */
export class WaitEnded extends Error {
  constructor(
    readonly reason: unknown,
    readonly keepPending: boolean,
  ) {
    super('wait ended');
  }
}

export function waitForAnswer(options: WaitOptions): Promise<ProfileStatus> {
  const { accounts, profile, io, expiresAt, redirected } = options;
  const until = localTime(expiresAt);
  const say = (text: string) => io.stderr.write(`${text}\n`);
  const input = readLines(io.stdin);
  let done = false;
  let busy = false;
  let lastLineError: AuthtrayError | null = null;
  let deadline: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;

  // What the profile was before: a link made elsewhere shows as a different account or token.
  const before = accounts.status(profile).then(fingerprint, () => null);

  return new Promise<ProfileStatus>((resolve, reject) => {
    const end = (then: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(poll);
      io.interrupt?.removeEventListener('abort', onInterrupt);
      input.cancel();
      then();
    };
    const succeed = (status: ProfileStatus) => end(() => resolve(status));
    const fail = (reason: unknown, keepPending = false) => end(() => reject(new WaitEnded(reason, keepPending)));

    /** The pending link is gone: finished by another run (a new link is there), else cancelled there. */
    const elsewhere = async (): Promise<boolean> => {
      if (done || (await accounts.pendingSettings(profile)) !== null) return false;
      const after = await accounts.status(profile).catch(() => null);
      if (after?.linked && fingerprint(after) !== (await before)) {
        succeed(after);
      } else {
        fail(new CancelledError(`The link was cancelled elsewhere. Start it again: authtray link --profile ${profile}`));
      }
      return true;
    };
    const failUnlessElsewhere = (err: unknown) => {
      if (err instanceof AuthtrayError && err.code === ErrorCodes.BAD_STATE) {
        elsewhere().then((gone) => gone || fail(err), fail);
      } else fail(err);
    };

    const onInterrupt = () => fail(new Interrupted('Cancelled (Ctrl-C). Nothing was linked.'));
    if (io.interrupt?.aborted) return onInterrupt();
    io.interrupt?.addEventListener('abort', onInterrupt, { once: true });

    deadline = setTimeout(
      () => fail(new CancelledError(`The link attempt expired at ${until} (a link stays open 10 minutes). Start it again: authtray link --profile ${profile}`)),
      Math.max(0, expiresAt.getTime() - Date.now()),
    );

    const tick = () => {
      poll = setTimeout(() => {
        if (done) return;
        (busy ? Promise.resolve(false) : elsewhere()).then(
          (gone) => gone || tick(),
          () => tick(), // an unreadable moment: look again
        );
      }, ELSEWHERE_POLL_MS);
    };
    tick();

    redirected?.then(succeed, (err: unknown) => {
      // The listener is cancelled when a pasted answer finishes the link, and gives up at the
      // deadline, which the timer above reports: neither is the outcome.
      if (err instanceof AuthtrayError && err.code === ErrorCodes.CANCELLED) return;
      failUnlessElsewhere(err);
    });

    const stillWaiting = () => `Still waiting${redirected ? ' for the browser' : ''} until ${until}: paste the code or the whole address, or press Ctrl-C to cancel.`;
    void (async () => {
      for await (const text of input.lines) {
        if (done) return;
        if (!text.trim()) {
          say(`Nothing was entered. ${stillWaiting()}`);
          continue;
        }
        busy = true;
        try {
          succeed(await accounts.finishLink(profile, text, { clientSecret: options.clientSecret }));
          return;
        } catch (err) {
          if (done) return;
          if (!(err instanceof AuthtrayError) || !KEEP_WAITING.has(err.code)) return failUnlessElsewhere(err);
          lastLineError = err;
          say(`${lineProblem(err)} ${stillWaiting()}`);
        } finally {
          busy = false;
        }
      }
      if (done) return;
      // End of input: Ctrl-D on a terminal, or the end of a pipe.
      if (redirected) {
        if (io.stdin.isTTY) say(`No more input from the terminal: still waiting for the browser until ${until} (Ctrl-C cancels).`);
      } else if (lastLineError) {
        fail(lastLineError);
      } else if (io.stdin.isTTY) {
        fail(new CancelledError(`No code was entered (Ctrl-D), so the link was cancelled. Start it again: authtray link --profile ${profile}`));
      } else {
        fail(new UsageError(`No code was entered. The link stays open until ${until}: finish it with "authtray finish --profile ${profile} CODE".`), true);
      }
    })().catch(fail);
  });
}

const fingerprint = (s: ProfileStatus) => JSON.stringify([s.linked, s.account?.id, s.token?.expiresAt]);

/** What was wrong with one pasted line, without telling the person to start again (the wait goes on). */
function lineProblem(err: AuthtrayError): string {
  if (err.code === ErrorCodes.INVALID_TOKEN) return 'The provider did not accept that code: it may be mistyped, or already used.';
  if (err.code === ErrorCodes.CSRF) return 'That address belongs to another link attempt, not this one.';
  // The first sentence says what was wrong; the rest would send the person elsewhere.
  return err.message.split(/(?<=\.) /)[0]!;
}
