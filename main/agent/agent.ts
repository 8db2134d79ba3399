/**
 * The agent: one process (the tray app, or `authtray agent` headless) that holds each profile's
 * session and hands out its tokens over a private socket, so every program of the user shares one
 * single flight and one credential-store read per profile. The refresh locks (lock files,
 * Redis/Memcached locks) still apply between the agent and anything that goes without it.
 *
 * It follows the config file: a profile unlinked, relinked or needing a relink elsewhere is dropped
 * (its session closed, its token file removed) within a second, and picked up again when linked.
 */
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { AgentError, AuthtrayError, ErrorCodes, NeedsRelinkError, NotApprovedError, NotLinkedError } from '../errors.js';
import type { IssuedToken, OAuthSession } from '../auth/session.js';
import type { LinkState } from '../accounts.js';
import { assertProfileName } from '../store/profile-name.js';
import type { ConsentGate } from './consent.js';
import { askerOf, peerOf } from './peer.js';
import type { Request } from './protocol.js';
import { listen, type SocketServer } from './server.js';
import { preparePrivateDir, TokenFile } from './token-files.js';
import { PROTOCOL_VERSION, type AgentInfo, type Answer } from './wire.js';

/** What the agent needs of the accounts service (its public API). */
export interface AgentAccounts {
  readonly home: string;
  linkStates(): Promise<Record<string, LinkState>>;
  session(profile: string): Promise<OAuthSession>;
  onStatusChanged(listener: (profile: string) => void): () => void;
}

export interface AgentOptions {
  accounts: AgentAccounts;
  /** The socket path (see paths.ts). */
  socket: string;
  /**
   * Executables whose processes may get tokens (Linux: the peer's /proc/PID/exe). Absent: every
   * process of this user, as ssh-agent does.
   */
  allow?: readonly string[] | undefined;
  /**
   * The app's consent: a program's first request for a profile asks the person (consent.ts).
   * Not with `allow`.
   */
  consent?: ConsentGate | undefined;
  /** Profiles whose current access token the agent keeps in a file. */
  tokenFiles?: readonly { profile: string; path: string }[];
  /** What the agent tells its operator (never a token). */
  log?: (message: string) => void;
  /** How often the config file is looked at for profiles changed elsewhere (default 1 s). */
  watchMs?: number;
}

interface ProfileState {
  session: Promise<OAuthSession> | null;
  /** The config entry's `linkedAt` when the session opened; null when it came from a shared store. */
  linkedAt: string | null;
  served: number;
  file: TokenFile | null;
  /** The `linkedAt` the token file was written for. */
  fileLinkedAt: string | null;
}

export class Agent {
  readonly socket: string;
  readonly home: string;
  readonly #accounts: AgentAccounts;
  readonly #allow: readonly string[] | undefined;
  readonly #gate: ConsentGate | undefined;
  readonly #log: (message: string) => void;
  readonly #profiles = new Map<string, ProfileState>();
  readonly #since = new Date().toISOString();
  #server: SocketServer | null = null;
  #configRead: Promise<Record<string, LinkState>> | null = null;
  #watch: NodeJS.Timeout | null = null;
  #unsubscribe: (() => void) | null = null;
  #closing: Promise<void> | null = null;

  private constructor(options: AgentOptions) {
    this.#accounts = options.accounts;
    this.socket = options.socket;
    this.home = resolve(options.accounts.home);
    this.#allow = options.allow;
    this.#gate = options.consent;
    this.#log = options.log ?? (() => {});
  }

  /** Starts serving on the socket; token files are written before it returns. */
  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    for (const { profile, path } of options.tokenFiles ?? []) {
      assertProfileName(profile);
      preparePrivateDir(path);
      agent.#state(profile).file = new TokenFile(profile, path, (minValidMs) => agent.#issue(profile, minValidMs), agent.#log);
    }
    agent.#server = await listen(options.socket, agent.home, (request, connection, wait) => agent.#answer(request, connection, wait), agent.#log);
    try {
      for (const state of agent.#profiles.values()) {
        if (!state.file) continue;
        await agent.#issue(state.file.profile, 0); // a profile that cannot give tokens stops the start, with its reason
        await state.file.update();
        state.fileLinkedAt = (await agent.#config())[state.file.profile]?.linkedAt ?? null;
      }
    } catch (err) {
      await agent.close();
      throw err;
    }
    agent.#watch = setInterval(() => void agent.#follow(), options.watchMs ?? 1000);
    agent.#watch.unref();
    agent.#unsubscribe = options.accounts.onStatusChanged(() => void agent.#follow());
    return agent;
  }

  info(): AgentInfo {
    const profiles: AgentInfo['profiles'] = {};
    for (const [name, state] of [...this.#profiles].sort(([a], [b]) => a.localeCompare(b))) {
      profiles[name] = { session: state.session !== null, served: state.served, tokenFile: state.file?.active ? state.file.path : null };
    }
    return { pid: process.pid, home: this.home, socket: this.socket, protocol: PROTOCOL_VERSION, since: this.#since, serves: this.#allow ? [...this.#allow] : this.#gate ? 'consent' : 'everyone', profiles };
  }

  #state(profile: string): ProfileState {
    let state = this.#profiles.get(profile);
    if (!state) this.#profiles.set(profile, (state = { session: null, linkedAt: null, served: 0, file: null, fileLinkedAt: null }));
    return state;
  }

  /** The profiles' link states, read once for everyone asking at the same moment. */
  #config(): Promise<Record<string, LinkState>> {
    this.#configRead ??= this.#accounts.linkStates().finally(() => (this.#configRead = null));
    return this.#configRead;
  }

  async #answer(request: Request, connection: Socket, wait: (timeoutMs: number) => void): Promise<Answer> {
    try {
      if (request.home !== undefined && resolve(request.home) !== this.home) {
        throw new AgentError(ErrorCodes.AGENT_UNAVAILABLE, `The agent at ${this.socket} serves the authtray home ${this.home}, not ${resolve(request.home)}.`);
      }
      if (request.op === 'status') return { v: PROTOCOL_VERSION, ok: true, agent: this.info() };
      assertProfileName(request.profile);
      await this.#consent(connection, request.profile, request.client, wait);
      const issued = await this.#issue(request.profile, request.minValidMs ?? 0);
      this.#state(request.profile).served++;
      return { v: PROTOCOL_VERSION, ok: true, token: issued.accessToken, expiresAt: issued.expiresAt };
    } catch (err) {
      // The command's wording rides along for the `authtray token` that asked (main/cli/token-agent.ts).
      if (err instanceof AuthtrayError) return { v: PROTOCOL_VERSION, ok: false, error: { code: err.code, message: err.message, ...(err.cliMessage ? { cliMessage: err.cliMessage } : {}) } };
      throw err;
    }
  }

  /**
   * With --allow rules, only processes running one of those executables get tokens. With the app's
   * consent, the person is asked (a profile that is not linked gets its NOT_LINKED first).
   */
  async #consent(connection: Socket, profile: string, client: string | undefined, wait: (timeoutMs: number) => void): Promise<void> {
    if (this.#gate && !this.#allow) {
      // Not in the config: not linked (its NOT_LINKED, without a question), or a shared store's profile (asked about like any).
      if (!(await this.#config())[profile]) await this.#issue(profile, 0);
      // A caller that hangs up (Ctrl-C) takes its question back.
      const gone = new AbortController();
      const hangUp = () => gone.abort();
      connection.once('close', hangUp);
      try {
        return await this.#gate.check(await askerOf(connection, client), profile, wait, gone.signal);
      } finally {
        connection.off('close', hangUp);
      }
    }
    if (!this.#allow) return;
    const peer = await peerOf(connection);
    if (peer && this.#allow.includes(peer.exe)) return;
    throw new NotApprovedError(
      peer
        ? `The authtray agent serves only the programs given with --allow, and ${peer.exe} (pid ${peer.pid}) is not one of them. To serve it, restart the agent with --allow ${peer.exe}.`
        : 'The authtray agent serves only the programs given with --allow, and the system did not say which program this is. Restart the agent without --allow to serve every program of your user.',
    );
  }

  /** The profile's token through its one session, opened on first use and dropped when the profile changes. */
  async #issue(profile: string, minValidMs: number): Promise<IssuedToken> {
    const entry = (await this.#config())[profile];
    const state = this.#state(profile);
    if (entry?.needsRelink) {
      this.#drop(state);
      throw new NeedsRelinkError(profile);
    }
    if (state.session && (entry ? state.linkedAt !== entry.linkedAt : state.linkedAt !== null)) this.#drop(state);
    if (!state.session) {
      const opened = this.#accounts.session(profile);
      state.session = opened;
      state.linkedAt = entry?.linkedAt ?? null;
      opened.catch(() => {
        if (state.session === opened) state.session = null;
      });
    }
    const session = await state.session;
    try {
      return await session.token({ minValidMs });
    } catch (err) {
      // Closed under us (unlinked by this process, migrated): the next request opens a new one.
      if (err instanceof AuthtrayError && err.code === ErrorCodes.SESSION_CLOSED) {
        this.#drop(state);
        throw new NotLinkedError(profile);
      }
      throw err;
    }
  }

  #drop(state: ProfileState): void {
    const session = state.session;
    state.session = null;
    session?.then((s) => s.close()).catch(() => {});
  }

  /** Profiles changed elsewhere: sessions dropped, token files removed or rewritten. */
  async #follow(): Promise<void> {
    if (this.#closing) return;
    let config: Record<string, LinkState>;
    try {
      config = await this.#config();
    } catch (err) {
      this.#log(`cannot read the config: ${err instanceof AuthtrayError ? err.message : 'unexpected failure'}`);
      return;
    }
    for (const [profile, state] of this.#profiles) {
      const entry = config[profile];
      const usable = entry !== undefined && !entry.needsRelink;
      if (state.session && state.linkedAt !== null && (!usable || entry.linkedAt !== state.linkedAt)) this.#drop(state);
      if (!state.file) continue;
      if (!usable) {
        if (state.file.active) await state.file.remove(entry ? 'the profile needs to be linked again' : 'the profile was unlinked');
      } else if (!state.file.active || state.fileLinkedAt !== entry.linkedAt) {
        state.fileLinkedAt = entry.linkedAt;
        await state.file.update();
      }
    }
  }

  /** Stops serving: the socket and every token file are removed, sessions closed (not revoked). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#watch) clearInterval(this.#watch);
      this.#unsubscribe?.();
      await this.#server?.close();
      for (const state of this.#profiles.values()) {
        await state.file?.stop();
        this.#drop(state);
      }
    })();
    return this.#closing;
  }
}
